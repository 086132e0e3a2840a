// The verifier: each rule has a kernel that breaks it (written as text where the parser accepts it,
// built with raw node classes where the parser itself would refuse) and a legal neighbour that passes.
import { describe, expect, it } from 'vitest';
import { buffer } from '../../../src/ir/tensor/buffer.ts';
import { Load, f32, int, variable } from '../../../src/ir/tensor/expr.ts';
import { PrimFunc } from '../../../src/ir/tensor/func.ts';
import { Store, forLoop, ifThen, intrinsic, seq, store } from '../../../src/ir/tensor/stmt.ts';
import { parseFunc } from '../../../src/ir/tensor/text/parser.ts';
import { VerifyError, checkFunc, describe as describeProblem, verifyFunc } from '../../../src/ir/tensor/verify.ts';
import { TsccError } from '../../../src/util/errors.ts';

const messages = (text: string) => checkFunc(parseFunc(text)).map(describeProblem);
const A = buffer('A', 'f32', [4]), C = buffer('C', 'f32', [4]);
const fn = (body: Parameters<typeof seq>[0][number]) => new PrimFunc('k', [A], [C], body);
const i = variable('i');

describe('scoping and typing', () => {
  it('flags a variable no loop binds', () => {
    expect(checkFunc(fn(store(C, [i], f32(0)))).map(describeProblem)).toEqual(['func k: variable i is not bound by an enclosing loop']);
    expect(checkFunc(fn(forLoop(i, int(0), int(4), store(C, [i], f32(0)))))).toEqual([]);
  });

  it('flags a loop variable bound again inside its own loop', () => {
    expect(messages('func k() -> (C: f32[4]) {\n  for i in range(0, 2) {\n    for i in range(0, 2) {\n      C[i] = 0.0;\n    }\n  }\n}\n'))
      .toEqual(['func k, loop i: loop variable i is bound again inside its own loop']);
  });

  it('checks buffer ranks and dtypes of loads and stores built without the checking constructors', () => {
    const badLoad = new Load(A, [int(0), int(1)], 'f32');
    const badStore = new Store(C, [int(0)], int(1));
    const noIdx = new Store(C, [], f32(1));
    const got = checkFunc(fn(seq([store(C, [int(0)], badLoad), badStore, noIdx]))).map((p) => p.message);
    expect(got).toEqual([
      'load of A with 2 indices, but A has rank 1',
      'storing i32 into C of f32',
      'store of C with 0 indices, but C has rank 1',
    ]);
  });

  it('flags buffers that are neither parameters nor allocated, and non-bool conditions', () => {
    const D = buffer('D', 'f32', [4]);
    const got = checkFunc(fn(seq([store(D, [int(0)], f32(0)), ifThen(int(1), store(C, [int(0)], f32(0)))]))).map((p) => p.message);
    expect(got).toEqual(['store of buffer D, which is neither a parameter nor allocated here', 'if condition is i32, expected bool']);
  });

  it('keeps inputs read-only', () => {
    expect(messages('func k(A: f32[4]) -> (C: f32[4]) {\n  A[0] = 1.0;\n}\n')).toEqual(['func k: store into input A; inputs are read-only']);
  });

  it('wants constant extents on unrolled and vectorized loops', () => {
    const text = 'func k(N: i32[1]) -> (C: f32[8]) {\n  for i in range(0, N[0]) unroll {\n    C[i] = 0.0;\n  }\n}\n';
    expect(messages(text)).toEqual(['func k, loop i: unrolled loop needs a constant extent']);
  });
});

