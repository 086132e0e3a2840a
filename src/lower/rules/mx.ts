// The com.tscc Microscaling ops as compute rules. Everything is exact f32 arithmetic that every
// backend has (floor, log, round = rint, select, integer floordiv/floormod): powers of two are
// built by multiplying constant powers selected by the bits of the exponent (exp2i), so scales and
// element grids are exact without a pow() whose accuracy differs per backend, and floor(log2(a))
// is a log estimate corrected by exact comparisons. Semantics: src/quant/mx.ts.
import type { DType } from '../../ir/graph/dtype.ts';
import { MX_FORMATS, mxFormat } from '../../ir/graph/ops/mx.ts';
import {
  type Expr, add, call, cast, div, f32, floordiv, floormod, int, lt, max, min, mul, select, sub, unary,
} from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';
import { eq, ge, gt, linearIndex, normAxis, or } from './util.ts';

/** Element types as (exponent bits, mantissa bits, bias, max); int8 is 1.6 fixed point. */
const MINI: Readonly<Record<string, { e: number; m: number; bias: number; max: number; emax: number }>> = {
  e4m3: { e: 4, m: 3, bias: 7, max: 448, emax: 8 },
  e5m2: { e: 5, m: 2, bias: 15, max: 57344, emax: 15 },
  e2m3: { e: 2, m: 3, bias: 1, max: 7.5, emax: 2 },
  e3m2: { e: 3, m: 2, bias: 3, max: 28, emax: 4 },
  e2m1: { e: 2, m: 1, bias: 1, max: 6, emax: 2 },
};
const EMAX = (fmt: string) => (fmt === 'int8' ? 0 : MINI[fmt].emax);

/**
 * 2^k, exact, for an i32 expression k known to lie in [lo, hi] ⊂ [−149, 127]. Intermediates stay
 * normal floats (GPUs, and WGSL on SwiftShader, flush subnormal operands to zero): a range reaching
 * below 2^-126 is split into two half exponents whose one product is the only rounding step.
 */
export function exp2i(k: Expr, lo: number, hi: number): Expr {
  if (lo < -126) {
    const k1 = floordiv(k, int(2)), k2 = sub(k, k1);
    return mul(exp2i(k1, Math.floor(lo / 2), Math.floor(hi / 2)), exp2i(k2, Math.ceil(lo / 2), Math.ceil(hi / 2)));
  }
  const off = sub(k, int(lo));
  let v: Expr = f32(2 ** lo);
  // low bits first: partial products only grow, and never pass the final 2^k ≤ 2^127
  for (let j = 0; 2 ** j <= hi - lo; j++) {
    const bit = eq(floormod(floordiv(off, int(2 ** j)), int(2)), int(1));
    const p = 2 ** (2 ** j);
    const factor = (q: number) => select(bit, f32(q), f32(1));
    v = p > 2 ** 127 ? mul(mul(v, factor(2 ** 64)), factor(2 ** 64)) : mul(v, factor(p));
  }
  return v;
}

/** floor(log2(a)) as i32 for f32 a ∈ [2^lo, 2^(hi+1)), exact (the log estimate is off by at most 1). */
export function floorLog2(a: Expr, lo: number, hi: number): Expr {
  const est = cast('i32', call('floor', [mul(call('log', [a]), f32(1 / Math.LN2))]));
  const e0 = max(min(est, int(hi)), int(lo));
  const p = exp2i(e0, lo, hi);
  const down = select(gt(p, a), int(1), int(0));
  const up = select(ge(a, mul(p, f32(2))), int(1), int(0));
  return sub(add(e0, up), down);
}

/** The shared exponent of a block from its |max| (microxcaling: amax 0 counts as 2^-126), clamped to −127. */
function sharedExponent(amax: Expr, fmt: string): Expr {
  // tiny (subnormal) maxima are scaled up by 2^64 first, so the log estimate stays accurate
  const a0 = select(eq(amax, f32(0)), f32(2 ** -126), amax);
  const tiny = lt(a0, f32(2 ** -100));
  const e = sub(floorLog2(select(tiny, mul(a0, f32(2 ** 64)), a0), -100, 127), select(tiny, int(64), int(0)));
  return max(sub(e, int(EMAX(fmt))), int(-127));
}

