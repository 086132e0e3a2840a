// TensorRT's entropy calibration: choose the clipping threshold whose quantized distribution loses
// the least information, measured as KL(P || Q) over a histogram of |x|. For each candidate
// threshold bin i (from `levels` up), P is the histogram clipped at i with the clipped mass added
// to its last bin, Q is P's first i bins merged into `levels` quantization levels and expanded
// back uniformly over the non-empty bins. Follows NVIDIA pytorch-quantization's
// _compute_amax_entropy (including bins[0] = bins[1] to blunt a spike of exact zeros).

/** KL divergence Σ p log(p / q) of two un-normalized distributions; Infinity where q = 0 < p. */
function kl(p: Float64Array, q: Float64Array, n: number): number {
  let sp = 0, sq = 0;
  for (let j = 0; j < n; j++) { sp += p[j]; sq += q[j]; }
  if (sp === 0 || sq === 0) return Infinity;
  let d = 0;
  for (let j = 0; j < n; j++) {
    if (p[j] === 0) continue;
    if (q[j] === 0) return Infinity;
    const pj = p[j] / sp;
    d += pj * Math.log(pj / (q[j] / sq));
  }
  return d;
}

/** The bin index whose lower edge is the chosen threshold (the last minimum, as TensorRT takes). */
export function entropyThresholdBin(hist: Float64Array, levels = 128): number {
  // Candidates stop at the last non-empty bin: past it every threshold has the same KL, and taking
  // the last minimum would pick the histogram's (grown, power-of-two) edge instead of the data's.
  let last = hist.length - 1;
  while (last > 0 && hist[last] === 0) last--;
  const bins = Float64Array.from(hist.subarray(0, last + 1));
  if (bins.length > 1) bins[0] = bins[1];
  const n = bins.length;
  // Candidates start `levels` bins past the first non-empty bin, not at bin `levels`: the method
  // assumes data reaching down to 0. When |x| has an empty prefix (an image in [-1, 1] whose
  // smallest magnitude is 0.14), a threshold just past the first non-empty bin clips everything
  // into one bin, P and Q are both that one spike, and KL = 0 wins: PP-OCR cls's input got ±0.14.
  let first = 0;
  while (first < n && bins[first] === 0) first++;
  const from = Math.max(levels, first + levels);
  if (n <= from) return n;
  const p = new Float64Array(n), q = new Float64Array(n);
  const suffix = new Float64Array(n + 1);
  for (let j = n - 1; j >= 0; j--) suffix[j] = suffix[j + 1] + bins[j];
  let best = n, bestKl = Infinity;
  for (let i = from; i <= n; i++) {
    p.set(bins.subarray(0, i));
    p[i - 1] += suffix[i];
    // Q: merge bins [0, i) into `levels` chunks, spread each chunk's mass over its non-empty bins.
    for (let l = 0; l < levels; l++) {
      const start = Math.ceil((l * i) / levels - 1e-9), end = l === levels - 1 ? i : Math.ceil(((l + 1) * i) / levels - 1e-9);
      let mass = 0, nonEmpty = 0;
      for (let j = start; j < end; j++) if (bins[j] > 0) { mass += bins[j]; nonEmpty++; }
      for (let j = start; j < end; j++) q[j] = bins[j] > 0 ? mass / nonEmpty : 0;
    }
    const d = kl(p, q, i);
    if (d <= bestKl) { bestKl = d; best = i; }
  }
  return best;
}
