import { describe, expect, it } from 'vitest';
import type { DType } from '../../../src/ir/graph/dtype.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { buffer } from '../../../src/ir/tensor/buffer.ts';
import {
  type BinOp, type Expr, add, and, binary, call, cast, constant, evalBinary, f32, floordiv, floormod, int, load, lt, max, min, mul,
  select, sub, unary, variable,
} from '../../../src/ir/tensor/expr.ts';
import { printExpr } from '../../../src/ir/tensor/print.ts';
import { PrimFunc } from '../../../src/ir/tensor/func.ts';
import {
  type Stmt, allocate, barrier, forLoop, ifThen, intrinsic, seq, store,
} from '../../../src/ir/tensor/stmt.ts';
import { KernelError, compileFunc, runFunc } from '../../../src/ir/tensor/interp/run.ts';
import { randomTensor, rng } from '../../../src/runtime/random.ts';
import { f16BitsToF32, f32ToF16Bits } from '../../../src/util/float16.ts';

const fr = Math.fround;
const [i, j, k, ko, ki, tx, ty, bx, by] = ['i', 'j', 'k', 'ko', 'ki', 'tx', 'ty', 'bx', 'by'].map((n) => variable(n));
const loop = (v: ReturnType<typeof variable>, n: number, body: Stmt) => forLoop(v, int(0), int(n), body);

/** Plain JS matmul with f32 rounding after each step, k ascending: what every correct kernel must produce. */
function refMatmul(a: Float32Array, b: Float32Array, m: number, kk: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let r = 0; r < m; r++) for (let col = 0; col < n; col++) {
    let s = 0;
    for (let q = 0; q < kk; q++) s = fr(s + fr(a[r * kk + q] * b[q * n + col]));
    c[r * n + col] = s;
  }
  return c;
}

function naiveMatmul(m: number, kk: number, n: number): PrimFunc {
  const A = buffer('A', 'f32', [m, kk]), B = buffer('B', 'f32', [kk, n]), C = buffer('C', 'f32', [m, n]);
  const body = loop(i, m, loop(j, n, seq([
    store(C, [i, j], f32(0)),
    loop(k, kk, store(C, [i, j], add(load(C, [i, j]), mul(load(A, [i, k]), load(B, [k, j]))))),
  ])));
  return new PrimFunc('matmul', [A, B], [C], body);
}

/**
 * The classic shared-memory tiled matmul: blocks of T×T threads, each k-step loads one tile of A
 * and of B cooperatively, waits, multiplies, waits. `drop` removes one of the two barriers.
 */
function tiledMatmul(n: number, t: number, drop?: 'first' | 'second', localAtTop = false): PrimFunc {
  const A = buffer('A', 'f32', [n, n]), B = buffer('B', 'f32', [n, n]), C = buffer('C', 'f32', [n, n]);
  const As = buffer('As', 'f32', [t, t], 'shared'), Bs = buffer('Bs', 'f32', [t, t], 'shared');
  const acc = buffer('acc', 'f32', [1], 'local');
  const row = add(mul(by, int(t)), ty), colIdx = add(mul(bx, int(t)), tx);
  const step = seq([
    store(As, [ty, tx], load(A, [row, add(mul(ko, int(t)), tx)])),
    store(Bs, [ty, tx], load(B, [add(mul(ko, int(t)), ty), colIdx])),
    ...(drop === 'first' ? [] : [barrier]),
    loop(ki, t, store(acc, [int(0)], add(load(acc, [int(0)]), mul(load(As, [ty, ki]), load(Bs, [ki, tx]))))),
    ...(drop === 'second' ? [] : [barrier]),
  ]);
  const perThread = seq([store(acc, [int(0)], f32(0)), loop(ko, n / t, step), store(C, [row, colIdx], load(acc, [int(0)]))]);
  const threads = forLoop(ty, int(0), int(t), forLoop(tx, int(0), int(t), localAtTop ? perThread : allocate(acc, perThread), 'bound', 'threadIdx.x'), 'bound', 'threadIdx.y');
  const blocks = forLoop(by, int(0), int(n / t), forLoop(bx, int(0), int(n / t), allocate(As, allocate(Bs, threads)), 'bound', 'blockIdx.x'), 'bound', 'blockIdx.y');
  return new PrimFunc('tiled', [A, B], [C], localAtTop ? allocate(acc, blocks) : blocks);
}

