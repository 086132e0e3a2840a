// Screening a large verification pool down to the samples the search evaluates plans on. The output
// SQNR of a classifier over a set is decided by a few inputs (PP-OCR cls: 2 of 256 crops carry 83-89 %
// of the noise of every plan, int8 or int4w alike), so a verification split has to be large to hold
// any of them, and evaluating every plan on a large split is slow. The noise falls on the same samples
// whatever the plan (it is the model's gain at that input, not the plan, that makes them loud), so one
// pass of uniform int8 over the pool finds them: stratified sampling keeps every "heavy" sample
// (weight 1) and a seeded random share of the rest, weighted to stand for all of it. Every metric of
// the search is then the pool's weighted estimate, at the cost of `keep` samples per evaluation.
// Pure (numbers in, indices and weights out); prepareSearch (search-split.ts) runs the models.
import { rng, shuffle } from '../runtime/random.ts';

export interface Stratified {
  /** Pool indices of the kept samples, ascending. */
  readonly index: readonly number[];
  /** One weight per kept sample: 1 for heavy ones, (rest of the pool) / (rest kept) otherwise. */
  readonly weights: readonly number[];
  /** Heavy samples kept whole. */
  readonly heavy: number;
  /** Their share of the pool's probe noise. */
  readonly heavyShare: number;
}

export interface StratifyOptions {
  /** Samples to keep (the search's evaluation count). */
  readonly keep: number;
  /** Heavy stratum: the noisiest samples until they hold this share of the noise (default 0.9)… */
  readonly share?: number;
  /** …but at most this fraction of `keep` (default 0.25), so the rest stays a real sample. */
  readonly maxHeavyFraction?: number;
  readonly seed?: number;
}

/** `noise[i]`: sample i's noise energy under the probe plan (uniform int8). */
export function stratify(noise: readonly number[], opts: StratifyOptions): Stratified {
  const n = noise.length, keep = Math.min(n, Math.max(1, Math.floor(opts.keep)));
  if (keep >= n) return { index: noise.map((_, i) => i), weights: noise.map(() => 1), heavy: 0, heavyShare: 0 };
  const total = noise.reduce((a, b) => a + b, 0);
  const byNoise = noise.map((_, i) => i).sort((a, b) => noise[b] - noise[a]);
  const cap = Math.max(0, Math.floor(keep * (opts.maxHeavyFraction ?? 0.25)));
  const heavy: number[] = [];
  let held = 0;
  for (const i of byNoise) {
    if (heavy.length >= cap || total <= 0 || held >= (opts.share ?? 0.9) * total) break;
    heavy.push(i); held += noise[i];
  }
  const isHeavy = new Set(heavy);
  const rest = noise.map((_, i) => i).filter((i) => !isHeavy.has(i));
  const light = shuffle(rest, rng(opts.seed ?? 1)).slice(0, keep - heavy.length);
  const w = rest.length / Math.max(1, light.length);
  const index = [...heavy, ...light].sort((a, b) => a - b);
  return { index, weights: index.map((i) => (isHeavy.has(i) ? 1 : w)), heavy: heavy.length, heavyShare: total > 0 ? held / total : 0 };
}
