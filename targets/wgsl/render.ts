// The WGSL renderer: how each Tensor IR expression is spelled in WGSL. Mostly tables (cf. tinygrad's
// renderer/wgsl.py): a type map, operator and math-function spellings, and a few helper functions
// for what WGSL lacks (floor division, ONNX-exact pow, erf, NaN tests).
//
// Storage: WGSL storage buffers hold 4-byte scalars only, so every float type is stored as f32 and
// every integer type (and bool) as i32; the host converts at the boundary (runtime.js). i64 values
// must fit in 32 bits, which holds for indices and shapes, the only i64 data in the test models.
import type { DType } from '../../src/ir/graph/dtype.ts';
import { isFloat } from '../../src/ir/graph/dtype.ts';
import { dot4Terms } from './int8.ts';
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { type BinOp, type Expr, type MathFunc, Var, add, int, mul } from '../../src/ir/tensor/expr.ts';

/** The WGSL type of a value of `d` in registers. */
export function valueType(d: DType): 'f32' | 'i32' | 'bool' {
  if (d === 'bool') return 'bool';
  return isFloat(d) ? 'f32' : 'i32';
}

/** The WGSL element type of a buffer of `d` in memory (f16 as f16 when the device has shader-f16). */
export function storageType(d: DType, f16 = false): 'f32' | 'i32' | 'f16' {
  if (f16 && d === 'f16') return 'f16';
  return isFloat(d) ? 'f32' : 'i32';
}

const INFIX: Partial<Record<BinOp, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=',
};

const MATH: Record<MathFunc, string> = {
  exp: 'exp', log: 'log', sqrt: 'sqrt', rsqrt: 'inverseSqrt', tanh: 'tanh_', sigmoid: 'sigmoid_', erf: 'erf_',
  abs: 'abs', floor: 'floor', ceil: 'ceil', round: 'round', sin: 'sin', cos: 'cos', tan: 'tan', asin: 'asin',
  acos: 'acos', atan: 'atan', sinh: 'sinh', cosh: 'cosh', asinh: 'asinh', acosh: 'acosh', atanh: 'atanh',
  sign: 'sign', isnan: 'isnan_', isinf: 'isinf_',
};

/** Helper functions, emitted only when a kernel calls them. */
export const HELPERS: Record<string, string> = {
  // Non-finite constants are not constant expressions in WGSL (it rejects them at parse time), so
  // they are built at run time from a private variable the compiler cannot fold.
  nf_bits: 'var<private> nf_bits: u32 = 0u;',
  fdiv: 'fn fdiv(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } let q = a / b; return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0))); }',
  fmod: 'fn fmod(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } let r = a % b; return select(r, r + b, (r != 0) && ((r < 0) != (b < 0))); }',
  // WGSL's pow is undefined for a negative base; ONNX (and the interpreter's Math.pow) are not.
  powf: `fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (a == 0.0) { return select(0.0, bitcast<f32>(nf_bits | 0x7f800000u), b < 0.0); }
  let r = exp2(b * log2(abs(a)));
  if (a > 0.0) { return r; }
  if (floor(b) != b) { return bitcast<f32>(nf_bits | 0x7fc00000u); }
  return select(r, -r, fract(b * 0.5) != 0.0);
}`,
  powi: 'fn powi(a: i32, b: i32) -> i32 { var r = 1; for (var k = 0; k < b; k++) { r = r * a; } return r; }',
  // exp(2x) overflows for |x| > 44; this form stays finite everywhere.
  tanh_: 'fn tanh_(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }',
  sigmoid_: 'fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }',
  // Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd extension.
  erf_: `fn erf_(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return sign(x) * y;
}`,
  isnan_: 'fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }',
  isinf_: 'fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }',
};

/** Non-finite and subnormal values need the `nf_bits` helper. */
export function needsBits(v: number): boolean {
  const f = Math.fround(v);
  return !Number.isFinite(f) || (f !== 0 && Math.abs(f) < 1.1754943508222875e-38);
}

export function f32Literal(v: number): string {
  const f = Math.fround(v);
  if (needsBits(f)) {
    const bits = new Uint32Array(new Float32Array([f]).buffer)[0];
    return `bitcast<f32>(nf_bits | 0x${bits.toString(16)}u)`;
  }
  if (Object.is(f, -0)) return '-0.0f';
  const s = String(f);
  return `${s}f`;
}