function unary1(name: string, dtIn: DType, dtOut: DType, n: number, f: (x: Expr) => Expr): PrimFunc {
  const X = buffer('X', dtIn, [n]), Y = buffer('Y', dtOut, [n]);
  return new PrimFunc(name, [X], [Y], loop(i, n, store(Y, [i], f(load(X, [i])))));
}

describe('tensor IR interpreter: loops and arithmetic', () => {
  it('adds elementwise, bit for bit', () => {
    const A = buffer('A', 'f32', [4, 8]), B = buffer('B', 'f32', [4, 8]), C = buffer('C', 'f32', [4, 8]);
    const f = new PrimFunc('add', [A, B], [C], loop(i, 4, loop(j, 8, store(C, [i, j], add(load(A, [i, j]), load(B, [i, j]))))));
    const a = randomTensor('f32', [4, 8], 1), b = randomTensor('f32', [4, 8], 2);
    const [c] = runFunc(f, [a, b]);
    expect(Array.from(c.data as Float32Array)).toEqual(Array.from(a.data as Float32Array, (x, q) => fr(x + (b.data as Float32Array)[q])));
  });

  it('runs a naive matmul exactly like a plain JS matmul', () => {
    const a = randomTensor('f32', [5, 7], 3), b = randomTensor('f32', [7, 6], 4);
    const [c] = runFunc(naiveMatmul(5, 7, 6), [a, b]);
    expect(c.data).toEqual(refMatmul(a.data as Float32Array, b.data as Float32Array, 5, 7, 6));
  });

  it('reduces into a local accumulator (row max, then softmax-style exp-sum)', () => {
    const X = buffer('X', 'f32', [3, 10]), Y = buffer('Y', 'f32', [3]), acc = buffer('acc', 'f32', [1], 'local');
    const a0 = [int(0)];
    const body = loop(i, 3, allocate(acc, seq([
      store(acc, a0, f32(-Infinity)),
      loop(k, 10, store(acc, a0, max(load(acc, a0), load(X, [i, k])))),
      store(Y, [i], load(acc, a0)),
      store(acc, a0, f32(0)),
      loop(k, 10, store(acc, a0, add(load(acc, a0), call('exp', [sub(load(X, [i, k]), load(Y, [i]))])))),
      store(Y, [i], load(acc, a0)),
    ])));
    const x = randomTensor('f32', [3, 10], 5, -3, 3);
    const [y] = runFunc(new PrimFunc('rowsum', [X], [Y], body), [x]);
    const xd = x.data as Float32Array;
    for (let r = 0; r < 3; r++) {
      const row = xd.subarray(r * 10, r * 10 + 10);
      const m = Math.max(...row);
      let s = 0;
      for (const v of row) s = fr(s + fr(Math.exp(fr(v - m))));
      expect((y.data as Float32Array)[r]).toBe(s);
    }
  });

  it('wraps i32 arithmetic and floors integer division and modulo of negatives', () => {
    const X = buffer('X', 'i32', [6]), D = buffer('D', 'i32', [6]), Y = buffer('Y', 'i32', [6, 6]);
    const x = load(X, [i]), d = load(D, [i]);
    const body = loop(i, 6, seq([
      store(Y, [i, int(0)], add(x, x)),
      store(Y, [i, int(1)], mul(x, x)),
      store(Y, [i, int(2)], floordiv(x, d)),
      store(Y, [i, int(3)], floormod(x, d)),
      store(Y, [i, int(4)], floordiv(x, int(4))),
      store(Y, [i, int(5)], floormod(x, int(4))),
    ]));
    const xs = [2 ** 30 + 5, -7, 7, -7, 65536, -(2 ** 31)];
    const ds = [7, 2, -2, -2, 0, -1];
    const [y] = runFunc(new PrimFunc('ints', [X, D], [Y], body), [Tensor.fromNumbers('i32', [6], xs), Tensor.fromNumbers('i32', [6], ds)]);
    const rows = Array.from({ length: 6 }, (_, r) => Array.from((y.data as Int32Array).subarray(r * 6, r * 6 + 6)));
    expect(rows[0]).toEqual([-(2 ** 31) + 10, Math.imul(2 ** 30 + 5, 2 ** 30 + 5), 153391689, 6, 268435457, 1]);
    expect(rows[1]).toEqual([-14, 49, -4, 1, -2, 1]);
    expect(rows[2]).toEqual([14, 49, -4, -1, 1, 3]);
    expect(rows[3]).toEqual([-14, 49, 3, -1, -2, 1]);
    expect(rows[4]).toEqual([131072, 0, 0, 0, 16384, 0]); // 65536² wraps to 0; x // 0 = x % 0 = 0 as in constant folding
    expect(rows[5]).toEqual([0, 0, -(2 ** 31), 0, -(2 ** 29), 0]); // INT_MIN // -1 wraps
  });

  it('rounds bf16 on store and caches the compiled function per PrimFunc', () => {
    const f = unary1('b', 'f32', 'bf16', 16, (v) => cast('bf16', mul(v, f32(1.37))));
    const x = randomTensor('f32', [16], 24);
    const y = runFunc(f, [x])[0];
    expect(y.toNumbers()).toEqual(Tensor.fromNumbers('bf16', [16], Array.from(x.data as Float32Array, (v) => fr(v * fr(1.37)))).toNumbers());
    expect(compileFunc(f)).toBe(compileFunc(f));
  });

  it('rounds f16 on store and on cast, computing in f32', () => {
    const half = (v: number) => f16BitsToF32(f32ToF16Bits(v));
    const x = randomTensor('f16', [16], 6, -4, 4);
    const f = unary1('h', 'f16', 'f16', 16, (v) => add(mul(v, constant(3.1, 'f16')), constant(0.7, 'f16')));
    const [y] = runFunc(f, [x]);
    const xs = x.toNumbers();
    expect(y.toNumbers()).toEqual(xs.map((v) => half(fr(fr(v * half(3.1)) + half(0.7)))));
    // a cast to f16 inside an f32 computation rounds there
    const g = unary1('c', 'f32', 'f32', 16, (v) => mul(cast('f32', cast('f16', v)), f32(1)));
    const xf = randomTensor('f32', [16], 7);
    expect(Array.from(runFunc(g, [xf])[0].data as Float32Array)).toEqual(Array.from(xf.data as Float32Array, half));
  });

  it('evaluates only the chosen operand of a select (padding) and calls math functions', () => {
    const X = buffer('X', 'f32', [8]), Y = buffer('Y', 'f32', [10]);
    const ix = sub(i, int(1));
    const inside = and(binary('ge', ix, int(0)), lt(ix, int(8)));
    const f = new PrimFunc('pad', [X], [Y], loop(i, 10, store(Y, [i], select(inside, call('erf', [load(X, [ix])]), f32(0)))));
    const x = randomTensor('f32', [8], 8);
    const y = runFunc(f, [x])[0].data as Float32Array;
    expect(y[0]).toBe(0);
    expect(y[9]).toBe(0);
    expect(y[1]).toBeCloseTo(erfRef((x.data as Float32Array)[0]), 6);
  });

  it('poisons outputs that the kernel never writes', () => {
    const X = buffer('X', 'f32', [4]), Y = buffer('Y', 'f32', [4]);
    const f = new PrimFunc('half', [X], [Y], loop(i, 2, store(Y, [i], load(X, [i]))));
    const y = runFunc(f, [randomTensor('f32', [4], 9)])[0].data as Float32Array;
    expect(Number.isNaN(y[1])).toBe(false);
    expect(Number.isNaN(y[2]) && Number.isNaN(y[3])).toBe(true);
  });
});