/**
 * Rounds the f32 values of a (materialized) stage onto a minifloat grid, RNE, through one more
 * stage holding each value's binade. Overflow past the format's max saturates, or becomes NaN
 * (e4m3fn without saturation) or ±Inf (e5m2 without saturation); NaN stays NaN; values that
 * underflow keep their sign (−0), as the encoders do. Also used by QuantizeLinear to float8.
 */
export function minifloatGrid(c: RuleCtx, name: string, v: TeTensor, fmt: string, overflow: 'saturate' | 'nan' | 'inf'): (i: readonly Expr[]) => Expr {
  const f = MINI[fmt], minExp = 1 - f.bias;
  // below 2^minExp the grid is the subnormal one; at and above 2^(emax+1) everything overflows
  const binade = c.compute(name, v.shape, (i) => {
    const a = min(max(call('abs', [v.at(i)]), f32(2 ** minExp)), f32(2 ** (f.emax + 1)));
    return floorLog2(a, minExp, f.emax + 1);
  }, { materialize: true });
  // the rounded magnitude, stored too: the last step stays small enough to inline into a consumer
  const magnitude = c.compute(`${name}_mag`, v.shape, (i) => {
    const a = call('abs', [v.at(i)]);
    const ulp = exp2i(sub(binade.at(i), int(f.m)), minExp - f.m, f.emax + 1 - f.m);
    const r = mul(call('round', [div(a, ulp)]), ulp);
    const big = overflow === 'saturate' ? f32(f.max) : f32(overflow === 'nan' ? NaN : Infinity);
    return select(gt(r, f32(f.max)), big, r);
  }, { materialize: true });
  return (i) => {
    const x = v.at(i), q = magnitude.at(i);
    // v · 0 is −0 for negative v: underflow keeps the sign bit
    const signed = select(eq(q, f32(0)), mul(x, f32(0)), select(lt(x, f32(0)), unary('neg', q), q));
    return select(call('isnan', [x]), x, signed);
  };
}

/**
 * x through the MX format, in stages (each a buffer, so no expression tree repeats another whole):
 * the block's |max| (NaN/±Inf make it +Inf: max() drops NaN on some backends, never Inf), the
 * block's scale exponent, x scaled into the element range, the element's binade, and the result:
 * the element grid (RNE, saturated) scaled back; blocks with NaN/Inf give NaN (Inf · 0).
 */
const mxQuantizeDequantize: Rule = (c) => {
  const x = c.input(0), fmt = mxFormat(c), shape = x.shape, out = c.outputs[0].dtype;
  const axis = normAxis(c, c.attr.int('axis', -1), shape.length), d = shape[axis];
  const blocks = shape.map((s, i) => (i === axis ? Math.ceil(d / 32) : s));
  const blockOf = (i: readonly Expr[]) => i.map((e, k) => (k === axis ? floordiv(e, int(32)) : e));
  const amax = c.compute('mx_amax', blocks, (b) => {
    const r = c.reduceAxis(32, 'rb');
    const at = b.map((e, i) => (i === axis ? min(add(mul(e, int(32)), r.v), int(d - 1)) : e)); // a short last block re-reads its last element
    const v = x.at(at);
    return c.reduce('max', [r], select(or(call('isnan', [v]), call('isinf', [v])), f32(Infinity), call('abs', [v])));
  });
  const X = c.compute('mx_exponent', blocks, (b) => {
    const m = amax.at(b);
    return sharedExponent(select(call('isinf', [m]), f32(1), m), fmt);
  }, { materialize: true });
  const scaled = c.compute('mx_scaled', shape, (i) => mul(x.at(i), exp2i(sub(int(0), X.at(blockOf(i))), -127, 127)), { materialize: true });
  const grid = fmt === 'int8'
    ? (i: readonly Expr[]) => {
      const q = max(min(call('round', [mul(scaled.at(i), f32(64))]), f32(127)), f32(-127));
      return div(select(eq(q, f32(0)), f32(0), q), f32(64)); // two's complement has no −0
    }
    : minifloatGrid(c, 'mx_binade', scaled, fmt, 'saturate');
  return [c.compute('mx_qdq', shape, (i) => {
    const m = amax.at(blockOf(i));
    const y = mul(grid(i), exp2i(X.at(blockOf(i)), -127, 127));
    return cast(out as DType, select(call('isinf', [m]), mul(m, f32(0)), y));
  })];
};