describe('allocation scopes', () => {
  const kernel = (body: string) => `func k(A: f32[64]) -> (C: f32[64]) {\n${body}\n}\n`;
  it('keeps parameters global and allocations off global', () => {
    expect(messages('func k(A: f32[4] shared) -> (C: f32[4]) {\n  alloc G: f32[4] global {\n    C[0] = A[0];\n  }\n}\n')).toEqual([
      'func k: parameter A is in shared scope; parameters are global',
      'func k: allocation of G in global scope; global buffers are parameters',
    ]);
  });

  it('puts shared buffers inside a block (a thread loop around the allocation still means one copy)', () => {
    const ok = kernel('  for b in range(0, 2) bind blockIdx.x {\n    alloc S: f32[32] shared {\n      for t in range(0, 32) bind threadIdx.x {\n        S[t] = A[b * 32 + t];\n        barrier;\n        C[b * 32 + t] = S[31 - t];\n      }\n    }\n  }');
    expect(messages(ok)).toEqual([]);
    expect(messages(kernel('  alloc S: f32[32] shared {\n    S[0] = A[0];\n  }'))).toEqual([
      'func k: shared buffer S must be allocated inside a blockIdx-bound loop',
    ]);
    const inThread = (outer: string) => kernel(`${outer}    for t in range(0, 32) bind threadIdx.x {\n      alloc S: f32[1] shared {\n        S[0] = A[t];\n      }\n    }\n  }`);
    expect(messages(inThread('  for b in range(0, 2) bind blockIdx.x {\n'))).toEqual([]);
    expect(messages(inThread('  for b in range(0, 2) {\n'))).toEqual([
      'func k, loop t: shared buffer S must be allocated inside a blockIdx-bound loop',
    ]);
  });

  it('lets local buffers live in serial code and in threads, but not around them', () => {
    expect(messages(kernel('  alloc L: f32[1] local {\n    L[0] = A[0];\n    C[0] = L[0];\n  }'))).toEqual([]);
    expect(messages(kernel('  for t in range(0, 64) bind threadIdx.x {\n    alloc L: f32[1] local {\n      L[0] = A[t];\n      C[t] = L[0];\n    }\n  }'))).toEqual([]);
    expect(messages(kernel('  alloc L: f32[1] local {\n    for t in range(0, 64) bind threadIdx.x {\n      L[0] = A[t];\n    }\n  }'))).toEqual([
      'func k: local buffer L encloses a bound loop, so threads would share it',
    ]);
  });

  it('refuses an allocation that reuses a name in scope', () => {
    const B = buffer('A', 'f32', [2], 'local');
    const shadow = new PrimFunc('k', [A], [C], { kind: 'allocate', buffer: B, body: store(C, [int(0)], f32(0)) } as never);
    expect(checkFunc(shadow).map((p) => p.message)).toEqual(['buffer A is allocated while another A is in scope']);
  });
});

describe('thread binding', () => {
  const kernel = (body: string) => `func k(A: f32[4096]) -> (C: f32[4096]) {\n${body}\n}\n`;
  const nest = (...loops: string[]) => kernel(loops.map((l, d) => `${'  '.repeat(d + 1)}${l} {`).join('\n')
    + `\n${'  '.repeat(loops.length + 1)}C[0] = A[0];\n` + loops.map((_, d) => `${'  '.repeat(loops.length - d)}}`).join('\n'));

  it('binds each axis at most once on a path, blockIdx outside threadIdx', () => {
    expect(messages(nest('for a in range(0, 4) bind threadIdx.x', 'for b in range(0, 4) bind threadIdx.x')))
      .toEqual(['func k, loop b: threadIdx.x is bound twice on one path']);
    expect(messages(nest('for a in range(0, 4) bind threadIdx.x', 'for b in range(0, 4) bind blockIdx.x')))
      .toEqual(['func k, loop b: blockIdx.x is bound inside a threadIdx-bound loop']);
    const siblings = kernel('  for b in range(0, 4) bind blockIdx.x {\n    for t in range(0, 8) bind threadIdx.x {\n      C[t] = A[t];\n    }\n    for t in range(0, 8) bind threadIdx.x {\n      C[t] = C[t] + 1.0;\n    }\n  }');
    expect(messages(siblings)).toEqual([]);
  });

  it('wants bound loops to start at 0 with a constant extent', () => {
    expect(messages(nest('for b in range(0, 4) bind blockIdx.x', 'for t in range(0, b + 1) bind threadIdx.x')))
      .toEqual(['func k, loop t: loop bound to threadIdx.x needs a constant extent ≥ 1']);
    expect(messages(nest('for b in range(1, 4) bind blockIdx.x'))).toEqual(['func k, loop b: loop bound to blockIdx.x must start at 0']);
  });

  it('limits a block to 1024 threads, counting the widest loop on each axis', () => {
    expect(messages(nest('for b in range(0, 2) bind blockIdx.x', 'for y in range(0, 32) bind threadIdx.y', 'for x in range(0, 32) bind threadIdx.x'))).toEqual([]);
    expect(messages(nest('for b in range(0, 2) bind blockIdx.x', 'for y in range(0, 64) bind threadIdx.y', 'for x in range(0, 32) bind threadIdx.x')))
      .toEqual(['func k, loop b: 2048 threads per block exceed 1024']);
    const wide = kernel('  for y in range(0, 2) bind threadIdx.y {\n    for x in range(0, 16) bind threadIdx.x {\n      C[x] = A[x];\n    }\n    for x in range(0, 1024) bind threadIdx.x {\n      C[x] = A[x];\n    }\n  }');
    expect(messages(wide)).toEqual(['func k, loop y: 2048 threads per block exceed 1024']);
  });

  it('places barriers inside thread loops only', () => {
    expect(messages(nest('for b in range(0, 2) bind blockIdx.x').replace('C[0] = A[0];', 'barrier;')))
      .toEqual(['func k, loop b: barrier outside every threadIdx-bound loop']);
    expect(messages(nest('for t in range(0, 2) bind threadIdx.x').replace('C[0] = A[0];', 'barrier;'))).toEqual([]);
  });
});