/** Reference semantics, written independently of the compiler: i32 wraps, f32 rounds every step. */
function evaluate(e: Expr, env: ReadonlyMap<Expr, number>): number {
  const norm = (v: number) => (e.dtype === 'i32' ? v | 0 : e.dtype === 'f32' ? fr(v) : v);
  switch (e.kind) {
    case 'const': return e.value;
    case 'var': case 'load': return env.get(e)!;
    case 'binary': return norm(evalBinary(e.op, evaluate(e.a, env), evaluate(e.b, env), e.a.dtype));
    case 'unary': return e.op === 'neg' ? norm(-evaluate(e.a, env)) : +!evaluate(e.a, env);
    case 'select': return evaluate(e.cond, env) ? evaluate(e.a, env) : evaluate(e.b, env);
    case 'cast': return e.dtype === 'f32' ? fr(evaluate(e.a, env)) : evaluate(e.a, env) | 0;
    case 'call': return fr(Math.exp(evaluate(e.args[0], env)));
  }
}

function randomInt(r: () => number, depth: number): Expr {
  if (depth === 0 || r() < 0.2) {
    const c = [0, 1, -1, 3, -7, 255, 65536, 2 ** 31 - 1, -(2 ** 31)][Math.floor(r() * 9)];
    return r() < 0.6 ? [i, j][Math.floor(r() * 2)] : int(c);
  }
  const ops: BinOp[] = ['add', 'sub', 'mul', 'floordiv', 'floormod', 'min', 'max'];
  const a = randomInt(r, depth - 1), b = randomInt(r, depth - 1);
  const x = r();
  if (x < 0.1) return unary('neg', a);
  if (x < 0.2) return select(lt(a, b), a, b);
  return binary(ops[Math.floor(r() * ops.length)], a, b);
}

