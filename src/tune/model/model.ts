// Cost models behind one interface: fit on (features, cost) pairs, predict a score per row where
// LOWER IS BETTER. Rows are packed row-major in one Float32Array (n × FEATURE_LENGTH).
export interface CostModel {
  readonly name: string;
  fit(x: Float32Array, y: Float64Array, dims: number): Promise<void> | void;
  predict(x: Float32Array, dims: number): Float64Array;
}

/** The baseline: random scores, so search with it is random search. */
export class RandomModel implements CostModel {
  readonly name = 'random';
  private s: number;
  constructor(seed = 1) { this.s = seed >>> 0 || 1; }
  fit(): void {}
  predict(x: Float32Array, dims: number): Float64Array {
    const out = new Float64Array(x.length / dims);
    for (let i = 0; i < out.length; i++) { this.s ^= this.s << 13; this.s ^= this.s >>> 17; this.s ^= this.s << 5; out[i] = (this.s >>> 0) / 4294967296; }
    return out;
  }
}

/**
 * Fraction of pairs (with different true costs) the scores order the same way. `minRatio` > 1 keeps
 * only pairs whose costs differ by more than that factor (the noise-aware variant: pairs closer than
 * the measurement noise are coin flips); the plain accuracy is minRatio 1.
 */
export function pairwiseAccuracy(pred: ArrayLike<number>, truth: ArrayLike<number>, minRatio = 1): number {
  let right = 0, total = 0;
  for (let i = 0; i < truth.length; i++) {
    for (let j = i + 1; j < truth.length; j++) {
      if (truth[i] === truth[j]) continue;
      if (minRatio > 1 && Math.max(truth[i], truth[j]) < minRatio * Math.min(truth[i], truth[j])) continue;
      total++;
      if ((pred[i] - pred[j]) * (truth[i] - truth[j]) > 0) right++;
    }
  }
  return total === 0 ? 1 : right / total;
}

/** A prior, not a learned model: the score of a row is its feature distance to a reference row. */
export class NearModel implements CostModel {
  readonly name = 'near';
  constructor(private readonly ref: Float32Array) {}
  fit(): void {}
  predict(x: Float32Array, dims: number): Float64Array {
    const out = new Float64Array(x.length / dims);
    for (let i = 0; i < out.length; i++) {
      let d = 0;
      for (let j = 0; j < dims; j++) { const v = x[i * dims + j] - this.ref[j]; d += v * v; }
      out[i] = d === 0 ? Infinity : d; // the same features: most likely the default's own program
    }
    return out;
  }
}
