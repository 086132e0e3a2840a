// Seeded random inputs: tests and `tscc run` draw inputs that are never all zeros.
import { type DType, isFloat } from '../ir/graph/dtype.ts';
import { Tensor, sizeOf } from '../ir/graph/tensor.ts';

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Floats uniform in [lo, hi); integers uniform in [lo, hi) truncated; bools half true. */
/** Shuffles `a` in place (Fisher–Yates from the end, k = ⌊next()·(j+1)⌋) and returns it. */
export function shuffle<T>(a: T[], next: () => number): T[] {
  for (let j = a.length - 1; j > 0; j--) { const k = Math.floor(next() * (j + 1)); [a[j], a[k]] = [a[k], a[j]]; }
  return a;
}

export function randomTensor(dtype: DType, shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const n = sizeOf(shape);
  const vals = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    vals[i] = dtype === 'bool' ? +(u < 0.5) : isFloat(dtype) ? lo + (hi - lo) * u : Math.floor(lo + (hi - lo) * u);
  }
  return Tensor.fromNumbers(dtype, shape, vals);
}