function randomFloat(r: () => number, depth: number, leaves: readonly Expr[]): Expr {
  if (depth === 0 || r() < 0.2) return r() < 0.7 ? leaves[Math.floor(r() * leaves.length)] : f32(r() * 4 - 2);
  const ops: BinOp[] = ['add', 'sub', 'mul', 'div', 'min', 'max'];
  const a = randomFloat(r, depth - 1, leaves), b = randomFloat(r, depth - 1, leaves);
  const x = r();
  if (x < 0.1) return call('exp', [min(a, f32(5))]);
  if (x < 0.2) return select(lt(a, b), a, b);
  if (x < 0.25) return cast('f32', randomInt(r, 2));
  return binary(ops[Math.floor(r() * ops.length)], a, b);
}

describe('tensor IR interpreter: random expressions match the reference semantics', () => {
  it('i32 index arithmetic (wrapping, floor division) over a grid of loop values', () => {
    const r = rng(33);
    for (let t = 0; t < 150; t++) {
      const e = randomInt(r, 4);
      const Y = buffer('Y', 'i32', [7, 5]);
      const f = new PrimFunc('ints', [], [Y], forLoop(i, int(-3), int(7), forLoop(j, int(-2), int(5), store(Y, [add(i, int(3)), add(j, int(2))], e))));
      const y = runFunc(f, [])[0].data as Int32Array;
      for (let a = -3; a < 4; a++) for (let b = -2; b < 3; b++) {
        expect(y[(a + 3) * 5 + b + 2], printExpr(e)).toBe(evaluate(e, new Map([[i, a], [j, b]])));
      }
    }
  });

  it('f32 arithmetic rounds after every operation', () => {
    const r = rng(34);
    const X = buffer('X', 'f32', [3, 16]);
    const leaves = [0, 1, 2].map((q) => load(X, [int(q), i]));
    const x = randomTensor('f32', [3, 16], 35, -3, 3);
    for (let t = 0; t < 150; t++) {
      const e = randomFloat(r, 4, leaves);
      const Y = buffer('Y', 'f32', [16]);
      const y = runFunc(new PrimFunc('floats', [X], [Y], forLoop(j, int(-5), int(1), loop(i, 16, store(Y, [i], e)))), [x])[0].data as Float32Array;
      for (let q = 0; q < 16; q++) {
        const env = new Map<Expr, number>([[i, q], [j, -5], ...leaves.map((l, p): [Expr, number] => [l, (x.data as Float32Array)[p * 16 + q]])]);
        expect(Object.is(y[q], evaluate(e, env)) || (Number.isNaN(y[q]) && Number.isNaN(evaluate(e, env))), printExpr(e)).toBe(true);
      }
    }
  });
});

/** (tx + 1) mod 4: each thread reads its neighbour's element, which only a barrier makes safe. */
const subMod = (v: Expr) => floormod(add(v, int(1)), int(4));

/** erf by numerical integration, independent of the implementation under test. */
function erfRef(x: number): number {
  const n = 20000, h = x / n;
  let s = 0;
  for (let q = 0; q < n; q++) { const t = (q + 0.5) * h; s += Math.exp(-t * t); }
  return (2 / Math.sqrt(Math.PI)) * s * h;
}

