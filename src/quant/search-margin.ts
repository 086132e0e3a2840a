// The guard band of an sqnr floor, chosen from measured variance instead of a fixed 2 dB. The search
// verifies plans on a split of the calibration set that did not set the ranges; the SQNR measured
// there is itself an estimate over a few samples, and one sample near a decision boundary can move
// it by several dB (PP-OCR cls: per-sample SQNR of uniform int8 from 3 to 105 dB). The margin is
// `z` bootstrap standard deviations of that aggregate SQNR. Its spread in dB depends on how unevenly
// the noise falls on the samples, not on its level, so one probe plan (uniform int8) sets it.
import type { TensorMap } from '../runtime/interpreter.ts';
import { rng } from '../runtime/random.ts';
import { sqnrDb } from './sensitivity-metrics.ts';

/** Per sample: Σ ref² and Σ (ref − q)² over every output element. */
export function samplePowers(refs: readonly TensorMap[], qs: readonly TensorMap[]): { signal: number; noise: number }[] {
  return refs.map((r, i) => {
    let signal = 0, noise = 0;
    for (const [k, t] of Object.entries(r)) {
      const a = t.toF32(), b = qs[i][k].toF32();
      for (let j = 0; j < a.length; j++) { signal += a[j] * a[j]; noise += (a[j] - b[j]) ** 2; }
    }
    return { signal, noise };
  });
}

/** Bootstrap standard deviation (dB) of the aggregate SQNR 10·log10(ΣS / ΣN) over the samples. */
export function sqnrBootstrapStd(p: readonly { signal: number; noise: number }[], rounds = 500, seed = 1): number {
  if (p.length < 2) return Infinity;
  const next = rng(seed), vals: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let s = 0, n = 0;
    for (let i = 0; i < p.length; i++) { const k = Math.floor(next() * p.length); s += p[k].signal; n += p[k].noise; }
    const v = sqnrDb(s, n);
    if (Number.isFinite(v)) vals.push(v);
  }
  if (vals.length < 2) return 0;
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  return Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
}

/** Margin (dB) for an sqnr floor: z bootstrap σ (default 1.64, one-sided 95 %), at least `min`. */
export function marginFromSplit(refs: readonly TensorMap[], qs: readonly TensorMap[], z = 1.64, min = 0.5): number {
  return Math.max(min, z * sqnrBootstrapStd(samplePowers(refs, qs)));
}
