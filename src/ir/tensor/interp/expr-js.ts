// Tensor IR expressions → JavaScript expression text. Every IR value is a JS number; each operation
// is followed by the rounding (f32) or wrapping (integers) of its type, see values.ts. Every text
// returned is self-delimiting (an identifier, a call, a literal or parenthesized), so callers can
// splice it anywhere. `select` evaluates only the chosen operand, so a load guarded by a select
// (the usual padding pattern) is never executed out of bounds.
import { type DType, isFloat } from '../../graph/dtype.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../../util/float16.ts';
import type { Buffer } from '../buffer.ts';
import { type Interval, type Ranges, bounds } from '../bounds.ts';
import { type BinOp, type Binary, type Call, type Expr, type MathFunc, type Var, Const, children } from '../expr.ts';
import { convert, fromStorage, normalize, round, wrap } from './values.ts';

/** What expression emission needs from the statement compiler. */
export interface ExprScope {
  /** JS name of a bound loop variable; throws for an unbound one. */
  varName(v: Var): string;
  /** JS name of the array currently holding a buffer. */
  bufName(b: Buffer): string;
  /** Name of the bounds-checking accessor of a buffer (emitted once per buffer and kind). */
  accessor(b: Buffer, kind: 'load' | 'store', int32: boolean): string;
  /** Ranges of the enclosing loop variables, to drop checks that cannot fail. */
  readonly ranges: Ranges;
  /** Bounds of index expressions known from enclosing conditions (see `assume`). */
  readonly facts: Map<Expr, Interval>;
}