/** Element code (i32) → its value, for the minifloat formats. */
function decodeMini(code: Expr, fmt: string): Expr {
  const f = MINI[fmt], signBit = 2 ** (f.e + f.m);
  const mag = floormod(code, int(signBit));
  const e = floordiv(mag, int(2 ** f.m)), m = floormod(mag, int(2 ** f.m));
  const top = 2 ** f.e - 1;
  const mant = cast('f32', select(eq(e, int(0)), m, add(m, int(2 ** f.m)))); // subnormals have no implicit 1
  const v = mul(mant, exp2i(sub(max(e, int(1)), int(f.bias + f.m)), 1 - f.bias - f.m, top - f.bias - f.m));
  // e4m3 (fn): S.1111.111 is NaN; e5m2: exponent all ones is Inf (m = 0) or NaN
  const special = fmt === 'e4m3' ? eq(mag, int(0x7f)) : fmt === 'e5m2' ? eq(e, int(top)) : undefined;
  const value = special ? select(special, fmt === 'e5m2' ? select(eq(m, int(0)), f32(Infinity), f32(NaN)) : f32(NaN), v) : v;
  return select(ge(code, int(signBit)), unary('neg', value), value);
}

/** The `bits`-bit code of element n of a packed little-endian byte stream. */
function unpackCode(bytes: (i: Expr) => Expr, n: Expr, bits: number, length: number): Expr {
  if (bits === 8) return bytes(n);
  if (bits === 4) {
    const b = bytes(floordiv(n, int(2)));
    return select(eq(floormod(n, int(2)), int(0)), floormod(b, int(16)), floordiv(b, int(16)));
  }
  // 6-bit: element n starts at bit 6n, i.e. byte ⌊6n/8⌋ at offset 0, 6, 4 or 2 (n mod 4 = 0…3)
  const bit = mul(n, int(6)), b = floordiv(bit, int(8));
  const pair = add(bytes(b), mul(bytes(min(add(b, int(1)), int(length - 1))), int(256)));
  const r = floormod(n, int(4));
  const div6 = select(eq(r, int(0)), int(1), select(eq(r, int(1)), int(64), select(eq(r, int(2)), int(16), int(4))));
  return floormod(floordiv(pair, div6), int(64));
}

const mxDequantize: Rule = (c: RuleCtx) => {
  const el = c.raw(0), sc = c.raw(1), fmt = mxFormat(c), bits = MX_FORMATS[fmt];
  const shape = c.outShape(), axis = normAxis(c, c.attr.int('axis', -1), shape.length);
  const bytes = (i: Expr) => cast('i32', el.at([i]));
  const codes = c.compute('mx_code', shape, (i) => unpackCode(bytes, linearIndex(i, shape), bits, el.shape[0]), { materialize: true });
  return [c.compute('mx_dequantize', shape, (i) => {
    const code = codes.at(i);
    const value = fmt === 'int8' ? div(cast('f32', sub(code, select(ge(code, int(128)), int(256), int(0)))), f32(64)) : decodeMini(code, fmt);
    const s = cast('i32', sc.at(i.map((e, k) => (k === axis ? floordiv(e, int(32)) : e))));
    return select(eq(s, int(255)), f32(NaN), mul(value, exp2i(sub(s, int(127)), -127, 127)));
  })];
};

export const MX_RULES: Record<string, Rule> = {
  'com.tscc::MxQuantizeDequantize': mxQuantizeDequantize,
  'com.tscc::MxDequantize': mxDequantize,
};
