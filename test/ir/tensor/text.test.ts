// The tensor IR text form: print → parse → print is byte-identical and parsing yields the very same
// interned nodes; every error carries file:line:column; the committed generated parser is current.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DType } from '../../../src/ir/graph/dtype.ts';
import { type Buffer, buffer } from '../../../src/ir/tensor/buffer.ts';
import {
  type BinOp, type Expr, MATH_FUNCS, binary, call, cast, children, constant, int, load, select, unary, variable,
} from '../../../src/ir/tensor/expr.ts';
import { PrimFunc } from '../../../src/ir/tensor/func.ts';
import { printFunc, printModule } from '../../../src/ir/tensor/print.ts';
import { type Stmt, forLoop, isRegion, seq, store, stmtChildren } from '../../../src/ir/tensor/stmt.ts';
import { parseFunc, parseTir } from '../../../src/ir/tensor/text/parser.ts';
import { verifyFunc } from '../../../src/ir/tensor/verify.ts';
import { rng } from '../../../src/runtime/random.ts';
import { ParseError } from '../../../src/util/errors.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/ir/tensor/fixtures');
/** Fixtures in printed form; comments.tir is hand-written and checked separately. */
const PRINTED = readdirSync(FIXTURES).filter((f) => f.endsWith('.tir') && f !== 'comments.tir').sort();

/** Asserts two statement trees hold the same (===) expressions and buffers everywhere. */
function expectSameNodes(a: Stmt, b: Stmt): void {
  expect(b.kind).toBe(a.kind);
  const exprs = (s: Stmt): readonly unknown[] => {
    switch (s.kind) {
      case 'for': return [s.loopVar, s.min, s.extent, s.loopKind, s.thread];
      case 'store': return [s.buffer, ...s.indices, s.value];
      case 'allocate': return [s.buffer];
      case 'if': return [s.cond];
      case 'intrinsic': return [s.name, ...s.args.flatMap((x) => (isRegion(x) ? [x.buffer, ...x.offsets, ...x.extents] : [x]))];
      default: return [];
    }
  };
  const [xa, xb] = [exprs(a), exprs(b)];
  expect(xb.length).toBe(xa.length);
  xa.forEach((x, i) => expect(xb[i] === x).toBe(true));
  const [ca, cb] = [stmtChildren(a), stmtChildren(b)];
  expect(cb.length).toBe(ca.length);
  ca.forEach((c, i) => expectSameNodes(c, cb[i]));
}

describe('round trip of the fixtures', () => {
  it.each(PRINTED)('%s: print(parse(text)) is the text, and it verifies', (name) => {
    const text = readFileSync(join(FIXTURES, name), 'utf8');
    const fs = parseTir(text, name);
    expect(fs.length).toBeGreaterThan(0);
    expect(printModule(fs)).toBe(text);
    for (const f of fs) verifyFunc(f);
  });

  it.each(PRINTED)('%s: parsing the printed form again gives identical nodes', (name) => {
    const first = parseTir(readFileSync(join(FIXTURES, name), 'utf8'));
    const again = parseTir(printModule(first));
    first.forEach((f, k) => {
      expect(again[k].name).toBe(f.name);
      expect(again[k].params.every((b, i) => b === f.params[i])).toBe(true);
      expectSameNodes(f.body, again[k].body);
    });
  });

  it('every construct of the text form occurs in some fixture', () => {
    const all = PRINTED.map((f) => readFileSync(join(FIXTURES, f), 'utf8')).join('\n');
    const constructs = [' unroll {', ' vectorize {', ' parallel {', ' bind blockIdx.', ' bind threadIdx.', ' shared {', ' local {',
      ' scratchpad {', ' accumulator {', 'barrier;', 'intrin matmul_tile(', 'intrin mac(', '} else {', 'select(', 'min(', 'max(',
      'pow(', ' // ', ' % ', ' / ', ' && ', ' || ', ' == ', ' != ', ' <= ', ' >= ', '!', '-inf', 'nan', 'f16(', 'i64(-', 'f64(',
      'bf16(', 'u8(', 'i8(', 'e-', '[]', '() -> (', 'func '];
    for (const c of constructs) expect(all, c).toContain(c);
  });

  it('reads comments, free layout and soft keywords used as names', () => {
    const fs = parseTir(readFileSync(join(FIXTURES, 'comments.tir'), 'utf8'));
    expect(printModule(fs)).toBe(`func soft_names(in: f32[4], range: f32[4]) -> (bind: f32[4]) {
  for unroll in range(0, 4) unroll {
    bind[unroll] = in[unroll] * (range[unroll] + 1.0);
  }
  for parallel in range(0, 4) parallel {
    if parallel == 0 {
      bind[parallel] = bind[parallel];
    } else {

    }
  }
}
`);
  });
});

