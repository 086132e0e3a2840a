// Shape rules of the quantization ops: QuantizeLinear / DequantizeLinear (per-tensor, per-axis and
// blocked), DynamicQuantizeLinear and QLinearMatMul. QLinearConv's rule lives in quant-conv.ts.
import { type DType, dtypeFromOnnx, isFloat } from '../dtype.ts';
import type { Dim, TensorType } from '../graph.ts';
import { broadcastShapes, defineOp, tt, type InferCtx } from './registry.ts';
import './quant-conv.ts';

/** Element types QuantizeLinear may produce (and DequantizeLinear read, with i32). */
export const QUANT_TYPES: readonly DType[] = ['u8', 'i8', 'u16', 'i16', 'u4', 'i4', 'f8e4m3', 'f8e5m2'];

/** How a scale tensor's shape maps onto the quantized tensor's elements. */
export type Granularity = { kind: 'tensor' } | { kind: 'axis'; axis: number } | { kind: 'block'; axis: number; block: number };

/**
 * The granularity that a scale of shape `scale` gives to a tensor of shape `x`, or a failure naming the
 * mismatch. Dims that are symbolic are not checked; `fail` reports the rest.
 */
export function granularity(
  x: readonly Dim[], scale: readonly Dim[], axisAttr: number, block: number, fail: (m: string) => never,
): Granularity {
  if (block < 0) fail(`block_size must be ≥ 0, got ${block}`);
  if (scale.length === 0 || (scale.length === 1 && scale[0] === 1 && block === 0)) return { kind: 'tensor' };
  const axis = axisAttr < 0 ? axisAttr + x.length : axisAttr;
  if (axis < 0 || axis >= x.length) fail(`axis ${axisAttr} is out of range for rank ${x.length}`);
  if (block === 0) {
    if (scale.length !== 1) fail(`a per-axis scale must be 1-D, got [${scale.join(',')}] (set block_size for blocked quantization)`);
    if (typeof scale[0] === 'number' && typeof x[axis] === 'number' && scale[0] !== x[axis]) {
      fail(`scale has ${scale[0]} values, axis ${axis} has ${x[axis]}`);
    }
    return { kind: 'axis', axis };
  }
  if (scale.length !== x.length) fail(`a blocked scale must have the input's rank ${x.length}, got [${scale.join(',')}]`);
  scale.forEach((s, i) => {
    const d = x[i];
    if (typeof s !== 'number' || typeof d !== 'number') return;
    const want = i === axis ? Math.ceil(d / block) : d;
    if (s !== want) fail(`blocked scale dim ${i} is ${s}, expected ${want} for input [${x.join(',')}] and block_size ${block}`);
  });
  return { kind: 'block', axis, block };
}

function sameShape(c: InferCtx, what: string, a: readonly Dim[], b: readonly Dim[]): void {
  if (a.length !== b.length || a.some((d, i) => typeof d === 'number' && typeof b[i] === 'number' && d !== b[i])) {
    c.fail(`${what}: [${a.join(',')}] and [${b.join(',')}] must have the same shape`);
  }
}

/** The quantized type: the zero point's, else the output_dtype attribute, else uint8. */
export function quantizedType(zp: DType | undefined, outputDtype: number, fail: (m: string) => never): DType {
  let d = zp;
  if (outputDtype !== 0) {
    const a = dtypeFromOnnx(outputDtype) ?? fail(`output_dtype ${outputDtype} is not a known element type`);
    if (d && d !== a) fail(`output_dtype ${a} differs from the zero point's type ${d}`);
    d = a;
  }
  d ??= 'u8';
  if (!QUANT_TYPES.includes(d)) fail(`cannot quantize to ${d} (supported: ${QUANT_TYPES.join(', ')})`);
  return d;
}

