// Helpers shared by reference kernels.
import { ShapeError, nodeRef } from '../../util/errors.ts';
import { Tensor, sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import type { KernelNode } from '../kernel.ts';

export function fail(node: KernelNode, msg: string): never {
  throw new ShapeError(`${nodeRef(node)}: ${msg}`);
}

export function broadcastShape(node: KernelNode, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i, d = s[i];
      if (d === 1) continue;
      if (out[k] === 1) out[k] = d;
      else if (out[k] !== d) fail(node, `cannot broadcast shapes ${shapes.map((x) => `[${x}]`).join(' and ')}`);
    }
  }
  // A zero-size dim broadcasts against 1 to zero.
  for (const s of shapes) for (let i = 0; i < s.length; i++) if (s[i] === 0) out[rank - s.length + i] = 0;
  return out;
}

/**
 * For each output element (row-major over `out`), the flat index into an input of shape `shape`
 * broadcast to `out`. Returns null when the input already has the output's shape.
 */
export function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array | null {
  const n = sizeOf(out);
  if (shape.length === out.length && shape.every((d, i) => d === out[i])) return null;
  const idx = new Int32Array(n);
  if (sizeOf(shape) === 1) return idx;
  const rank = out.length;
  const inStrides = stridesOf(shape);
  const st = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) st[rank - shape.length + i] = shape[i] === 1 ? 0 : inStrides[i];
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d] < out[d]) { off += st[d]; break; }
      off -= st[d] * (out[d] - 1);
      counter[d] = 0;
    }
  }
  return idx;
}

export function normAxis(node: KernelNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Integer contents of an index-like tensor (i32/i64) as numbers. */
export function ints(t: Tensor | null | undefined): number[] {
  return t ? t.toNumbers() : [];
}

export function f32(shape: readonly number[], data?: Float32Array): Tensor {
  return new Tensor('f32', shape, data);
}