// ---------------------------------------------------------------- random expressions

type T = 'i32' | 'f32' | 'bool' | 'f16' | 'i64';
const I = buffer('I', 'i32', [4, 4]), F = buffer('F', 'f32', [4, 4]), H = buffer('H', 'f16', [4, 4]);
const OUT: Record<T, Buffer> = {
  i32: buffer('Oi', 'i32', [4, 4]), f32: buffer('Of', 'f32', [4, 4]), bool: buffer('Ob', 'bool', [4, 4]),
  f16: buffer('Oh', 'f16', [4, 4]), i64: buffer('Ol', 'i64', [4, 4]),
};
const FLOATS = [0, -0, 0.5, -2.25, 1e-7, 3.4e38, 1.401298464324817e-45, Infinity, -Infinity, NaN, 0.1, 123456.789];
const INTS = [0, 1, -1, 7, -13, 2147483647, -2147483648, 65536];

/** A random, well-typed expression built only through the canonicalizing constructors. */
function randomExpr(r: () => number, t: T, depth: number): Expr {
  const pick = <X,>(xs: readonly X[]): X => xs[Math.floor(r() * xs.length)];
  const sub = (u: T) => randomExpr(r, u, depth - 1);
  const idx = () => [randomExpr(r, 'i32', Math.min(depth - 1, 1)), randomExpr(r, 'i32', 0)];
  if (depth <= 0 || r() < 0.2) {
    switch (t) {
      case 'i32': return pick([() => variable('i'), () => variable('j'), () => int(pick(INTS)), () => int(Math.floor(r() * 200) - 100)])();
      case 'f32': return r() < 0.5 ? constant(pick(FLOATS), 'f32') : load(F, idx());
      case 'f16': return r() < 0.5 ? constant(pick(FLOATS), 'f16') : load(H, idx());
      case 'i64': return constant(pick([...INTS, 2 ** 40, -(2 ** 50)]), 'i64');
      case 'bool': return constant(r() < 0.5 ? 1 : 0, 'bool');
    }
  }
  const arith: BinOp[] = t === 'i32' || t === 'i64'
    ? ['add', 'sub', 'mul', 'floordiv', 'floormod', 'min', 'max']
    : ['add', 'sub', 'mul', 'div', 'min', 'max', 'pow'];
  const choice = r();
  if (t === 'bool') {
    if (choice < 0.4) return binary(pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as BinOp[]), ...((u: T) => [sub(u), sub(u)] as const)(pick(['i32', 'f32', 'f16'] as T[])));
    if (choice < 0.7) return binary(pick(['and', 'or'] as BinOp[]), sub('bool'), sub('bool'));
    if (choice < 0.85) return unary('not', sub('bool'));
    return call(pick(['isnan', 'isinf'] as const), [sub('f32')]);
  }
  if (choice < 0.45) return binary(pick(arith), sub(t), sub(t));
  if (choice < 0.55) return unary(r() < 0.8 ? 'neg' : 'not', sub(t));
  if (choice < 0.7) return cast(t as DType, sub(pick(['i32', 'f32', 'f16', 'i64', 'bool'] as T[])));
  if (choice < 0.85) return select(sub('bool'), sub(t), sub(t));
  if (t === 'i32') return load(I, idx());
  return call(pick(t === 'i64' ? ['abs', 'sign'] as const : MATH_FUNCS.filter((m) => m !== 'isnan' && m !== 'isinf')), [sub(t)]);
}

