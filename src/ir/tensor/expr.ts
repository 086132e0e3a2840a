// Tensor IR expressions. Every node is interned: building the same structure twice returns the same
// object, so structural equality is identity (`a === b`) and printing is deterministic. Constructors
// canonicalize (fold constants, drop identities, put constants on the right of commutative ops).
import type { DType } from '../graph/dtype.ts';
import { isFloat } from '../graph/dtype.ts';
import type { Buffer } from './buffer.ts';

export type BinOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'floordiv' | 'floormod' | 'min' | 'max' | 'pow'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'and' | 'or';

export type UnOp = 'neg' | 'not';

/** Math intrinsics callable from expressions; codegens map each to their spelling. */
export const MATH_FUNCS = ['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'erf', 'abs', 'floor', 'ceil', 'round',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'sign', 'isnan', 'isinf'] as const;
export type MathFunc = (typeof MATH_FUNCS)[number];

export type Expr = Var | Const | Binary | Unary | Cast | Select | Load | Call;

let nextId = 0;
const table = new Map<string, Expr>();

function intern<T extends Expr>(key: string, make: () => T): T {
  const hit = table.get(key);
  if (hit) return hit as T;
  const e = make();
  table.set(key, e);
  return e;
}

/** Number of distinct expressions ever built (for tests of interning). */
export function internedCount(): number { return table.size; }

abstract class Node {
  readonly id = nextId++;
  abstract readonly kind: string;
  abstract readonly dtype: DType;
}

export class Var extends Node {
  readonly kind = 'var';
  constructor(readonly name: string, readonly dtype: DType) { super(); }
}
export class Const extends Node {
  readonly kind = 'const';
  constructor(readonly value: number, readonly dtype: DType) { super(); }
}
export class Binary extends Node {
  readonly kind = 'binary';
  constructor(readonly op: BinOp, readonly a: Expr, readonly b: Expr, readonly dtype: DType) { super(); }
}
export class Unary extends Node {
  readonly kind = 'unary';
  constructor(readonly op: UnOp, readonly a: Expr, readonly dtype: DType) { super(); }
}
export class Cast extends Node {
  readonly kind = 'cast';
  constructor(readonly a: Expr, readonly dtype: DType) { super(); }
}
export class Select extends Node {
  readonly kind = 'select';
  constructor(readonly cond: Expr, readonly a: Expr, readonly b: Expr, readonly dtype: DType) { super(); }
}
export class Load extends Node {
  readonly kind = 'load';
  constructor(readonly buffer: Buffer, readonly indices: readonly Expr[], readonly dtype: DType) { super(); }
}
export class Call extends Node {
  readonly kind = 'call';
  constructor(readonly fn: MathFunc, readonly args: readonly Expr[], readonly dtype: DType) { super(); }
}

// ---------------------------------------------------------------- constructors

export const INDEX: DType = 'i32';

export function variable(name: string, dtype: DType = INDEX): Var {
  return intern(`v|${name}|${dtype}`, () => new Var(name, dtype));
}

/** A constant; integer types truncate, f32 rounds to single precision, bool is 0/1. */
export function constant(value: number, dtype: DType = INDEX): Const {
  let v = value;
  if (dtype === 'f32') v = Math.fround(value);
  else if (dtype === 'bool') v = value ? 1 : 0;
  else if (!isFloat(dtype)) v = wrapInt(Math.trunc(value), dtype) + 0; // + 0 turns -0 into 0
  return intern(`c|${dtype}|${Object.is(v, -0) ? '-0' : v}`, () => new Const(v, dtype));
}

/** Two's-complement wrap of an integer to the width of an integer dtype (i64/u64 stay exact below 2^53). */
export function wrapInt(v: number, dtype: DType): number {
  switch (dtype) {
    case 'i32': return v | 0;
    case 'u32': return v >>> 0;
    case 'i16': return (v << 16) >> 16;
    case 'u16': return v & 0xffff;
    case 'i8': return (v << 24) >> 24;
    case 'u8': return v & 0xff;
    case 'i4': return (v << 28) >> 28;
    case 'u4': return v & 0xf;
    default: return v;
  }
}

export const int = (v: number) => constant(v, INDEX);
export const f32 = (v: number) => constant(v, 'f32');

const COMMUTATIVE = new Set<BinOp>(['add', 'mul', 'min', 'max', 'eq', 'ne', 'and', 'or']);
const COMPARE = new Set<BinOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

export function isConst(e: Expr, v?: number): e is Const {
  return e instanceof Const && (v === undefined || e.value === v);
}

/** Evaluates a binary op on numbers with the IR's semantics (floor division for integers). */
export function evalBinary(op: BinOp, x: number, y: number, dtype: DType): number {
  const int = !isFloat(dtype);
  switch (op) {
    case 'add': return x + y;
    case 'sub': return x - y;
    case 'mul': return int ? Math.imul(x, y) : x * y;
    case 'div': return int ? (y === 0 ? 0 : Math.trunc(x / y)) : x / y;
    case 'floordiv': return y === 0 ? 0 : Math.floor(x / y);
    case 'floormod': return y === 0 ? 0 : x - Math.floor(x / y) * y;
    case 'min': return Math.min(x, y);
    case 'max': return Math.max(x, y);
    case 'pow': return Math.pow(x, y);
    case 'eq': return +(x === y);
    case 'ne': return +(x !== y);
    case 'lt': return +(x < y);
    case 'le': return +(x <= y);
    case 'gt': return +(x > y);
    case 'ge': return +(x >= y);
    case 'and': return +(!!x && !!y);
    case 'or': return +(!!x || !!y);
  }
}

export function binary(op: BinOp, a: Expr, b: Expr): Expr {
  if (a.dtype !== b.dtype) throw new Error(`tensor IR: ${op} of ${a.dtype} and ${b.dtype}`);
  const dtype: DType = COMPARE.has(op) ? 'bool' : a.dtype;
  if (a instanceof Const && b instanceof Const) return constant(evalBinary(op, a.value, b.value, a.dtype), dtype);
  if (COMMUTATIVE.has(op) && a instanceof Const) [a, b] = [b, a];
  // Identities that hold for every value (no NaN subtleties: x*0 is not folded for floats).
  if (b instanceof Const) {
    const v = b.value;
    if ((op === 'add' || op === 'sub') && v === 0) return a;
    if ((op === 'mul' || op === 'floordiv' || op === 'div') && v === 1) return a;
    if (op === 'floormod' && v === 1 && !isFloat(a.dtype)) return constant(0, a.dtype);
    if (op === 'mul' && v === 0 && !isFloat(a.dtype)) return constant(0, a.dtype);
  }
  return intern(`b|${op}|${a.id}|${b.id}`, () => new Binary(op, a, b, dtype));
}

export const add = (a: Expr, b: Expr) => binary('add', a, b);
export const sub = (a: Expr, b: Expr) => binary('sub', a, b);
export const mul = (a: Expr, b: Expr) => binary('mul', a, b);
export const div = (a: Expr, b: Expr) => binary('div', a, b);
export const floordiv = (a: Expr, b: Expr) => binary('floordiv', a, b);
export const floormod = (a: Expr, b: Expr) => binary('floormod', a, b);
export const min = (a: Expr, b: Expr) => binary('min', a, b);
export const max = (a: Expr, b: Expr) => binary('max', a, b);
export const lt = (a: Expr, b: Expr) => binary('lt', a, b);
export const and = (a: Expr, b: Expr) => binary('and', a, b);

export function unary(op: UnOp, a: Expr): Expr {
  if (a instanceof Const) return constant(op === 'neg' ? -a.value : +!a.value, a.dtype);
  if (a instanceof Unary && a.op === op) return a.a;
  return intern(`u|${op}|${a.id}`, () => new Unary(op, a, a.dtype));
}

export function cast(dtype: DType, a: Expr): Expr {
  if (a.dtype === dtype) return a;
  if (a instanceof Const) return constant(isFloat(dtype) || !isFloat(a.dtype) ? a.value : Math.trunc(a.value), dtype);
  return intern(`x|${dtype}|${a.id}`, () => new Cast(a, dtype));
}

export function select(cond: Expr, a: Expr, b: Expr): Expr {
  if (cond.dtype !== 'bool') throw new Error(`tensor IR: select condition is ${cond.dtype}`);
  if (a.dtype !== b.dtype) throw new Error(`tensor IR: select of ${a.dtype} and ${b.dtype}`);
  if (cond instanceof Const) return cond.value ? a : b;
  if (a === b) return a;
  return intern(`s|${cond.id}|${a.id}|${b.id}`, () => new Select(cond, a, b, a.dtype));
}

export function load(buffer: Buffer, indices: readonly Expr[]): Load {
  if (indices.length !== buffer.shape.length) {
    throw new Error(`tensor IR: ${buffer.name} has rank ${buffer.shape.length}, indexed with ${indices.length}`);
  }
  return intern(`l|${buffer.id}|${indices.map((i) => i.id).join(',')}`, () => new Load(buffer, indices, buffer.dtype));
}

/** Result type of a math intrinsic: a predicate is bool, everything else keeps its argument's type. */
export function callType(fn: MathFunc, args: readonly Expr[]): DType {
  return fn === 'isnan' || fn === 'isinf' ? 'bool' : args[0].dtype;
}

export function call(fn: MathFunc, args: readonly Expr[]): Expr {
  if (args.length !== 1) throw new Error(`tensor IR: ${fn} takes one argument`);
  const dtype = callType(fn, args);
  return intern(`f|${fn}|${dtype}|${args.map((a) => a.id).join(',')}`, () => new Call(fn, args, dtype));
}

/** Children of an expression, in order. */
export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'var': case 'const': return [];
    case 'binary': return [e.a, e.b];
    case 'unary': case 'cast': return [e.a];
    case 'select': return [e.cond, e.a, e.b];
    case 'load': return e.indices;
    case 'call': return e.args;
  }
}

