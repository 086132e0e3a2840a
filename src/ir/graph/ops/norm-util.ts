// Small checks shared by the norm-family shape rules.
import { UnsupportedError, nodeRef } from '../../../util/errors.ts';
import type { DType } from '../dtype.ts';
import type { Dim, TensorType } from '../graph.ts';
import type { InferCtx } from './registry.ts';

/** Largest tensor (in elements) Resize / DepthToSpace may produce: absurd scales or blocksizes in a
 * fuzzed model fail with a coded error instead of allocating gigabytes. */
export const MAX_OUTPUT_ELEMENTS = 2 ** 28;

/** Float types the reference kernels compute in (narrow floats are widened to f32). */
export function isComputeFloat(d: DType): boolean {
  return d === 'f32' || d === 'f16' || d === 'bf16' || d === 'f64';
}

export function floatInput(c: InferCtx, i: number): TensorType {
  const t = c.input(i);
  if (!isComputeFloat(t.dtype)) c.fail(`input ${i} must be a float tensor (f32, f16, bf16, f64), got ${t.dtype}`);
  return t;
}

export function unsupported(c: InferCtx, message: string): never {
  throw new UnsupportedError(`${nodeRef(c.node)}: ${message}`);
}

/** Fails unless input i has exactly `expected` as shape, where both sides are known sizes. */
export function expectShape(c: InferCtx, i: number, expected: readonly Dim[], what: string): void {
  const t = c.input(i);
  const bad = t.shape.length !== expected.length
    || t.shape.some((d, k) => typeof d === 'number' && typeof expected[k] === 'number' && d !== expected[k]);
  if (bad) c.fail(`${what} (input ${i}) must have shape [${expected.join(',')}], got [${t.shape.join(',')}]`);
}

/** Fails unless input i broadcasts to `target` without changing it (trailing alignment). */
export function expectBroadcastable(c: InferCtx, i: number, target: readonly Dim[], what: string): void {
  const s = c.input(i).shape;
  const off = target.length - s.length;
  const bad = s.some((d, k) => {
    if (d === 1) return false;
    if (k + off < 0) return true;
    const e = target[k + off];
    return typeof d === 'number' && typeof e === 'number' && d !== e;
  });
  if (bad) c.fail(`${what} (input ${i}) of shape [${s.join(',')}] does not broadcast to [${target.join(',')}]`);
}

/** Product of known sizes, or undefined when any is symbolic. */
export function knownProduct(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) { if (typeof d !== 'number') return undefined; n *= d; }
  return n;
}

/** MeanVarianceNormalization axes, normalized; fails on out-of-range or repeated entries. */
export function mvnAxes(c: { fail(message: string): never }, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) c.fail(`axes entry ${a} is out of range for rank ${rank}`);
    return n;
  });
  if (new Set(out).size !== out.length) c.fail(`axes [${axes.join(',')}] repeat an axis`);
  return out;
}
