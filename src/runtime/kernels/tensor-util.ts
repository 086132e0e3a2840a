// Data-movement helpers of the tensor-family kernels: dtype-agnostic element access, a strided copy
// that serves Transpose/Slice/Expand/Tile, and size guards against malformed shapes.
import { Tensor, sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import { MAX_ELEMENTS } from '../../ir/graph/ops/tensor-math.ts';
import type { KernelNode } from '../kernel.ts';
import { fail } from './util.ts';

/**
 * A tensor's storage seen as plain cells. Copying cells between two arrays of the same dtype is
 * exact for every dtype (numbers, raw f16 bits, bigints), which is all data movement needs.
 */
export type Cells = number[];
export function cells(t: Tensor): Cells { return t.data as unknown as Cells; }

/** Validates a shape computed from data: integer dims ≥ 0 and a size we are willing to allocate. */
export function checkShape(node: KernelNode, shape: readonly number[]): number[] {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) fail(node, `invalid output dimension ${d} in [${shape}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) fail(node, `output shape [${shape}] has ${n} elements, more than the ${MAX_ELEMENTS} allowed`);
  return [...shape];
}

/** A new tensor of x's dtype and the given (checked) shape. */
export function like(node: KernelNode, x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(x.dtype, checkShape(node, shape));
}

/**
 * Copies the view (offset, strides, shape) of src into dst, row-major. Strides may be 0 (broadcast)
 * or negative (reversed slices). The innermost axis is a tight loop, or a block copy when contiguous.
 */
export function stridedCopy(src: Tensor, offset: number, strides: readonly number[], shape: readonly number[], dst: Tensor): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const S = cells(src), D = cells(dst);
  const rank = shape.length;
  if (rank === 0) { D[0] = S[offset]; return; }
  const inner = shape[rank - 1], step = strides[rank - 1];
  const counter = new Array<number>(rank - 1).fill(0);
  const block = step === 1 && inner >= 16;
  let base = offset;
  for (let o = 0; o < n; o += inner) {
    if (block) dst.data.set(src.data.subarray(base, base + inner) as never, o);
    else for (let i = 0, p = base; i < inner; i++, p += step) D[o + i] = S[p];
    for (let d = rank - 2; d >= 0; d--) {
      if (++counter[d] < shape[d]) { base += strides[d]; break; }
      base -= strides[d] * (shape[d] - 1);
      counter[d] = 0;
    }
  }
}

/** Strides of x viewed through broadcasting to `out` (0 on broadcast axes). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = stridesOf(shape);
  const r = out.length, k = r - shape.length;
  return out.map((_, i) => (i < k || shape[i - k] === 1 ? 0 : st[i - k]));
}

/** Sizes of the axes before, at and after `axis`: the (outer, dim, inner) view of most axis ops. */
export function around(shape: readonly number[], axis: number): { outer: number; dim: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), dim: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

/** Integer contents of an index tensor, as a Float64Array (exact for any realistic index). */
export function indexValues(t: Tensor): Float64Array {
  const d = t.data, out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/** A normalized index into an axis of size `dim`; negative counts from the end. Fails when out of range. */
export function normIndex(node: KernelNode, i: number, dim: number): number {
  const k = i < 0 ? i + dim : i;
  if (!(k >= 0 && k < dim)) fail(node, `index ${i} is out of range for an axis of size ${dim}`);
  return k;
}

/** For GatherND/ScatterND: data offsets of each index tuple, plus the slice size they address. */
export function ndOffsets(n: KernelNode, data: Tensor, idx: Tensor, batchDims: number): { offsets: Float64Array; slice: number } {
  const q = idx.rank, last = idx.shape[q - 1], b = batchDims;
  if (q < 1 || last < 1 || b + last > data.rank) fail(n, `indices [${idx.shape}] do not fit data [${data.shape}] with batch_dims ${b}`);
  for (let i = 0; i < b; i++) if (idx.shape[i] !== data.shape[i]) fail(n, `batch dim ${i} differs: ${idx.shape[i]} vs ${data.shape[i]}`);
  const I = indexValues(idx), st = stridesOf(data.shape);
  const tuples = I.length / last;
  const perBatch = sizeOf(idx.shape.slice(b, q - 1));
  const batchStride = b === 0 ? 0 : st[b - 1];
  const offsets = new Float64Array(tuples);
  for (let t = 0; t < tuples; t++) {
    let off = Math.floor(t / perBatch) * batchStride;
    for (let k = 0; k < last; k++) off += normIndex(n, I[t * last + k], data.shape[b + k]) * st[b + k];
    offsets[t] = off;
  }
  return { offsets, slice: sizeOf(data.shape.slice(b + last)) };
}

/**
 * Data offsets for the Elements ops: for each position of an index tensor of `shape` (row-major), the
 * offset into data with `strides` of that position with the `axis` coordinate left out. The caller adds
 * the index value times `strides[axis]`.
 */
export function axisBases(shape: readonly number[], strides: readonly number[], axis: number): Float64Array {
  const rank = shape.length;
  const bases = new Float64Array(sizeOf(shape));
  const counter = new Array<number>(rank).fill(0);
  let base = 0;
  for (let i = 0; i < bases.length; i++) {
    bases[i] = base;
    for (let d = rank - 1; d >= 0; d--) {
      const s = d === axis ? 0 : strides[d];
      if (++counter[d] < shape[d]) { base += s; break; }
      base -= s * (shape[d] - 1);
      counter[d] = 0;
    }
  }
  return bases;
}