export function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${v})` : String(v);
}

/** A constant as a value of its type (constructors round f32 but not the 16-bit floats). */
function constValue(c: Const): number {
  if (c.dtype === 'f16') return f16BitsToF32(f32ToF16Bits(c.value));
  if (c.dtype === 'bf16') return bf16BitsToF32(f32ToBf16Bits(c.value));
  return c.dtype === 'f32' ? Math.fround(c.value) : c.value;
}

const COMPARE: Partial<Record<BinOp, string>> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };
const ARITH: Partial<Record<BinOp, string>> = { add: '+', sub: '-', mul: '*', div: '/' };

function floatBinary(op: BinOp, t: DType, a: string, b: string): string {
  switch (op) {
    case 'min': return `Math.min(${a}, ${b})`;
    case 'max': return `Math.max(${a}, ${b})`;
    case 'pow': return round(t, `Math.pow(${a}, ${b})`);
    case 'floordiv': return round(t, `fdiv(${a}, ${b})`);
    case 'floormod': return round(t, `fmod(${a}, ${b})`);
    default: return round(t, `${a} ${ARITH[op]} ${b}`);
  }
}

function intBinary(e: Binary, t: DType, a: string, b: string): string {
  const c = e.b instanceof Const && e.b.value > 0 ? e.b.value : undefined;
  switch (e.op) {
    case 'add': case 'sub': return wrap(t, `${a} ${ARITH[e.op]} ${b}`);
    case 'mul':
      if (t === 'i32') return `Math.imul(${a}, ${b})`;
      if (t === 'u32') return `(Math.imul(${a}, ${b}) >>> 0)`;
      return wrap(t, `${a} * ${b}`);
    // By a positive constant (the common index case) floor division needs no zero test.
    case 'floordiv': return wrap(t, c !== undefined ? `Math.floor(${a} / ${c})` : `idiv(${a}, ${b})`);
    case 'floormod': return c !== undefined ? wrap(t, `(${a} % ${c} + ${c}) % ${c}`) : wrap(t, `imod(${a}, ${b})`);
    case 'div': return wrap(t, `tdiv(${a}, ${b})`);
    case 'min': return `Math.min(${a}, ${b})`;
    case 'max': return `Math.max(${a}, ${b})`;
    case 'pow': return wrap(t, `Math.pow(${a}, ${b})`);
    default: throw new Error(`unreachable: ${e.op}`);
  }
}

function emitBinary(e: Binary, s: ExprScope): string {
  if (COMPARE[e.op] || e.op === 'and' || e.op === 'or') return `(${emitCond(e, s)} ? 1 : 0)`;
  const a = emitExpr(e.a, s), b = emitExpr(e.b, s), t = e.a.dtype;
  return isFloat(t) ? floatBinary(e.op, t, a, b) : intBinary(e, t, a, b);
}

/** An expression as a JS boolean, for conditions: no 0/1 round trips through nested comparisons. */
export function emitCond(e: Expr, s: ExprScope): string {
  if (e.kind === 'const') return e.value ? 'true' : 'false';
  if (e.kind === 'unary' && e.op === 'not') return `!${emitCond(e.a, s)}`;
  if (e.kind === 'binary') {
    const cmp = COMPARE[e.op];
    if (cmp) return `(${emitExpr(e.a, s)} ${cmp} ${emitExpr(e.b, s)})`;
    if (e.op === 'and') return `(${emitCond(e.a, s)} && ${emitCond(e.b, s)})`;
    if (e.op === 'or') return `(${emitCond(e.a, s)} || ${emitCond(e.b, s)})`;
  }
  return `(${emitExpr(e, s)} ? true : false)`;
}

const CALLS: Record<MathFunc, (a: string) => string> = {
  exp: (a) => `Math.exp(${a})`, log: (a) => `Math.log(${a})`, sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `(1 / Math.sqrt(${a}))`, tanh: (a) => `Math.tanh(${a})`, sigmoid: (a) => `sigmoid(${a})`,
  erf: (a) => `erf(${a})`, abs: (a) => `Math.abs(${a})`, floor: (a) => `Math.floor(${a})`, ceil: (a) => `Math.ceil(${a})`,
  round: (a) => `rint(${a})`, sin: (a) => `Math.sin(${a})`, cos: (a) => `Math.cos(${a})`, tan: (a) => `Math.tan(${a})`,
  asin: (a) => `Math.asin(${a})`, acos: (a) => `Math.acos(${a})`, atan: (a) => `Math.atan(${a})`,
  sinh: (a) => `Math.sinh(${a})`, cosh: (a) => `Math.cosh(${a})`, asinh: (a) => `Math.asinh(${a})`,
  acosh: (a) => `Math.acosh(${a})`, atanh: (a) => `Math.atanh(${a})`, sign: (a) => `Math.sign(${a})`,
  isnan: (a) => `(Number.isNaN(${a}) ? 1 : 0)`, isinf: (a) => `(Math.abs(${a}) === Infinity ? 1 : 0)`,
};

function emitCall(e: Call, s: ExprScope): string {
  const text = CALLS[e.fn](emitExpr(e.args[0], s));
  return e.dtype === 'bool' ? text : normalize(e.dtype, text);
}

export function emitExpr(e: Expr, s: ExprScope): string {
  switch (e.kind) {
    case 'var': return s.varName(e);
    case 'const': return literal(constValue(e));
    case 'binary': return emitBinary(e, s);
    case 'unary': {
      const a = emitExpr(e.a, s);
      if (e.op === 'not') return `(${a} ? 0 : 1)`;
      return isFloat(e.dtype) ? `(-${a})` : wrap(e.dtype, `-${a}`);
    }
    case 'cast': return convert(e.dtype, emitExpr(e.a, s));
    case 'select': {
      const then = assume(e.cond, s.facts, () => emitExpr(e.a, s));
      return `(${emitCond(e.cond, s)} ? ${then} : ${emitExpr(e.b, s)})`;
    }
    case 'load': return fromStorage(e.dtype, emitLoad(e.buffer, e.indices, s));
    case 'call': return emitCall(e, s);
  }
}

/** Row-major flat offset of constant-stride indices. */
export function flatOffset(shape: readonly number[], idx: readonly string[]): string {
  if (idx.length === 0) return '0';
  const terms: string[] = [];
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    terms.unshift(stride === 1 ? idx[d] : `${idx[d]} * ${stride}`);
    stride *= shape[d];
  }
  return terms.join(' + ');
}

function accessParts(b: Buffer, indices: readonly Expr[], s: ExprScope): { arr: string; idx: string[]; checked: boolean } {
  return { arr: s.bufName(b), idx: indices.map((i) => emitExpr(i, s)), checked: !provablyInBounds(b, indices, s) };
}

const int32Indices = (indices: readonly Expr[]) => indices.every((i) => i.dtype === 'i32');

/** A load's storage read; accesses that interval analysis proves in bounds skip the check. */
function emitLoad(b: Buffer, indices: readonly Expr[], s: ExprScope): string {
  const { arr, idx, checked } = accessParts(b, indices, s);
  return checked ? `${s.accessor(b, 'load', int32Indices(indices))}(${[arr, ...idx].join(', ')})` : `${arr}[${flatOffset(b.shape, idx)}]`;
}

/** A store statement of `value`, already in storage form. */
export function emitStore(b: Buffer, indices: readonly Expr[], value: string, s: ExprScope): string {
  const { arr, idx, checked } = accessParts(b, indices, s);
  return checked ? `${s.accessor(b, 'store', int32Indices(indices))}(${[arr, ...idx, value].join(', ')});` : `${arr}[${flatOffset(b.shape, idx)}] = ${value};`;
}

type Fact = [Expr, Interval];

/** `e >= c`-style facts in a conjunction of comparisons with constants. */
function factsOf(cond: Expr, out: Fact[] = []): Fact[] {
  if (cond.kind !== 'binary') return out;
  if (cond.op === 'and') { factsOf(cond.a, out); factsOf(cond.b, out); return out; }
  const { a, b } = cond;
  // A load's value may change under the fact (a store in the guarded body), so facts avoid loads.
  if (isFloat(a.dtype) || hasLoad(a) || hasLoad(b)) return out;
  const at = (e: Expr, lo: number, hi: number) => out.push([e, { lo, hi }]);
  if (b instanceof Const) {
    const c = b.value;
    if (cond.op === 'ge') at(a, c, Infinity); else if (cond.op === 'gt') at(a, c + 1, Infinity);
    else if (cond.op === 'lt') at(a, -Infinity, c - 1); else if (cond.op === 'le') at(a, -Infinity, c);
    else if (cond.op === 'eq') at(a, c, c);
  } else if (a instanceof Const) {
    const c = a.value;
    if (cond.op === 'le') at(b, c, Infinity); else if (cond.op === 'lt') at(b, c + 1, Infinity);
    else if (cond.op === 'gt') at(b, -Infinity, c - 1); else if (cond.op === 'ge') at(b, -Infinity, c);
  }
  return out;
}

function hasLoad(e: Expr): boolean { return e.kind === 'load' || children(e).some(hasLoad); }

/**
 * Runs `body` knowing that `cond` holds. The facts are about the very values the kernel computes
 * (the same interned expression is emitted the same way in the condition and in the index), so
 * they stay true even where the arithmetic wraps.
 */
export function assume<T>(cond: Expr, facts: Map<Expr, Interval>, body: () => T): T {
  const saved: Fact[] = [];
  for (const [e, iv] of factsOf(cond)) {
    const old = facts.get(e);
    saved.push([e, old ?? { lo: NaN, hi: NaN }]);
    facts.set(e, old ? { lo: Math.max(old.lo, iv.lo), hi: Math.min(old.hi, iv.hi) } : iv);
  }
  try { return body(); } finally {
    for (const [e, old] of saved.reverse()) { if (Number.isNaN(old.lo)) facts.delete(e); else facts.set(e, old); }
  }
}

const INT32: Interval = { lo: -(2 ** 31), hi: 2 ** 31 - 1 };

/**
 * Interval of an i32 expression, or undefined when some subexpression may leave the int32 range
 * (or is of another type): the analysis reasons about exact integers, the kernel computes with
 * wraparound. Comparisons are bool and always exact; their operands need not be.
 */
function exactBounds(e: Expr, ranges: Ranges, memo: Map<Expr, Interval | undefined>): Interval | undefined {
  if (memo.has(e)) return memo.get(e);
  let out: Interval | undefined = bounds(e, ranges);
  if (e.dtype === 'bool') out = { lo: 0, hi: 1 };
  else if (e.dtype !== 'i32' || out.lo < INT32.lo || out.hi > INT32.hi || (e.kind === 'cast' && e.a.dtype !== 'i32' && e.a.dtype !== 'bool')) out = undefined;
  else if (e.kind !== 'load') {
    for (const c of children(e)) if (!exactBounds(c, ranges, memo)) { out = undefined; break; }
  }
  memo.set(e, out);
  return out;
}

function provablyInBounds(b: Buffer, indices: readonly Expr[], s: ExprScope): boolean {
  const memo = new Map<Expr, Interval | undefined>();
  return indices.every((ix, d) => {
    const exact = exactBounds(ix, s.ranges, memo), fact = s.facts.get(ix);
    const lo = Math.max(exact?.lo ?? -Infinity, fact?.lo ?? -Infinity), hi = Math.min(exact?.hi ?? Infinity, fact?.hi ?? Infinity);
    return lo >= 0 && hi < b.shape[d];
  });
}
