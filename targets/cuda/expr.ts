// Tensor IR expressions as CUDA C++. Arithmetic keeps the IR's meaning: integer floordiv/floormod
// round toward −∞ (helpers in tscc_cuda.h), select evaluates one operand, f32 math uses the
// single-precision library (expf, tanhf …; no fast-math, so results stay within a few ulp).
import type { DType } from '../../src/ir/graph/dtype.ts';
import { isFloat } from '../../src/ir/graph/dtype.ts';
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import type { BinOp, Expr, MathFunc } from '../../src/ir/tensor/expr.ts';
import { cType } from './spec.ts';

const INFIX: Partial<Record<BinOp, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', and: '&&', or: '||',
};

/** C spellings of math intrinsics for f32 arguments (f64 drops the `f`); helpers live in tscc_cuda.h. */
const MATH_F32: Record<MathFunc, string> = {
  exp: 'expf', log: 'logf', sqrt: 'sqrtf', rsqrt: 'tscc_rsqrt', tanh: 'tanhf', sigmoid: 'tscc_sigmoid', erf: 'erff',
  abs: 'fabsf', floor: 'floorf', ceil: 'ceilf', round: 'rintf', sin: 'sinf', cos: 'cosf', tan: 'tanf',
  asin: 'asinf', acos: 'acosf', atan: 'atanf', sinh: 'sinhf', cosh: 'coshf', asinh: 'asinhf', acosh: 'acoshf',
  atanh: 'atanhf', sign: 'tscc_sign', isnan: 'tscc_isnan', isinf: 'tscc_isinf',
};

function mathName(fn: MathFunc, d: DType): string {
  const n = MATH_F32[fn];
  if (n.startsWith('tscc_')) return n;
  if (d === 'f64') return n.slice(0, -1);
  if (!isFloat(d)) return fn === 'abs' ? 'tscc_iabs' : n; // integer abs; other math on ints is not lowered
  return n;
}

export function constText(v: number, d: DType): string {
  if (isFloat(d)) {
    const t = d === 'f64' ? '' : 'f';
    let s: string;
    if (Number.isNaN(v)) s = 'NAN';
    else if (v === Infinity) s = 'INFINITY';
    else if (v === -Infinity) s = '(-INFINITY)';
    else {
      const str = String(v);
      s = /[.eE]/.test(str) ? `${str}${t}` : `${str}.0${t}`;
      if (v < 0 || Object.is(v, -0)) s = `(${Object.is(v, -0) ? '-0.0' + t : s})`;
    }
    return d === 'f32' || d === 'f64' ? s : `${cType(d)}(${s})`;
  }
  if (d === 'bool') return v ? 'true' : 'false';
  if (d === 'i64') return v < 0 ? `(${v}LL)` : `${v}LL`;
  if (d === 'u64') return `${v}ULL`;
  if (d === 'u32') return `${v}u`;
  if (d === 'i32' && v === -2147483648) return '(-2147483647 - 1)';
  return v < 0 ? `(${v})` : String(v);
}

/** Row-major flat offset of a multi-dimensional index. */
export function flatIndex(b: Buffer, idx: readonly Expr[], e: (x: Expr) => string): string {
  const terms: string[] = [];
  let stride = 1;
  for (let d = b.shape.length - 1; d >= 0; d--) {
    const i = idx[d];
    if (!(i.kind === 'const' && i.value === 0)) terms.unshift(stride === 1 ? `(${e(i)})` : `(${e(i)}) * ${stride}`);
    stride *= b.shape[d];
  }
  return terms.length ? terms.join(' + ') : '0';
}

export class ExprPrinter {
  /** Loop variables known to be ≥ 0 (their loop starts at a non-negative constant). */
  readonly nonneg = new Set<string>();
  /** Expressions already computed into a C value (vector lanes: `tscc_x0.y`), printed as that. */
  readonly named = new Map<Expr, string>();

  constructor(private readonly name: (b: Buffer) => string, private readonly varName: (v: string) => string) {}

  /** Sure to be ≥ 0: then floordiv/floormod by a positive constant are C's / and %. */
  private isNonneg(e: Expr): boolean {
    switch (e.kind) {
      case 'var': return this.nonneg.has(e.name);
      case 'const': return e.value >= 0;
      case 'binary':
        if (e.op === 'add' || e.op === 'mul' || e.op === 'min' || e.op === 'max' || e.op === 'floordiv' || e.op === 'floormod') {
          return this.isNonneg(e.a) && this.isNonneg(e.b);
        }
        return false;
      default: return false;
    }
  }

  expr(e: Expr): string {
    const n = this.named.get(e);
    if (n !== undefined) return n;
    switch (e.kind) {
      case 'var': return this.varName(e.name);
      case 'const': return constText(e.value, e.dtype);
      case 'binary': return this.binary(e.op, e.a, e.b);
      case 'unary': return e.op === 'neg' ? `(-${this.expr(e.a)})` : `(!${this.expr(e.a)})`;
      case 'cast': return this.cast(e.dtype, e.a);
      case 'select': return `(${this.expr(e.cond)} ? ${this.expr(e.a)} : ${this.expr(e.b)})`;
      case 'load': return `${this.name(e.buffer)}[${flatIndex(e.buffer, e.indices, (x) => this.expr(x))}]`;
      case 'call': return `${mathName(e.fn, e.args[0].dtype)}(${e.args.map((a) => this.expr(a)).join(', ')})`;
    }
  }

  private binary(op: BinOp, a: Expr, b: Expr): string {
    const x = this.expr(a), y = this.expr(b), d = a.dtype, f = isFloat(d);
    const infix = INFIX[op];
    if (infix) {
      // bool arithmetic does not occur; narrow floats compute in f32 (the lowering casts them).
      return `(${x} ${infix} ${y})`;
    }
    switch (op) {
      case 'min': return f ? `${d === 'f64' ? 'fmin' : 'fminf'}(${x}, ${y})` : `tscc_min(${x}, ${y})`;
      case 'max': return f ? `${d === 'f64' ? 'fmax' : 'fmaxf'}(${x}, ${y})` : `tscc_max(${x}, ${y})`;
      case 'pow': return f ? `${d === 'f64' ? 'pow' : 'powf'}(${x}, ${y})` : `tscc_ipow(${x}, ${y})`;
      case 'floordiv':
        if (f) return `floorf(${x} / ${y})`;
        return b.kind === 'const' && b.value > 0 && this.isNonneg(a) ? `(${x} / ${y})` : `tscc_floordiv(${x}, ${y})`;
      case 'floormod':
        if (f) return `tscc_fmod_floor(${x}, ${y})`;
        return b.kind === 'const' && b.value > 0 && this.isNonneg(a) ? `(${x} % ${y})` : `tscc_floormod(${x}, ${y})`;
      default: throw new Error(`CUDA: no spelling for ${op}`);
    }
  }

  private cast(to: DType, a: Expr): string {
    const x = this.expr(a);
    if (to === 'bool') return `(${x} != ${constText(0, a.dtype)})`;
    // half and __nv_bfloat16 convert through float in both directions.
    if (a.dtype === 'f16' || a.dtype === 'bf16') return to === 'f32' ? `((float)(${x}))` : `((${cType(to)})(float)(${x}))`;
    if (to === 'f16' || to === 'bf16') return `(${cType(to)}((float)(${x})))`;
    return `((${cType(to)})(${x}))`;
  }
}