describe('tensor IR interpreter: errors', () => {
  it('reports out-of-bounds loads and stores with the buffer and indices', () => {
    const X = buffer('X', 'f32', [4, 3]), Y = buffer('Y', 'f32', [4, 3]);
    const shifted = new PrimFunc('shift', [X], [Y], loop(i, 4, loop(j, 3, store(Y, [i, j], load(X, [i, add(j, int(1))])))));
    const x = randomTensor('f32', [4, 3], 10);
    expect(() => runFunc(shifted, [x])).toThrow(KernelError);
    expect(() => runFunc(shifted, [x])).toThrow('out-of-bounds load X[0, 3] (shape [4, 3])');
    const over = new PrimFunc('over', [X], [Y], loop(i, 5, loop(j, 3, store(Y, [i, j], f32(1)))));
    expect(() => runFunc(over, [x])).toThrow('out-of-bounds store Y[4, 0] (shape [4, 3])');
  });

  it('keeps the checks that conditions do not justify', () => {
    const X = buffer('X', 'f32', [8]), Y = buffer('Y', 'f32', [10]);
    const x = randomTensor('f32', [8], 21);
    // i < 10 does not make X[i] safe for an X of 8 elements
    const guarded = new PrimFunc('g', [X], [Y], loop(i, 10, store(Y, [i], select(lt(i, int(10)), load(X, [i]), f32(0)))));
    expect(() => runFunc(guarded, [x])).toThrow('out-of-bounds load X[8]');
    // a fact about the outer i says nothing about an inner loop that rebinds i
    const rebound = new PrimFunc('r', [X], [Y], loop(j, 1, forLoop(i, int(0), int(2), ifThen(lt(i, int(4)),
      loop(i, 9, store(Y, [i], load(X, [i])))))));
    expect(() => runFunc(rebound, [x])).toThrow('out-of-bounds load X[8]');
  });

  it('checks gathers through i64 indices', () => {
    const X = buffer('X', 'f32', [5]), I = buffer('I', 'i64', [3]), Y = buffer('Y', 'f32', [3]);
    const f = new PrimFunc('gather', [X, I], [Y], loop(i, 3, store(Y, [i], load(X, [cast('i32', load(I, [i]))]))));
    const x = randomTensor('f32', [5], 22);
    expect(Array.from(runFunc(f, [x, Tensor.i64([4, 0, 2])])[0].data as Float32Array)).toEqual([4, 0, 2].map((q) => (x.data as Float32Array)[q]));
    expect(() => runFunc(f, [x, Tensor.i64([4, -1, 2])])).toThrow('out-of-bounds load X[-1] (shape [5])');
  });

  it('poisons fresh allocations, so reading before writing is visible', () => {
    const X = buffer('X', 'f32', [4]), Y = buffer('Y', 'f32', [4]), T = buffer('T', 'f32', [1], 'local');
    const f = new PrimFunc('uninit', [X], [Y], loop(i, 4, allocate(T, store(Y, [i], add(load(T, [int(0)]), load(X, [i]))))));
    expect(Array.from(runFunc(f, [randomTensor('f32', [4], 23)])[0].data as Float32Array).every(Number.isNaN)).toBe(true);
  });

  it('rejects unbound variables, wrong inputs and writes to inputs', () => {
    const X = buffer('X', 'f32', [4]), Y = buffer('Y', 'f32', [4]);
    expect(() => compileFunc(new PrimFunc('u', [X], [Y], loop(i, 4, store(Y, [i], load(X, [j])))))).toThrow('variable j is used outside');
    const ok = new PrimFunc('ok', [X], [Y], loop(i, 4, store(Y, [i], load(X, [i]))));
    expect(() => runFunc(ok, [randomTensor('f32', [5], 1)])).toThrow('input X is f32[4], given f32[5]');
    expect(() => compileFunc(new PrimFunc('w', [X], [Y], loop(i, 4, store(X, [i], f32(1)))))).toThrow('writes its input X');
  });
});