export function i32Literal(v: number): string {
  const x = Math.max(-2147483648, Math.min(2147483647, Math.trunc(v)));
  if (x === -2147483648) return '(-2147483647i - 1i)';
  return x < 0 ? `(${x}i)` : `${x}i`;
}

/** Names: prefixed so that no graph name collides with a WGSL keyword or built-in. */
export const bufName = (b: Buffer) => `b_${b.name}`;
export const varName = (v: Var) => `v_${v.name}`;

/** Is `e` ≥ 0 for every value of its loop variables? (Then `/` and `%` are floor division.) */
export function nonNegative(e: Expr, vars: ReadonlySet<Var>): boolean {
  switch (e.kind) {
    case 'const': return e.value >= 0;
    case 'var': return vars.has(e);
    case 'binary':
      if (e.op === 'add' || e.op === 'mul' || e.op === 'min' || e.op === 'floordiv' || e.op === 'floormod' || e.op === 'div') {
        return nonNegative(e.a, vars) && nonNegative(e.b, vars);
      }
      if (e.op === 'max') return nonNegative(e.a, vars) || nonNegative(e.b, vars);
      return false;
    default: return false;
  }
}

/**
 * Renders expressions of one kernel. `nonNeg` holds loop variables known to be ≥ 0; `helpers`
 * collects the helper functions used; `names` maps expressions hoisted into `let`s to their name.
 */
/** The binding that holds packed read-only buffers when a stage has more than the device allows. */
export const PACK = 'b_pack';

export class ExprRenderer {
  readonly helpers = new Set<string>();
  readonly names = new Map<Expr, string>();
  private readonly memo = new Map<Expr, string>();
  /** Read-only buffers packed into `b_pack` (a u32 array) at an element offset (see emit.ts). */
  packed: ReadonlyMap<Buffer, number> = new Map();
  /** Render sums of four i8 products as dot4I8Packed (the adapter has packed_4x8_integer_dot_product). */
  dot4 = false;
  /** Global f16 buffers are array<f16> (`enable f16;`): loads widen to f32, casts to f16 round. */
  f16 = false;

  constructor(readonly nonNeg: Set<Var>, readonly index: (b: Buffer, idx: readonly Expr[]) => Expr = flatIndex) {}

  render(e: Expr): string {
    const named = this.names.get(e);
    if (named) return named;
    let s = this.memo.get(e);
    if (s === undefined) { s = this.renderNode(e); this.memo.set(e, s); }
    return s;
  }

  /** Forget memoized text (after `names` changed). */
  reset(): void { this.memo.clear(); }

  private use(h: string): string { this.helpers.add(h); return h; }

  private renderNode(e: Expr): string {
    const r = (x: Expr) => this.render(x);
    switch (e.kind) {
      case 'var': return varName(e);
      case 'const':
        if (e.dtype === 'bool') return e.value ? 'true' : 'false';
        if (isFloat(e.dtype) && needsBits(e.value)) this.use('nf_bits');
        return isFloat(e.dtype) ? f32Literal(e.value) : i32Literal(e.value);
      case 'unary':
        if (e.op === 'not') return e.dtype === 'bool' ? `(!${r(e.a)})` : `select(0i, 1i, ${r(e.a)} == 0i)`;
        return `(-${r(e.a)})`;
      case 'binary': {
        const d = this.dot4 ? dot4Terms(e) : undefined;
        if (d) {
          const vec = (xs: Expr[]) => `pack4xI8(vec4<i32>(${xs.map(r).join(', ')}))`;
          const dots = d.dots.map((g) => `dot4I8Packed(${vec(g.map((p) => p[0]))}, ${vec(g.map((p) => p[1]))})`);
          return `(${[...dots, ...d.rest.map(r)].join(' + ')})`;
        }
        return this.binary(e.op, e.a, e.b);
      }
      case 'cast':
        // Computation is in f32; with shader-f16 a cast to f16 rounds to its precision.
        if (this.f16 && e.dtype === 'f16' && e.a.dtype !== 'f16') return `f32(f16(${castText(e.a.dtype, 'f32', r(e.a))}))`;
        return castText(e.a.dtype, e.dtype, r(e.a));
      case 'select': return `select(${r(e.b)}, ${r(e.a)}, ${r(e.cond)})`;
      case 'load': {
        if (isRegisterFile(e.buffer)) return registerName(e.buffer, e.indices);
        const off = this.packed.get(e.buffer);
        let text = off === undefined ? `${bufName(e.buffer)}[${r(this.index(e.buffer, e.indices))}]`
          : `bitcast<${storageType(e.buffer.dtype)}>(${PACK}[${r(add(this.index(e.buffer, e.indices), int(off)))}])`;
        if (this.f16 && e.buffer.dtype === 'f16' && e.buffer.scope === 'global') text = `f32(${text})`;
        return e.dtype === 'bool' ? `(${text} != 0i)` : text;
      }
      case 'call': {
        const fn = MATH[e.fn];
        if (HELPERS[fn]) this.use(fn);
        return `${fn}(${r(e.args[0])})`;
      }
    }
  }