/** Rebuilds an expression bottom-up, replacing nodes where `f` returns a value. Memoized per call. */
export function rewriteExpr(e: Expr, f: (e: Expr) => Expr | undefined, memo = new Map<Expr, Expr>()): Expr {
  const hit = memo.get(e);
  if (hit) return hit;
  const direct = f(e);
  let out: Expr;
  if (direct) out = direct;
  else {
    const r = (x: Expr) => rewriteExpr(x, f, memo);
    switch (e.kind) {
      case 'var': case 'const': out = e; break;
      case 'binary': out = binary(e.op, r(e.a), r(e.b)); break;
      case 'unary': out = unary(e.op, r(e.a)); break;
      case 'cast': out = cast(e.dtype, r(e.a)); break;
      case 'select': out = select(r(e.cond), r(e.a), r(e.b)); break;
      case 'load': out = load(e.buffer, e.indices.map(r)); break;
      case 'call': out = call(e.fn, e.args.map(r)); break;
    }
  }
  memo.set(e, out);
  return out;
}

/** Substitutes variables. */
export function substitute(e: Expr, map: ReadonlyMap<Var, Expr>): Expr {
  if (map.size === 0) return e;
  return rewriteExpr(e, (x) => (x instanceof Var ? map.get(x) : undefined));
}

/** Variables an expression reads. */
export function freeVars(e: Expr, out = new Set<Var>()): Set<Var> {
  if (e instanceof Var) out.add(e);
  for (const c of children(e)) freeVars(c, out);
  return out;
}