describe('random expressions', () => {
  it('600 seeded expressions print, parse to the identical node, and print the same', () => {
    const r = rng(20240611);
    const types: T[] = ['i32', 'f32', 'bool', 'f16', 'i64'];
    let checked = 0;
    for (let k = 0; k < 60; k++) {
      const values = Array.from({ length: 10 }, (_, n) => randomExpr(r, types[n % types.length], 1 + Math.floor(r() * 5)));
      const body = seq(values.map((v) => store(OUT[v.dtype as T], [variable('i'), variable('j')], v)));
      const ij = forLoop(variable('i'), int(0), int(4), forLoop(variable('j'), int(0), int(4), body));
      const f = new PrimFunc(`rand${k}`, [I, F, H], Object.values(OUT), ij);
      const text = printFunc(f);
      const g = parseFunc(text, `rand${k}.tir`);
      expect(printFunc(g)).toBe(text);
      expectSameNodes(f.body, g.body);
      checked += values.length;
    }
    expect(checked).toBe(600);
  });

  it('children of parsed expressions are shared with the originals (interning reaches the leaves)', () => {
    const f = parseFunc('func f(A: f32[2]) -> (B: f32[2]) {\n  for i in range(0, 2) {\n    B[i] = A[i] * A[i] + 1.0;\n  }\n}\n');
    const loop = f.body as Extract<Stmt, { kind: 'for' }>;
    const value = (loop.body as Extract<Stmt, { kind: 'store' }>).value;
    const [prod] = children(value);
    const [x, y] = children(prod);
    expect(x).toBe(y);
    expect(x).toBe(load(f.inputs[0], [variable('i')]));
  });
});

// ---------------------------------------------------------------- errors

const wrap = (body: string) => `func f(A: f32[4, 8], N: i32[4]) -> (C: f32[4, 8]) {\n${body}\n}\n`;

