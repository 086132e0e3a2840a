// Numerical comparison of outputs: the criterion of the whole project is
// max|a − b| ≤ tol · max|ref| per output (fp32: tol = 1e-4).
import type { Tensor } from '../ir/graph/tensor.ts';

export interface Diff {
  readonly name: string;
  readonly maxAbs: number;
  readonly maxRef: number;
  /** maxAbs / maxRef (0 when both are 0). */
  readonly rel: number;
  readonly shapeMatch: boolean;
  readonly ok: boolean;
}

export function compareTensors(name: string, got: Tensor, ref: Tensor, tol: number): Diff {
  const shapeMatch = got.shape.length === ref.shape.length && got.shape.every((d, i) => d === ref.shape[i]);
  if (!shapeMatch || got.size !== ref.size) return { name, maxAbs: Infinity, maxRef: 0, rel: Infinity, shapeMatch: false, ok: false };
  const a = got.toNumbers(), b = ref.toNumbers();
  let maxAbs = 0, maxRef = 0, nanMismatch = false;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) { nanMismatch = true; continue; }
    if (Number.isNaN(b[i])) continue;
    if (a[i] === b[i]) { maxRef = Math.max(maxRef, Math.abs(b[i])); continue; } // equal infinities
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  if (nanMismatch) maxAbs = Infinity;
  const rel = maxAbs === 0 ? 0 : maxRef === 0 ? Infinity : maxAbs / maxRef;
  return { name, maxAbs, maxRef, rel, shapeMatch, ok: maxAbs <= tol * maxRef };
}
