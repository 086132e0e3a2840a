// Resize (opset 11–19 form; Upsample and Resize-10 arrive rewritten). The output is computed one
// resized axis at a time from per-axis taps (resize-taps.ts): nearest is a gather on the raw
// elements (any dtype), linear/cubic a weighted sum in f32. tf_crop_and_resize samples outside the
// input are overwritten with extrapolation_value at the end.
import { type DType, type TypedArray, allocArray } from '../../ir/graph/dtype.ts';
import { isComputeFloat } from '../../ir/graph/ops/norm-util.ts';
import { type ResizeAttrs, planResize, readResizeAttrs, resizeAxes } from '../../ir/graph/ops/resize-spec.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { UnsupportedError, nodeRef } from '../../util/errors.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { floatTensor, readFloats } from './float-io.ts';
import { type AxisTaps, axisTaps } from './resize-taps.ts';
import { fail } from './util.ts';

interface Pass { readonly axis: number; readonly taps: AxisTaps }

/** Per-axis roi start/end (only tf_crop_and_resize reads roi); axes outside `axes` get [0, 1]. */
function roiBounds(node: KernelNode, roi: Tensor | null, axes: readonly number[], rank: number): [number[], number[]] {
  const start = new Array<number>(rank).fill(0), end = new Array<number>(rank).fill(1);
  if (!roi || roi.size === 0) return [start, end];
  const v = roi.toNumbers();
  if (v.length !== 2 * axes.length) fail(node, `roi has ${v.length} entries, expected ${2 * axes.length}`);
  axes.forEach((a, k) => { start[a] = Math.fround(v[k]); end[a] = Math.fround(v[axes.length + k]); });
  return [start, end];
}

/** Gathers along `axis` with one tap per output index; works on the raw storage of any dtype. */
function gatherAxis(src: TypedArray, dtype: DType, shape: readonly number[], axis: number, idx: Int32Array): TypedArray {
  const inLen = shape[axis], outLen = idx.length;
  const inner = sizeOf(shape.slice(axis + 1)), outer = sizeOf(shape.slice(0, axis));
  const dst = allocArray(dtype, outer * outLen * inner);
  const s = src as unknown as number[], d = dst as unknown as number[];
  // Typed-array views share one type here, whatever the dtype; `set` copies whole rows at once.
  const rows = inner >= 16 ? (dst as Float32Array) : null, view = src as Float32Array;
  let o = 0;
  for (let b = 0; b < outer; b++) {
    for (let j = 0; j < outLen; j++) {
      const from = (b * inLen + idx[j]) * inner;
      if (rows) { rows.set(view.subarray(from, from + inner), o); o += inner; continue; }
      for (let i = 0; i < inner; i++) d[o++] = s[from + i];
    }
  }
  return dst;
}

/** Weighted sum along `axis`: out[…, j, …] = Σ_t w[j,t] · in[…, idx[j,t], …]. */
function interpolateAxis(src: Float32Array, shape: readonly number[], axis: number, taps: AxisTaps): Float32Array {
  const { k, idx, w } = taps;
  const inLen = shape[axis], outLen = idx.length / k;
  const inner = sizeOf(shape.slice(axis + 1)), outer = sizeOf(shape.slice(0, axis));
  const dst = new Float32Array(outer * outLen * inner);
  if (inner === 1) return interpolateLast(src, dst, outer, inLen, taps);
  for (let b = 0; b < outer; b++) {
    for (let j = 0; j < outLen; j++) {
      const to = (b * outLen + j) * inner;
      for (let t = j * k; t < (j + 1) * k; t++) {
        const wt = w[t];
        if (wt === 0) continue;
        const from = (b * inLen + idx[t]) * inner;
        for (let i = 0; i < inner; i++) dst[to + i] += wt * src[from + i];
      }
    }
  }
  return dst;
}

/** interpolateAxis for the innermost axis, where each output element is one short dot product. */
function interpolateLast(src: Float32Array, dst: Float32Array, outer: number, inLen: number, taps: AxisTaps): Float32Array {
  const { k, idx, w } = taps;
  const outLen = idx.length / k;
  let o = 0;
  for (let b = 0; b < outer; b++) {
    const from = b * inLen;
    for (let t = 0; t < outLen * k; t += k) {
      let acc = 0;
      for (let u = t; u < t + k; u++) acc += w[u] * src[from + idx[u]];
      dst[o++] = acc;
    }
  }
  return dst;
}