  private binary(op: BinOp, a: Expr, b: Expr): string {
    const r = (x: Expr) => this.render(x);
    const float = isFloat(a.dtype);
    const infix = INFIX[op];
    if (infix) return `(${r(a)} ${infix} ${r(b)})`;
    switch (op) {
      case 'min': case 'max': return `${op}(${r(a)}, ${r(b)})`;
      case 'and': case 'or': {
        // Expressions have no side effects, so the non-short-circuit forms are exact; `&&`/`||`
        // become branches, and chains of them in unrolled tiles stall SwiftShader's compiler.
        const sym = op === 'and' ? '&' : '|';
        if (a.dtype === 'bool') return `(${r(a)} ${sym} ${r(b)})`;
        return `select(0i, 1i, (${r(a)} != 0i) ${sym} (${r(b)} != 0i))`;
      }
      case 'pow': if (float) this.use('nf_bits');
        return float ? `${this.use('powf')}(${r(a)}, ${r(b)})` : `${this.use('powi')}(${r(a)}, ${r(b)})`;
      case 'floordiv':
        if (float) return `floor(${r(a)} / ${r(b)})`;
        if (b.kind === 'const' && b.value > 0 && nonNegative(a, this.nonNeg)) return `(${r(a)} / ${r(b)})`;
        return `${this.use('fdiv')}(${r(a)}, ${r(b)})`;
      case 'floormod':
        if (float) return `(${r(a)} - floor(${r(a)} / ${r(b)}) * ${r(b)})`;
        if (b.kind === 'const' && b.value > 0 && nonNegative(a, this.nonNeg)) return `(${r(a)} % ${r(b)})`;
        return `${this.use('fmod')}(${r(a)}, ${r(b)})`;
      default: throw new Error(`wgsl: no spelling for ${op}`);
    }
  }
}

function castText(from: DType, to: DType, x: string): string {
  const vf = valueType(from);
  const vt = valueType(to);
  if (vt === 'bool') return vf === 'bool' ? x : `(${x} != ${vf === 'f32' ? '0.0f' : '0i'})`;
  if (vf === 'bool') return vt === 'f32' ? `select(0.0f, 1.0f, ${x})` : `select(0i, 1i, ${x})`;
  if (vt === 'f32') return vf === 'f32' ? x : `f32(${x})`;
  const v = vf === 'f32' ? `i32(${x})` : x;
  switch (to) {
    case 'u8': return `(${v} & 255i)`;
    case 'u16': return `(${v} & 65535i)`;
    case 'i8': return `((${v} << 24u) >> 24u)`;
    case 'i16': return `((${v} << 16u) >> 16u)`;
    default: return v;
  }
}

/**
 * Local arrays that tile.ts makes for accumulators are always indexed by constants: they are
 * emitted as one scalar variable per element, so the shader compiler keeps them in registers
 * (SwiftShader compiles large private arrays very slowly).
 */
export function isRegisterFile(b: Buffer): boolean {
  return b.scope === 'local' && b.rank === 1 && b.name.startsWith('acc_');
}

export function registerName(b: Buffer, idx: readonly Expr[]): string {
  const k = idx[0];
  if (k.kind !== 'const') throw new Error(`wgsl: register file ${b.name} indexed by a variable`);
  return `${bufName(b)}_${k.value}`;
}

/** Row-major flattening of a buffer index. */
export function flatIndex(b: Buffer, idx: readonly Expr[]): Expr {
  let flat: Expr = int(0);
  let stride = 1;
  for (let k = idx.length - 1; k >= 0; k--) {
    flat = add(flat, mul(idx[k], int(stride)));
    stride *= b.shape[k];
  }
  return flat;
}