describe('intrinsics', () => {
  const X = buffer('X', 'f32', [16]), Y = buffer('Y', 'f32', [16]), Acc = buffer('Acc', 'f32', [16]);
  const region = (b: typeof X, off = 0, n = 16) => ({ buffer: b, offsets: [int(off)], extents: [n] });
  const mk = (s: ReturnType<typeof intrinsic>) => new PrimFunc('k', [X, Y], [Acc], s);

  it('checks argument counts and kinds against intrinsics.ts', () => {
    expect(checkFunc(mk(intrinsic('mac', [region(Acc), region(X), region(Y)])))).toEqual([]);
    expect(checkFunc(mk(intrinsic('mac', [region(Acc), region(X)])))[0].message).toBe('intrinsic mac takes 3 regions then 0 scalars, got region, region');
    expect(checkFunc(mk(intrinsic('matmul_tile', [region(Acc), int(1), region(X), region(Y)])))[0].message)
      .toBe('intrinsic matmul_tile takes 3 regions then 1 scalars, got region, scalar, region, region');
    expect(checkFunc(mk(intrinsic('gemm', [])))[0].message).toMatch(/^unknown intrinsic gemm \(known: matmul_tile, mac/);
  });

  it('keeps regions inside their buffers and off the inputs', () => {
    expect(checkFunc(mk(intrinsic('mac', [region(Acc, 8), region(X), region(Y)]))).map((p) => p.message))
      .toEqual(['intrinsic mac region of Acc exceeds dim 0 (8 + 16 > 16)']);
    expect(checkFunc(mk(intrinsic('mac', [region(X), region(Acc), region(Y)]))).map((p) => p.message))
      .toEqual(['intrinsic mac writes input X; inputs are read-only']);
  });
});

describe('VerifyError', () => {
  it('is a coded TsccError naming the function, loop and buffer, and counts the rest', () => {
    const text = 'func mm(A: f32[4]) -> (C: f32[4]) {\n  for i in range(0, 4) {\n    A[i] = 1.0;\n    barrier;\n  }\n}\n';
    let caught: unknown;
    try { verifyFunc(parseFunc(text)); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(VerifyError);
    expect(caught).toBeInstanceOf(TsccError);
    expect((caught as VerifyError).code).toBe('E_MODEL');
    expect((caught as Error).message).toBe('tensor IR verify: func mm, loop i: store into input A; inputs are read-only (and 1 more)');
    expect((caught as VerifyError).problems.map((p) => p.loop)).toEqual(['i', 'i']);
  });
});
