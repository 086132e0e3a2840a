// Reference kernels of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear. Arithmetic is
// float32 as in onnxruntime (x / scale rounded to f32, then rounded half to even), so integer
// results agree bit for bit.
import { type DType, dtypeFromOnnx } from '../../ir/graph/dtype.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { granularity, quantizedType } from '../../ir/graph/ops/quant.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { encodeF8 } from './float8.ts';
import { INT_RANGES, numbers, roundHalfEven } from './quant-util.ts';
import { fail } from './util.ts';
import './qlinear.ts';
import './qconv.ts';

/**
 * For each element of x, the index of its scale and zero point (null when one pair serves all):
 * per-axis uses the coordinate on `axis`; blocked uses the block's position in the scale tensor.
 */
function paramIndex(node: KernelNode, x: Tensor, scale: Tensor, zp: Tensor | null): Int32Array | null {
  const g = granularity(x.shape, scale.shape, node.attr.int('axis', 1), node.attr.int('block_size', 0), (m) => fail(node, m));
  if (zp && (zp.rank !== scale.rank || zp.shape.some((d, i) => d !== scale.shape[i]))) fail(node, `zero point shape [${zp.shape}] differs from scale shape [${scale.shape}]`);
  if (g.kind === 'tensor') return null;
  const outer = sizeOf(x.shape.slice(0, g.axis)), dim = x.shape[g.axis], inner = sizeOf(x.shape.slice(g.axis + 1));
  const idx = new Int32Array(x.size);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < dim; a++) {
      if (g.kind === 'axis') { idx.fill(a, i, i + inner); i += inner; continue; }
      const base = (o * scale.shape[g.axis] + Math.floor(a / g.block)) * inner;
      for (let k = 0; k < inner; k++) idx[i++] = base + k;
    }
  }
  return idx;
}

/** y = saturate(round(x / scale) + zero_point); the division is float32. */
export function quantize(x: ArrayLike<number>, shape: readonly number[], out: DType, scales: ArrayLike<number>, zps: ArrayLike<number> | null, idx: Int32Array | null, saturate = true): Tensor {
  const res = new Tensor(out, shape);
  const d = res.data as Uint8Array;
  const range = INT_RANGES[out];
  for (let i = 0; i < d.length; i++) {
    const k = idx ? idx[i] : 0;
    const v = Math.fround(Math.fround(x[i]) / scales[k]);
    if (!range) { d[i] = encodeF8(v + (zps ? zps[k] : 0), out as 'f8e4m3', saturate); continue; }
    const q = roundHalfEven(v) + (zps ? zps[k] : 0);
    d[i] = q < range[0] ? range[0] : q > range[1] ? range[1] : q;
  }
  return res;
}

defineKernel('QuantizeLinear', ([x, s, zp], node) => {
  const out = quantizedType(zp?.dtype, node.attr.int('output_dtype', 0), (m) => fail(node, m));
  const idx = paramIndex(node, x!, s!, zp);
  return [quantize(numbers(x!), x!.shape, out, numbers(s!), zp ? numbers(zp) : null, idx, node.attr.int('saturate', 1) !== 0)];
}, 'any');

defineKernel('DequantizeLinear', ([x, s, zp], node) => {
  const od = node.attr.int('output_dtype', 0);
  const out = od === 0 ? s!.dtype : dtypeFromOnnx(od) ?? fail(node, `output_dtype ${od} is not a known element type`);
  if (!['f32', 'f64', 'f16', 'bf16'].includes(out)) fail(node, `cannot dequantize to ${out}`);
  const idx = paramIndex(node, x!, s!, zp);
  const xv = numbers(x!), sv = numbers(s!), zv = zp ? numbers(zp) : null;
  const vals = out === 'f64' ? new Float64Array(x!.size) : new Float32Array(x!.size);
  for (let i = 0; i < vals.length; i++) {
    const k = idx ? idx[i] : 0;
    vals[i] = Math.fround(xv[i] - (zv ? zv[k] : 0)) * sv[k];
  }
  return [out === 'f32' || out === 'f64' ? new Tensor(out, x!.shape, vals) : Tensor.fromNumbers(out, x!.shape, vals)];
}, 'any');

/** onnxruntime's uint8 parameters: the range widened to include 0, scale = range / 255, zero point rounded. */
defineKernel('DynamicQuantizeLinear', ([x], node) => {
  if (x!.dtype !== 'f32') fail(node, `input must be f32, got ${x!.dtype}`);
  const xv = x!.data as Float32Array;
  let min = 0, max = 0;
  for (let i = 0; i < xv.length; i++) { const v = xv[i]; if (v < min) min = v; if (v > max) max = v; }
  const scale = max === min ? 1 : Math.fround(Math.fround(max - min) / 255);
  const zp = roundHalfEven(Math.min(255, Math.max(0, Math.fround(0 - Math.fround(min / scale)))));
  const y = quantize(xv, x!.shape, 'u8', [scale], [zp], null);
  return [y, new Tensor('f32', [], Float32Array.of(scale)), new Tensor('u8', [], Uint8Array.of(zp))];
}, 'any');