/** Overwrites every element whose source along some axis lies outside the input. */
function extrapolate(data: TypedArray, shape: readonly number[], passes: readonly Pass[], value: number | bigint): void {
  for (const { axis, taps } of passes) {
    if (!taps.outside) continue;
    const len = shape[axis], inner = sizeOf(shape.slice(axis + 1)), outer = sizeOf(shape.slice(0, axis));
    for (let b = 0; b < outer; b++) {
      for (let j = 0; j < len; j++) {
        if (taps.outside[j]) (data as Float32Array).fill(value as number, (b * len + j) * inner, (b * len + j + 1) * inner);
      }
    }
  }
}

function runPasses(x: Tensor, attrs: ResizeAttrs, passes: readonly Pass[], outShape: readonly number[]): Tensor {
  const shape = [...x.shape];
  if (attrs.mode === 'nearest') {
    let data = x.data;
    for (const p of passes) { data = gatherAxis(data, x.dtype, shape, p.axis, p.taps.idx); shape[p.axis] = p.taps.idx.length; }
    extrapolate(data, outShape, passes, Tensor.scalar(x.dtype, attrs.extrapolation).data[0]);
    return new Tensor(x.dtype, outShape, data);
  }
  let data = readFloats(x);
  for (const p of passes) { data = interpolateAxis(data, shape, p.axis, p.taps); shape[p.axis] = outShape[p.axis]; }
  if (passes.length === 0) data = data.slice();
  extrapolate(data, outShape, passes, attrs.extrapolation);
  return floatTensor(x.dtype, outShape, data);
}

defineKernel('Resize', ([x, roi, scales, sizes], node) => {
  const attrs = readResizeAttrs(node, node.attr);
  const shape = x!.shape, rank = shape.length;
  if (rank === 0) fail(node, 'input must have rank ≥ 1');
  if (attrs.mode !== 'nearest' && !isComputeFloat(x!.dtype)) {
    throw new UnsupportedError(`${nodeRef(node)}: ${attrs.mode} resize of ${x!.dtype} tensors is not supported (nearest is)`);
  }
  const failHere = (m: string): never => fail(node, m);
  const axes = resizeAxes(attrs, rank, failHere);
  const hasScales = !!scales && scales.size > 0, hasSizes = !!sizes && sizes.size > 0;
  if (hasScales === hasSizes) fail(node, hasScales ? 'only one of scales and sizes may be given' : 'one of scales and sizes must be given');
  const target = hasScales ? { scales: scales!.toNumbers() } : { sizes: sizes!.toNumbers() };
  const plan = planResize(shape, axes, target, attrs.policy, () => failHere('output size is not computable'), failHere);
  const outShape = plan.shape as number[];
  // onnxruntime returns the input unchanged whenever the output shape equals the input shape.
  if (outShape.every((d, i) => d === shape[i])) return [x!];
  if (sizeOf(outShape) === 0) return [new Tensor(x!.dtype, outShape)];
  const [roiStart, roiEnd] = attrs.coord === 'tf_crop_and_resize' ? roiBounds(node, roi, axes, rank) : [[], []];
  const passes: Pass[] = [];
  shape.forEach((inLen, axis) => {
    const outLen = outShape[axis];
    const taps = axisTaps(attrs, { inLen, outLen, scale: plan.scales[axis], roiStart: roiStart[axis] ?? 0, roiEnd: roiEnd[axis] ?? 1 });
    if (taps) passes.push({ axis, taps });
    else if (outLen !== inLen) fail(node, `axis ${axis}: cannot resize ${inLen} to ${outLen} with scale ${plan.scales[axis]}`);
  });
  // Shrinking axes first keeps the intermediate tensors small; among equal ratios the innermost
  // axis (the slowest pass, strided per element) goes first, while the tensor is smallest.
  const ratio = (p: Pass) => outShape[p.axis] / shape[p.axis];
  passes.sort((p, q) => ratio(p) - ratio(q) || q.axis - p.axis);
  return [runPasses(x!, attrs, passes, outShape)];
}, 'any');
