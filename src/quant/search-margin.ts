// The guard band of an sqnr floor, chosen from measured variance instead of a fixed 2 dB. The search
// verifies plans on a split of the calibration set that did not set the ranges; the SQNR measured
// there is itself an estimate over a few samples, and one sample near a decision boundary can move
// it by several dB (PP-OCR cls: per-sample SQNR of uniform int8 from 3 to 105 dB). The margin is how
// far the aggregate SQNR's one-sided lower bootstrap bound (the 5th percentile of its resampled
// values) lies below the point estimate. Not a symmetric z·σ: with one sample holding most of the
// noise, resamples without it read tens of dB higher and inflate σ (PP-OCR cls, rendered crops: 1.64σ
// = 20.1 dB) while the lower tail — that sample drawn twice or three times — is 3-5 dB down, and
// only the lower tail can make a plan miss the floor. Its spread in dB depends on how unevenly the
// noise falls on the samples, not on its level, so one probe plan (uniform int8) sets it.
import type { TensorMap } from '../runtime/interpreter.ts';
import { rng } from '../runtime/random.ts';
import { sqnrDb } from './sensitivity-metrics.ts';

/** Per sample: Σ ref² and Σ (ref − q)² over every output element (times the sample's weight, when given). */
export function samplePowers(refs: readonly TensorMap[], qs: readonly TensorMap[], weights?: readonly number[]): { signal: number; noise: number }[] {
  return refs.map((r, i) => {
    const w = weights?.[i] ?? 1;
    let signal = 0, noise = 0;
    for (const [k, t] of Object.entries(r)) {
      const a = t.toF32(), b = qs[i][k].toF32();
      for (let j = 0; j < a.length; j++) { signal += a[j] * a[j]; noise += (a[j] - b[j]) ** 2; }
    }
    return { signal: w * signal, noise: w * noise };
  });
}

/** Aggregate SQNR 10·log10(ΣS / ΣN) of `rounds` bootstrap resamples of the samples (finite ones). */
function bootstrapSqnr(p: readonly { signal: number; noise: number }[], rounds: number, seed: number): number[] {
  const next = rng(seed), vals: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let s = 0, n = 0;
    for (let i = 0; i < p.length; i++) { const k = Math.floor(next() * p.length); s += p[k].signal; n += p[k].noise; }
    const v = sqnrDb(s, n);
    if (Number.isFinite(v)) vals.push(v);
  }
  return vals;
}

/**
 * Bootstrap standard deviation (dB) of the aggregate SQNR over the samples: the symmetric spread the
 * margin used before session 4, kept to show (test/quant/search-margin.test.ts) why the lower-tail
 * drop replaced it.
 */
export function sqnrBootstrapStd(p: readonly { signal: number; noise: number }[], rounds = 500, seed = 1): number {
  if (p.length < 2) return Infinity;
  const vals = bootstrapSqnr(p, rounds, seed);
  if (vals.length < 2) return 0;
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  return Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
}

/** Point estimate minus the `alpha` quantile of the bootstrap (dB): the one-sided lower-bound drop. */
export function sqnrLowerDrop(p: readonly { signal: number; noise: number }[], alpha = 0.05, rounds = 1000, seed = 1): number {
  if (p.length < 2) return Infinity;
  const point = sqnrDb(p.reduce((a, x) => a + x.signal, 0), p.reduce((a, x) => a + x.noise, 0));
  const vals = bootstrapSqnr(p, rounds, seed).sort((a, b) => a - b);
  if (!Number.isFinite(point) || vals.length === 0) return 0;
  return Math.max(0, point - vals[Math.min(vals.length - 1, Math.floor(alpha * vals.length))]);
}

/**
 * Margin (dB) for an sqnr floor: the one-sided (1 − alpha) bootstrap drop, at least `min`. With
 * `weights` (a screened subset standing for its pool) the weighted samples are resampled as they are
 * — an approximation of a stratified bootstrap that keeps the heavy samples' own spread.
 */
export function marginFromSplit(refs: readonly TensorMap[], qs: readonly TensorMap[], alpha = 0.05, min = 0.5, weights?: readonly number[]): number {
  return Math.max(min, sqnrLowerDrop(samplePowers(refs, qs, weights), alpha));
}