describe('tensor IR interpreter: threads and barriers', () => {
  const n = 16, t = 4;
  const a = randomTensor('f32', [n, n], 11), b = randomTensor('f32', [n, n], 12);
  const expected = refMatmul(a.data as Float32Array, b.data as Float32Array, n, n, n);

  it('runs a shared-memory tiled matmul with two barriers per k-step correctly', () => {
    expect(runFunc(tiledMatmul(n, t), [a, b])[0].data).toEqual(expected);
    expect(compileFunc(tiledMatmul(n, t)).source).toContain('function*');
  });

  it('gives each thread its own copy of a local buffer allocated outside the thread loops', () => {
    expect(runFunc(tiledMatmul(n, t, undefined, true), [a, b])[0].data).toEqual(expected);
  });

  it('produces a wrong answer when either barrier is missing (a race, not a pass)', () => {
    for (const drop of ['first', 'second'] as const) {
      const c = runFunc(tiledMatmul(n, t, drop), [a, b])[0].data as Float32Array;
      const wrong = c.filter((v, q) => !(v === expected[q])).length;
      expect(wrong, `barrier ${drop} removed`).toBeGreaterThan(n * n / 4);
    }
  });

  it('runs blocks and threads without barriers, guarding sibling thread loops of smaller extent', () => {
    const X = buffer('X', 'f32', [6, 8]), Y = buffer('Y', 'f32', [6, 8]), Z = buffer('Z', 'f32', [6, 4]);
    const body = forLoop(bx, int(0), int(6), seq([
      forLoop(tx, int(0), int(8), store(Y, [bx, tx], mul(load(X, [bx, tx]), f32(2))), 'bound', 'threadIdx.x'),
      forLoop(ty, int(0), int(4), store(Z, [bx, ty], add(load(X, [bx, ty]), f32(1))), 'bound', 'threadIdx.x'),
    ]), 'bound', 'blockIdx.x');
    const x = randomTensor('f32', [6, 8], 19);
    const [y, z] = runFunc(new PrimFunc('ew', [X], [Y, Z], body), [x]);
    const xd = x.data as Float32Array;
    expect(Array.from(y.data as Float32Array)).toEqual(Array.from(xd, (v) => fr(v * 2)));
    expect(Array.from(z.data as Float32Array)).toEqual(Array.from({ length: 24 }, (_, q) => fr(xd[Math.floor(q / 4) * 8 + (q % 4)] + 1)));
  });

  it('keeps a local buffer allocated around two thread launches private to each thread', () => {
    const X = buffer('X', 'f32', [4]), Y = buffer('Y', 'f32', [4]), T = buffer('T', 'f32', [1], 'local');
    const body = allocate(T, seq([
      forLoop(tx, int(0), int(4), store(T, [int(0)], load(X, [tx])), 'bound', 'threadIdx.x'),
      forLoop(tx, int(0), int(4), store(Y, [tx], load(T, [int(0)])), 'bound', 'threadIdx.x'),
    ]));
    const x = randomTensor('f32', [4], 30);
    expect(runFunc(new PrimFunc('tl', [X], [Y], body), [x])[0].data).toEqual(x.data);
  });

  it('gives every block fresh shared memory', () => {
    const X = buffer('X', 'f32', [4]), Y = buffer('Y', 'f32', [2, 4]), S = buffer('S', 'f32', [4], 'shared');
    const body = forLoop(bx, int(0), int(2), allocate(S, forLoop(tx, int(0), int(4), seq([
      ifThen(binary('eq', bx, int(0)), store(S, [tx], load(X, [tx]))),
      barrier,
      store(Y, [bx, tx], load(S, [subMod(tx)])),
    ]), 'bound', 'threadIdx.x')), 'bound', 'blockIdx.x');
    const x = randomTensor('f32', [4], 20);
    const y = runFunc(new PrimFunc('sh', [X], [Y], body), [x])[0].data as Float32Array;
    expect(Array.from(y.subarray(0, 4))).toEqual([1, 2, 3, 0].map((q) => (x.data as Float32Array)[q]));
    expect(Array.from(y.subarray(4)).every(Number.isNaN)).toBe(true); // block 1 never wrote its shared memory
  });

  it('fails on barrier divergence', () => {
    const X = buffer('X', 'f32', [4]), Y = buffer('Y', 'f32', [4]);
    const body = forLoop(tx, int(0), int(4), seq([ifThen(lt(tx, int(2)), barrier), store(Y, [tx], load(X, [tx]))]), 'bound', 'threadIdx.x');
    expect(() => runFunc(new PrimFunc('div', [X], [Y], body), [randomTensor('f32', [4], 1)])).toThrow(/barrier divergence.*thread \(0, 0, 0\) reached barrier #0 but thread \(2, 0, 0\) reached the end/);
  });
});

describe('tensor IR interpreter: intrinsics', () => {
  it('executes matmul_tile on offset tiles of larger buffers, with and without accumulation', () => {
    const A = buffer('A', 'f32', [8, 6]), B = buffer('B', 'f32', [6, 10]), C = buffer('C', 'f32', [8, 10]);
    const tile = (acc: number) => intrinsic('matmul_tile', [
      { buffer: C, offsets: [int(2), int(4)], extents: [4, 5] },
      { buffer: A, offsets: [int(2), int(0)], extents: [4, 6] },
      { buffer: B, offsets: [int(0), int(4)], extents: [6, 5] },
      constant(acc, 'bool'),
    ]);
    const init = loop(i, 8, loop(j, 10, store(C, [i, j], f32(0.5))));
    const a = randomTensor('f32', [8, 6], 13), b = randomTensor('f32', [6, 10], 14);
    const ad = a.data as Float32Array, bd = b.data as Float32Array;
    for (const acc of [0, 1]) {
      const c = runFunc(new PrimFunc('mt', [A, B], [C], seq([init, tile(acc)])), [a, b])[0].data as Float32Array;
      for (let r = 0; r < 8; r++) for (let q = 0; q < 10; q++) {
        let s = 0.5;
        if (r >= 2 && r < 6 && q >= 4 && q < 9) {
          s = acc ? 0.5 : 0;
          for (let p = 0; p < 6; p++) s = fr(s + fr(ad[r * 6 + p] * bd[p * 10 + q]));
        }
        expect(c[r * 10 + q]).toBe(s);
      }
    }
  });

  it('reads 4-D regions with unit dims as matrices (a conv tile: W[co,ci] × X[ci,w])', () => {
    const X = buffer('X', 'f32', [1, 3, 2, 5]), W = buffer('W', 'f32', [4, 3, 1, 1]), Y = buffer('Y', 'f32', [1, 4, 2, 5]);
    const body = loop(i, 2, intrinsic('matmul_tile', [
      { buffer: Y, offsets: [int(0), int(0), i, int(0)], extents: [1, 4, 1, 5] },
      { buffer: W, offsets: [int(0), int(0), int(0), int(0)], extents: [4, 3, 1, 1] },
      { buffer: X, offsets: [int(0), int(0), i, int(0)], extents: [1, 3, 1, 5] },
      constant(0, 'bool'),
    ]));
    const x = randomTensor('f32', [1, 3, 2, 5], 15), w = randomTensor('f32', [4, 3, 1, 1], 16);
    const y = runFunc(new PrimFunc('conv1x1', [X, W], [Y], body), [x, w])[0].data as Float32Array;
    const xd = x.data as Float32Array, wd = w.data as Float32Array;
    for (let co = 0; co < 4; co++) for (let h = 0; h < 2; h++) for (let q = 0; q < 5; q++) {
      let s = 0;
      for (let ci = 0; ci < 3; ci++) s = fr(s + fr(wd[co * 3 + ci] * xd[ci * 10 + h * 5 + q]));
      expect(y[co * 10 + h * 5 + q]).toBe(s);
    }
  });

  it('runs an NPU-style kernel through scratchpad and accumulator buffers', () => {
    const A = buffer('A', 'f32', [8, 4]), B = buffer('B', 'f32', [4, 8]), C = buffer('C', 'f32', [8, 8]);
    const As = buffer('As', 'f32', [4, 4], 'scratchpad'), Acc = buffer('Acc', 'f32', [4, 8], 'accumulator');
    const region = (b: typeof A, offsets: Expr[], extents: number[]) => ({ buffer: b, offsets, extents });
    const body = loop(i, 2, allocate(As, allocate(Acc, seq([
      loop(j, 4, loop(k, 4, store(As, [j, k], load(A, [add(mul(i, int(4)), j), k])))),
      intrinsic('matmul_tile', [region(Acc, [int(0), int(0)], [4, 8]), region(As, [int(0), int(0)], [4, 4]), region(B, [int(0), int(0)], [4, 8]), constant(0, 'bool')]),
      loop(j, 4, loop(k, 8, store(C, [add(mul(i, int(4)), j), k], load(Acc, [j, k])))),
    ]))));
    const a = randomTensor('f32', [8, 4], 31), b = randomTensor('f32', [4, 8], 32);
    expect(runFunc(new PrimFunc('npu', [A, B], [C], body), [a, b])[0].data).toEqual(refMatmul(a.data as Float32Array, b.data as Float32Array, 8, 4, 8));
  });

  it('accumulates int8 products into an i32 tile', () => {
    const A = buffer('A', 'i8', [3, 4]), B = buffer('B', 'i8', [4, 2]), C = buffer('C', 'i32', [3, 2]);
    const f = new PrimFunc('q', [A, B], [C], intrinsic('matmul_tile', [
      { buffer: C, offsets: [int(0), int(0)], extents: [3, 2] },
      { buffer: A, offsets: [int(0), int(0)], extents: [3, 4] },
      { buffer: B, offsets: [int(0), int(0)], extents: [4, 2] },
      constant(0, 'bool'),
    ]));
    const a = randomTensor('i8', [3, 4], 25, -128, 128), b = randomTensor('i8', [4, 2], 26, -128, 128);
    const c = runFunc(f, [a, b])[0].data as Int32Array;
    const ad = a.data as Int8Array, bd = b.data as Int8Array;
    for (let r = 0; r < 3; r++) for (let q = 0; q < 2; q++) {
      let s = 0;
      for (let p = 0; p < 4; p++) s += ad[r * 4 + p] * bd[p * 2 + q];
      expect(c[r * 2 + q]).toBe(s);
    }
  });

  it('executes mac lane by lane and checks region bounds', () => {
    const A = buffer('A', 'f32', [2, 8]), B = buffer('B', 'f32', [8]), Acc = buffer('Acc', 'f32', [8]);
    const mac = (off: number) => intrinsic('mac', [
      { buffer: Acc, offsets: [int(0)], extents: [8] },
      { buffer: A, offsets: [int(1), int(off)], extents: [1, 8] },
      { buffer: B, offsets: [int(0)], extents: [8] },
    ]);
    const init = loop(i, 8, store(Acc, [i], f32(1)));
    const a = randomTensor('f32', [2, 8], 17), b = randomTensor('f32', [8], 18);
    const acc = runFunc(new PrimFunc('mac', [A, B], [Acc], seq([init, mac(0)])), [a, b])[0].data as Float32Array;
    const ad = a.data as Float32Array, bd = b.data as Float32Array;
    expect(Array.from(acc)).toEqual(Array.from({ length: 8 }, (_, l) => fr(1 + fr(ad[8 + l] * bd[l]))));
    expect(() => runFunc(new PrimFunc('mac2', [A, B], [Acc], seq([init, mac(1)])), [a, b])).toThrow('out-of-bounds intrinsic region A[1, 1 : 1, 8]');
  });
});

/** The unscheduled loop nest of a padded 3×3 convolution, as lowering writes it. */
function naiveConv(c: number, hw: number, k: number): PrimFunc {
  const X = buffer('X', 'f32', [1, c, hw, hw]), W = buffer('W', 'f32', [k, c, 3, 3]), Y = buffer('Y', 'f32', [1, k, hw, hw]);
  const [n, o, h, w, ci, r, q] = ['n', 'o', 'h', 'w', 'ci', 'r', 'q'].map((x) => variable(x));
  const ih = sub(add(h, r), int(1)), iw = sub(add(w, q), int(1));
  const inside = (e: Expr) => and(binary('ge', e, int(0)), lt(e, int(hw)));
  const xv = select(and(inside(ih), inside(iw)), load(X, [n, ci, ih, iw]), f32(0));
  const y = [n, o, h, w];
  const body = loop(n, 1, loop(o, k, loop(h, hw, loop(w, hw, seq([
    store(Y, y, f32(0)),
    loop(ci, c, loop(r, 3, loop(q, 3, store(Y, y, add(load(Y, y), mul(xv, load(W, [o, ci, r, q]))))))),
  ])))));
  return new PrimFunc(`conv_${c}_${hw}_${k}`, [X, W], [Y], body);
}

describe('tensor IR interpreter: speed', () => {
  // CPU time, not wall time: CI machines run several suites at once.
  for (const [c, hw, k, budgetMs] of [[3, 224, 64, 2000], [64, 56, 64, 5000]]) {
    it(`runs a naive 3×3 conv ${c}→${k} on ${hw}×${hw} within ${budgetMs} ms of CPU, correctly`, () => {
      const x = randomTensor('f32', [1, c, hw, hw], 27), w = randomTensor('f32', [k, c, 3, 3], 28);
      const t0 = process.cpuUsage();
      const y = runFunc(naiveConv(c, hw, k), [x, w])[0].data as Float32Array;
      const ms = process.cpuUsage(t0).user / 1000;
      expect(ms).toBeLessThan(budgetMs);
      const xd = x.data as Float32Array, wd = w.data as Float32Array, r = rng(29);
      for (let s = 0; s < 200; s++) {
        const o = Math.floor(r() * k), h = Math.floor(r() * hw), ww = Math.floor(r() * hw);
        let acc = 0;
        for (let ci = 0; ci < c; ci++) for (let dr = 0; dr < 3; dr++) for (let dq = 0; dq < 3; dq++) {
          const ih = h + dr - 1, iw = ww + dq - 1;
          const v = ih >= 0 && ih < hw && iw >= 0 && iw < hw ? xd[(ci * hw + ih) * hw + iw] : 0;
          acc = fr(acc + fr(v * wd[((o * c + ci) * 3 + dr) * 3 + dq]));
        }
        expect(y[(o * hw + h) * hw + ww]).toBe(acc);
      }
    });
  }
});
