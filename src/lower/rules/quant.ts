// Quantization: QuantizeLinear / DequantizeLinear (per tensor, per axis, blocked; integer and float8
// types), and the integer convolutions and products (ConvInteger, QLinearConv, QLinearMatMul). Arithmetic follows the
// reference kernels: the division by the scale is float32, rounding is half to even, int32
// accumulators requantize through the f32 multiplier (x_scale · w_scale) / y_scale.
import type { DType } from '../../ir/graph/dtype.ts';
import { dtypeFromOnnx } from '../../ir/graph/dtype.ts';
import { granularity, quantizedType } from '../../ir/graph/ops/quant.ts';
import { Cast, type Expr, add, call, cast, div, floordiv, int, max, min, mul, select, sub } from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';
import { convReduce } from './conv.ts';
import { minifloatGrid } from './mx.ts';
import { eq, k, linearIndex, prod, unflatten } from './util.ts';

const INT_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  u8: [0, 255], i8: [-128, 127], u16: [0, 65535], i16: [-32768, 32767], u4: [0, 15], i4: [-8, 7],
};

function range(c: RuleCtx, dtype: DType): readonly [number, number] {
  return INT_RANGES[dtype] ?? c.unsupported(`quantizing to ${dtype} is not lowered (integer types only)`);
}

/** The scale/zero-point element that applies to element `i` of x. */
function paramIndex(c: RuleCtx, x: readonly number[], scale: readonly number[]): (i: Expr[]) => Expr[] {
  const g = granularity(x, scale, c.attr.int('axis', 1), c.attr.int('block_size', 0), (m) => c.fail(m));
  if (g.kind === 'tensor') return () => scale.map(() => int(0));
  if (g.kind === 'axis') return (i) => [i[g.axis]];
  return (i) => i.map((e, d) => (d === g.axis ? floordiv(e, int(g.block)) : e));
}

/** rint(v) + zp, saturated to the type's range, as i32. */
function saturate(v: Expr, zp: Expr | undefined, [lo, hi]: readonly [number, number]): Expr {
  const q = cast('i32', call('round', [v]));
  const withZp = zp ? add(q, cast('i32', zp)) : q;
  return max(min(withZp, int(hi)), int(lo));
}

/**
 * QuantizeLinear to float8: f32(x / scale) + zero point in a stage, then rounded onto the e4m3 /
 * e5m2 grid (RNE; saturating, or NaN / ±Inf past the max when saturate = 0), as util/float8.ts.
 */
function quantizeF8(c: RuleCtx, out: 'f8e4m3' | 'f8e5m2'): TeTensor[] {
  const x = c.input(0), s = c.input(1), zp = c.has(2) ? c.input(2) : undefined;
  const at = paramIndex(c, x.shape, s.shape);
  const v = c.compute('q_scaled', x.shape, (i) => {
    const q = div(cast('f32', x.at(i)), cast('f32', s.at(at(i))));
    return zp ? add(q, cast('f32', zp.at(at(i)))) : q;
  }, { materialize: true });
  const overflow = c.attr.int('saturate', 1) !== 0 ? 'saturate' : out === 'f8e4m3' ? 'nan' : 'inf';
  const grid = minifloatGrid(c, 'q_binade', v, out === 'f8e4m3' ? 'e4m3' : 'e5m2', overflow);
  return [c.compute('quantize', x.shape, (i) => cast(out, grid(i)))];
}

/** A float8 value read for arithmetic; a value just quantized in the same kernel is used unrounded-again (it is on the grid). */
function f8Value(e: Expr): Expr {
  return e instanceof Cast && (e.dtype === 'f8e4m3' || e.dtype === 'f8e5m2') && e.a.dtype === 'f32' ? e.a : cast('f32', e);
}

const quantizeLinear: Rule = (c) => {
  const x = c.input(0), s = c.input(1), zp = c.has(2) ? c.raw(2) : undefined;
  const out = quantizedType(zp?.dtype, c.attr.int('output_dtype', 0), (m) => c.fail(m));
  if (out === 'f8e4m3' || out === 'f8e5m2') return quantizeF8(c, out);
  const r = range(c, out);
  const at = paramIndex(c, x.shape, s.shape);
  return [c.compute('quantize', x.shape, (i) => {
    const p = at(i);
    const v = div(cast('f32', x.at(i)), cast('f32', s.at(p)));
    return cast(out, saturate(v, zp?.at(p), r));
  })];
};

const dequantizeLinear: Rule = (c) => {
  const x = c.raw(0), s = c.input(1), zp = c.has(2) ? c.raw(2) : undefined;
  const od = c.attr.int('output_dtype', 0);
  const out = od === 0 ? c.type(1).dtype : dtypeFromOnnx(od) ?? c.fail(`output_dtype ${od} is not a known element type`);
  const at = paramIndex(c, x.shape, s.shape);
  const f8 = x.dtype === 'f8e4m3' || x.dtype === 'f8e5m2';
  return [c.compute('dequantize', x.shape, (i) => {
    const p = at(i);
    const xv = f8 ? f8Value(x.at(i)) : cast('f32', x.at(i));
    const centered = zp ? sub(xv, f8 ? f8Value(zp.at(p)) : cast('f32', zp.at(p))) : xv;
    return cast(out, mul(centered, cast('f32', s.at(p))));
  })];
};

/** A scalar input's single element, or element `m` of a per-channel vector. */
function scalarOrPer(t: TeTensor, m: Expr): Expr {
  return t.shape.every((d) => d === 1) ? t.at(t.shape.map(() => int(0))) : t.at([m]);
}