describe('errors carry file:line:column', () => {
  const spies = [vi.spyOn(console, 'error'), vi.spyOn(console, 'log'), vi.spyOn(console, 'warn')];
  afterEach(() => { for (const s of spies) expect(s).not.toHaveBeenCalled(); });

  const cases: [string, string, RegExp][] = [
    ['missing semicolon', wrap('  C[0, 0] = 1.0\n'), /^k\.tir:4:1: missing ';' at '}'/],
    ['stray character', wrap('  C[0, 0] = 1.0 @ 2.0;'), /^k\.tir:2:17: token recognition error at: '@'/],
    ['unclosed block', 'func f() -> () {\n  barrier;\n', /^k\.tir:3:1: .*expecting/],
    ['unknown variable', wrap('  C[0, 0] = f32(i);'), /^k\.tir:2:17: unknown variable i/],
    ['variable out of scope', wrap('  for i in range(0, 4) {\n  }\n  C[i, 0] = 0.0;'), /^k\.tir:4:5: unknown variable i/],
    ['unknown buffer', wrap('  D[0, 0] = 1.0;'), /^k\.tir:2:3: unknown buffer D/],
    ['buffer after its alloc', wrap('  alloc S: f32[2] local {\n  }\n  C[0, 0] = S[0];'), /^k\.tir:4:13: unknown buffer S/],
    ['buffer as a value', wrap('  C[0, 0] = A;'), /^k\.tir:2:13: buffer A used without indices/],
    ['load rank', wrap('  C[0, 0] = A[0];'), /^k\.tir:2:13: A has rank 2, indexed with 1 indices/],
    ['store rank', wrap('  C[0, 0, 0] = 1.0;'), /^k\.tir:2:3: C has rank 2, indexed with 3 indices/],
    ['store type', wrap('  C[0, 0] = N[0];'), /^k\.tir:2:13: storing i32 into C of f32/],
    ['operand types', wrap('  C[0, 0] = A[0, 0] + 1;'), /^k\.tir:2:21: operands of \+ are f32 and i32/],
    ['float index', wrap('  C[0, 0] = A[0.5, 0];'), /^k\.tir:2:15: index of A is f32, expected i32/],
    ['float loop bound', wrap('  for i in range(0, 4.0) {\n  }'), /^k\.tir:2:21: loop bound is f32, expected i32/],
    ['if condition', wrap('  if 1 {\n  }'), /^k\.tir:2:6: if condition is i32, expected bool/],
    ['select condition', wrap('  C[0, 0] = select(1, 1.0, 2.0);'), /^k\.tir:2:13: select condition is i32/],
    ['unknown dtype', 'func f(A: f31[4]) -> () {\n}\n', /^k\.tir:1:11: unknown dtype f31/],
    ['unknown scope', wrap('  alloc S: f32[2] sharde {\n  }'), /^k\.tir:2:19: unknown scope sharde/],
    ['unknown thread axis', wrap('  for i in range(0, 4) bind threadIdx.w {\n  }'), /^k\.tir:2:29: unknown thread axis threadIdx\.w/],
    ['unknown function', wrap('  C[0, 0] = expp(1.0);'), /^k\.tir:2:13: unknown function expp/],
    ['arity', wrap('  C[0, 0] = max(1.0);'), /^k\.tir:2:13: max takes 2 arguments, got 1/],
    ['cast arity', wrap('  C[0, 0] = f32(1, 2);'), /^k\.tir:2:13: f32 takes 1 argument, got 2/],
    ['unknown intrinsic', wrap('  intrin gemm(C[0, 0 : 4, 8]);'), /^k\.tir:2:10: unknown intrinsic gemm/],
    ['intrinsic arguments', wrap('  intrin mac(C[0, 0 : 1, 8], A[0, 0 : 1, 8]);'), /^k\.tir:2:10: intrinsic mac takes 3 regions then 0 scalars/],
    ['region extents', wrap('  intrin mac(C[0, 0 : 8], A[0, 0 : 1, 8], A[0, 0 : 1, 8]);'), /^k\.tir:2:14: region of C has 1 extents/],
    ['i32 overflow', wrap('  C[0, 0] = f32(N[0] + 2147483648);'), /^k\.tir:2:24: integer 2147483648 does not fit in i32; write i64\(2147483648\)/],
    ['duplicate buffer', wrap('  alloc A: f32[2] local {\n  }'), /^k\.tir:2:9: buffer A is already declared/],
    ['duplicate parameter', 'func f(A: f32[4]) -> (A: f32[4]) {\n}\n', /^k\.tir:1:23: buffer A is already declared/],
    ['duplicate function', 'func f() -> () {\n}\n\nfunc f() -> () {\n}\n', /^k\.tir:4:6: function f is defined twice/],
  ];

  it.each(cases)('%s', (_name, text, message) => {
    let caught: unknown;
    try { parseTir(text, 'k.tir'); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(ParseError);
    expect((caught as ParseError).code).toBe('E_PARSE');
    expect((caught as Error).message).toMatch(message);
  });

  it('accepts the extreme i32 literal -2147483648 and typed wide integers', () => {
    const f = parseFunc('func f() -> (C: i64[1]) {\n  C[0] = i64(-2147483648) + i64(9007199254740991);\n}\n');
    expect(printFunc(f)).toContain('C[0] = i64(9007197107257343);');
    const g = parseFunc('func f() -> (C: i32[1]) {\n  C[0] = -2147483648;\n}\n');
    expect(printFunc(g)).toContain('C[0] = -2147483648;');
  });

  it('reports input nested too deeply as a ParseError, not a stack overflow', () => {
    const deep = wrap(`  C[0, 0] = ${'('.repeat(20000)}1.0${')'.repeat(20000)};`);
    expect(() => parseTir(deep, 'deep.tir')).toThrow(ParseError);
  });

  it('parseFunc wants exactly one function', () => {
    expect(() => parseFunc('', 'e.tir')).toThrow(/e\.tir: expected one function, found 0/);
    expect(parseTir('# only a comment\n')).toEqual([]);
  });
});

// ---------------------------------------------------------------- generated code

const hasJava = spawnSync('java', ['-version']).status === 0;

describe('generated parser', () => {
  const title = hasJava
    ? 'the committed files in src/ir/tensor/text/generated match fresh antlr4ng output (else run `npm run gen:parser`)'
    : 'SKIPPED: java is missing, so the generated parser cannot be checked against TIR.g4';
  it.skipIf(!hasJava)(title, () => {
    const fresh = mkdtempSync(join(tmpdir(), 'tir-gen-'));
    try {
      execFileSync('sh', [join(ROOT, 'scripts/gen-parser.sh'), fresh], { stdio: 'pipe' });
      const committed = join(ROOT, 'src/ir/tensor/text/generated');
      const names = readdirSync(fresh).sort();
      expect(readdirSync(committed).sort()).toEqual(names);
      for (const n of names) expect(readFileSync(join(committed, n), 'utf8'), n).toBe(readFileSync(join(fresh, n), 'utf8'));
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
