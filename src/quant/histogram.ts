// A streaming histogram for calibration. The range is not known before the calibration set has
// been seen, so it starts at the first batch's largest magnitude and doubles whenever a later
// batch exceeds it, merging bins pairwise (no sample is re-read, no resolution lost beyond 2x).
// `signed` bins cover [−R, R]; otherwise bins hold |x| over [0, R].

export class StreamingHistogram {
  readonly bins: Float64Array;
  /** Current half-width (signed) or width (magnitude) of the binned range; 0 before any non-zero sample. */
  limit = 0;
  total = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly size: number, readonly signed: boolean) {
    if (size % 4 !== 0 || size < 8) throw new RangeError(`histogram size must be a multiple of 4, ≥ 8, got ${size}`);
    this.bins = new Float64Array(size);
  }

  add(x: ArrayLike<number>): void {
    let amax = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (Number.isNaN(v)) continue;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      const a = Math.abs(v);
      if (a > amax) amax = a;
    }
    if (!Number.isFinite(amax)) throw new RangeError('calibration data holds ±Infinity');
    if (this.limit === 0) this.limit = amax; // zeros before the first non-zero batch land in bin 0/middle anyway
    while (amax > this.limit) this.grow();
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (Number.isNaN(v)) continue;
      this.bins[this.bin(v)]++;
      this.total++;
    }
  }

  /** Doubles the range: bin pairs merge; in signed mode the old range becomes the middle half. */
  private grow(): void {
    const old = Float64Array.from(this.bins), B = this.size, off = this.signed ? B / 4 : 0;
    this.bins.fill(0);
    for (let i = 0; i < B; i++) this.bins[off + (i >> 1)] += old[i];
    this.limit *= 2;
  }

  /** The bin a value falls in. */
  bin(v: number): number {
    const B = this.size, R = this.limit || 1;
    const t = this.signed ? ((v + R) / (2 * R)) * B : (Math.abs(v) / R) * B;
    return Math.max(0, Math.min(B - 1, Math.floor(t)));
  }

  get binWidth(): number { return ((this.signed ? 2 : 1) * this.limit) / this.size; }
  /** Value at the lower edge of bin i. */
  edge(i: number): number { return (this.signed ? -this.limit : 0) + i * this.binWidth; }

  /** The q-quantile (0..1), linearly interpolated inside the bin where the cumulative count crosses it. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const target = q * this.total;
    let cum = 0;
    for (let i = 0; i < this.size; i++) {
      const c = this.bins[i];
      if (c > 0 && cum + c >= target) return this.edge(i) + ((target - cum) / c) * this.binWidth;
      cum += c;
    }
    return this.edge(this.size);
  }
}