const convInteger: Rule = (c) => {
  const xz = c.has(2) ? c.raw(2) : undefined, wz = c.has(3) ? c.raw(3) : undefined;
  return [convReduce(c, 'conv_integer', 0, 1, (v, side, m) => {
    const z = side === 'x' ? xz : wz;
    return z ? sub(cast('i32', v), cast('i32', scalarOrPer(z, m))) : cast('i32', v);
  })];
};

/** round(f32(acc) · multiplier) + zp, saturated into the output type. */
function requantize(acc: Expr, mult: Expr, zp: Expr, out: DType, r: readonly [number, number]): Expr {
  return cast(out, saturate(mul(cast('f32', acc), mult), zp, r));
}

const multiplier = (xs: Expr, ws: Expr, ys: Expr) => div(mul(cast('f32', xs), cast('f32', ws)), cast('f32', ys));

const qlinearConv: Rule = (c) => {
  const [xs, xz, ws, wz, ys, yz] = [1, 2, 4, 5, 6, 7].map((i) => c.raw(i));
  const out = c.outputs[0].dtype, r = range(c, out);
  const acc = convReduce(c, 'qconv_acc', 0, 3, (v, side, m) =>
    sub(cast('i32', v), cast('i32', side === 'x' ? scalarOrPer(xz, m) : scalarOrPer(wz, m))));
  const bias = c.has(8) ? c.raw(8) : undefined;
  return [c.compute('qlinear_conv', acc.shape, (i) => {
    const m = i[1];
    const a = bias ? add(acc.at(i), cast('i32', bias.at([m]))) : acc.at(i);
    return requantize(a, multiplier(scalarOrPer(xs, m), scalarOrPer(ws, m), scalarOrPer(ys, m)), scalarOrPer(yz, m), out, r);
  })];
};

/**
 * b's scale or zero point for b's element at `bi` (batch…, k, n): one value, one per column, or one
 * per column of each b matrix (numbered row-major over b's batch dims).
 */
function bParam(t: TeTensor, bShape: readonly number[], bi: readonly Expr[]): Expr {
  const size = prod(t.shape);
  if (size === 1 || bShape.length === 1) return t.at(t.shape.map(() => int(0)));
  const N = bShape[bShape.length - 1], n = bi[bi.length - 1];
  const flat = size === N ? n : add(mul(linearIndex(bi.slice(0, -2), bShape.slice(0, -2)), int(N)), n);
  return t.at(unflatten(flat, t.shape));
}

const qlinearMatMul: Rule = (c) => {
  const [a, as, az, b, bs, bz, ys, yz] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => c.raw(i));
  const out = c.outputs[0].dtype, r = range(c, out);
  const K = a.shape[a.shape.length - 1];
  const outShape = c.outShape(), ra = a.shape.length, rb = b.shape.length;
  const nb = outShape.length - (ra > 1 ? 1 : 0) - (rb > 1 ? 1 : 0);
  const batchOf = (shape: readonly number[], rank: number, batch: readonly Expr[]) =>
    shape.slice(0, rank).map((d, j) => (d === 1 ? int(0) : batch[batch.length - rank + j]));
  const bIndex = (i: readonly Expr[], kk: Expr) => (rb === 1 ? [kk] : [...batchOf(b.shape, rb - 2, i.slice(0, nb)), kk, i[outShape.length - 1]]);
  const scalar = (t: TeTensor) => t.at(t.shape.map(() => int(0)));
  const acc = c.compute('qmatmul_acc', outShape, (i) => {
    const rk = c.reduceAxis(K, 'k');
    const ai = ra === 1 ? [rk.v] : [...batchOf(a.shape, ra - 2, i.slice(0, nb)), i[nb], rk.v];
    const bi = bIndex(i, rk.v);
    const av = sub(cast('i32', a.at(ai)), cast('i32', scalar(az)));
    const bv = sub(cast('i32', b.at(bi)), cast('i32', bParam(bz, b.shape, bi)));
    return c.reduce('sum', [rk], mul(av, bv));
  });
  return [c.compute('qlinear_matmul', outShape, (i) => {
    const mult = multiplier(scalar(as), bParam(bs, b.shape, bIndex(i, int(0))), scalar(ys));
    return requantize(acc.at(i), mult, scalar(yz), out, r);
  })];
};

/**
 * DynamicQuantizeLinear (uint8): the range of x widened to include 0 gives scale = range / 255 and a
 * rounded zero point; then x quantizes with them. Two scalar reductions feed the element-wise part.
 */
const dynamicQuantizeLinear: Rule = (c) => {
  const x = c.input(0);
  if (x.dtype !== 'f32') c.fail(`input must be f32, got ${x.dtype}`);
  const extreme = (r: 'min' | 'max') => c.compute(`x_${r}`, [], () => {
    const red = x.shape.map((d) => c.reduceAxis(d, 'n'));
    return c.reduce(r, red, x.at(red.map((a) => a.v)));
  });
  const lo = extreme('min'), hi = extreme('max');
  const zero = k(0, 'f32');
  const scale = c.compute('y_scale', [], () => {
    const mn = min(lo.at([]), zero), mx = max(hi.at([]), zero);
    return select(eq(mx, mn), k(1, 'f32'), div(sub(mx, mn), k(255, 'f32')));
  });
  const zp = c.compute('y_zero_point', [], () => {
    const mn = min(lo.at([]), zero);
    return cast('u8', call('round', [max(min(sub(zero, div(mn, scale.at([]))), k(255, 'f32')), zero)]));
  });
  const y = c.compute('y', x.shape, (i) => cast('u8', saturate(div(x.at(i), scale.at([])), zp.at([]), [0, 255])));
  return [y, scale, zp];
};

export const QUANT_RULES: Record<string, Rule> = {
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  ConvInteger: convInteger,
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
};