defineOp({
  name: 'QuantizeLinear',
  infer: (c) => {
    const x = c.input(0), s = c.input(1), zp = c.inputs[2];
    if (!isFloat(x.dtype) && x.dtype !== 'i32') c.fail(`input must be float or int32, got ${x.dtype}`);
    if (!isFloat(s.dtype)) c.fail(`y_scale must be float, got ${s.dtype}`);
    if (zp) sameShape(c, 'y_scale and y_zero_point', s.shape, zp.shape);
    granularity(x.shape, s.shape, c.attr.int('axis', 1), c.attr.int('block_size', 0), c.fail);
    return [tt(quantizedType(zp?.dtype, c.attr.int('output_dtype', 0), c.fail), x.shape)];
  },
});

defineOp({
  name: 'DequantizeLinear',
  infer: (c) => {
    const x = c.input(0), s = c.input(1), zp = c.inputs[2];
    if (!QUANT_TYPES.includes(x.dtype) && x.dtype !== 'i32') c.fail(`cannot dequantize ${x.dtype}`);
    if (!isFloat(s.dtype)) c.fail(`x_scale must be float, got ${s.dtype}`);
    if (zp) {
      if (zp.dtype !== x.dtype) c.fail(`x_zero_point type ${zp.dtype} differs from x type ${x.dtype}`);
      sameShape(c, 'x_scale and x_zero_point', s.shape, zp.shape);
    }
    granularity(x.shape, s.shape, c.attr.int('axis', 1), c.attr.int('block_size', 0), c.fail);
    const od = c.attr.int('output_dtype', 0);
    const out = od === 0 ? s.dtype : dtypeFromOnnx(od) ?? c.fail(`output_dtype ${od} is not a known element type`);
    if (!isFloat(out)) c.fail(`output_dtype must be a float type, got ${out}`);
    return [tt(out, x.shape)];
  },
});

defineOp({
  name: 'DynamicQuantizeLinear',
  infer: (c) => {
    const x = c.input(0);
    if (x.dtype !== 'f32') c.fail(`input must be f32, got ${x.dtype}`);
    return [tt('u8', x.shape), tt('f32', []), tt('u8', [])];
  },
});

/** MatMul's shape rule: numpy matmul with 1-D promotion and batch broadcasting. */
export function matmulShape(c: InferCtx, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) c.fail('matmul inputs must have rank ≥ 1');
  const A = a.length === 1 ? [1, a[0]] : a, B = b.length === 1 ? [b[0], 1] : b;
  const k1 = A[A.length - 1], k2 = B[B.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) c.fail(`inner dimensions differ: [${a.join(',')}] × [${b.join(',')}]`);
  const batch = broadcastShapes(c, [A.slice(0, -2), B.slice(0, -2)]);
  const out = [...batch];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

function quantParam(c: InferCtx, i: number, what: string, dtype?: DType): TensorType {
  const t = c.input(i);
  if (dtype && t.dtype !== dtype) c.fail(`${what} must be ${dtype}, got ${t.dtype}`);
  return t;
}

defineOp({
  name: 'QLinearMatMul',
  infer: (c) => {
    const a = c.input(0), b = c.input(3);
    for (const [name, t] of [['a', a], ['b', b]] as const) if (t.dtype !== 'u8' && t.dtype !== 'i8') c.fail(`${name} must be u8 or i8, got ${t.dtype}`);
    quantParam(c, 2, 'a_zero_point', a.dtype);
    quantParam(c, 5, 'b_zero_point', b.dtype);
    const yzp = quantParam(c, 7, 'y_zero_point');
    if (yzp.dtype !== 'u8' && yzp.dtype !== 'i8') c.fail(`y_zero_point must be u8 or i8, got ${yzp.dtype}`);
    for (const i of [1, 4, 6]) if (!isFloat(c.input(i).dtype)) c.fail(`input ${i} (a scale) must be float`);
    return [tt(yzp.dtype, matmulShape(c, a.shape, b.shape))];
  },
});
