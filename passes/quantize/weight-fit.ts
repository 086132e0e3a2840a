// Error-compensating rounding of a conv weight onto any elementwise grid (weight-grid.ts: int8
// per-channel, int4w blocks, fp16, bf16) — GPTQ / OBQ (Frantar et al. 2022) with an asymmetric target
// (GPTAQ, Li et al. 2025: "GPTQ with asymmetric calibration").
//
// The layer computes y = W x. Quantized, it computes Ŵ x̃, where x̃ is what the quantized model
// upstream feeds it (its weights and boundary casts rounded: u8 codes, bf16 casts, …). The target is
// the fp32 layer on fp32 inputs, so per output row w we minimise Σ (w x − ŵ x̃)² over the calibration
// patches. With H̃ = Σ x̃ x̃ᵀ and E = Σ (x − x̃) x̃ᵀ this splits exactly into
//   ‖w X − w' X̃‖² + (w' − ŵ) H̃ (w' − ŵ)ᵀ,   w' = w + w E H̃⁻¹  (the unconstrained least squares),
// so: move w to w' (it compensates the upstream error, not only this layer's), then round w' with
// GPTQ's error feedback through H̃⁻¹ (its Cholesky factor), one element at a time. x̃ = x gives plain
// GPTQ (E = 0). The bias, f32 in every format, can join as a last column of ones: it is never
// rounded, so GPTQ's feedback leaves it at the best value given the rounded weights.
import type { Node } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { cholesky, choleskyInverse } from './linalg.ts';
import { convMoments, type Moments } from './moments.ts';
import { addMoments, chooseShiftDamp } from './weight-fit-shift.ts';
import type { WeightGrid } from './weight-grid.ts';

export { convMoments } from './moments.ts';

export interface FitOptions {
  /** Patch positions sampled per image (bounds the cost on large feature maps). Default 4096. */
  readonly maxPositions?: number;
  /** GPTQ dampening: fraction of H̃'s mean diagonal added to it (default 0.01). */
  readonly damp?: number;
  /** Round columns in order of decreasing H̃ diagonal (GPTQ's act-order) instead of storage order. */
  readonly actOrder?: boolean;
  /** Refit the bias with the weights (a conv without a bias keeps none). */
  readonly bias?: boolean;
  /** Variance of white noise the layer's inputs will carry beyond x̃ (e.g. u8 step²/12 when x̃ = x). */
  readonly inputNoise?: number;
  /**
   * Fit only when the conv saw at least this many sampled patches per column of H̃ (default 0: always);
   * else round to nearest. Measured on PP-OCR cls (bf16): the squeeze-excitation convs read one pooled
   * vector per image (32 patches for up to 200 columns), yet their fitted weights still beat round to
   * nearest on held-out inputs (e.g. 56.2 → 72.9 dB), and skipping them lost 4 dB end to end.
   */
  readonly minPatchesPerColumn?: number;
  /**
   * Apply the sequential target's least-squares shift (and the bias refit) only when the conv saw at
   * least this many patches per column (default 0: always); below, plain GPTQ with H̃.
   */
  readonly minPatchesForShift?: number;
  /**
   * Accumulate the least-squares shift's W E directly from the patches (Σ (W (p − p̃)) p̃ᵀ, R·(n + m)
   * per patch for R rows) instead of E itself (n·m per patch) where that is cheaper (R < ~n/2: PP-OCR
   * det's 3×3 96→24 convs, depthwise convs; not the expanding 1×1 convs) — default true. The same sum in another
   * order: W E differs from session 5's in the last bits, which can flip a rounding decision
   * (measured end to end in passes/quantize/README.md "Cost (session 6)"); false: E, as session 5.
   */
  readonly foldShift?: boolean;
  /**
   * Sequential target: choose each conv's shift dampening (or no shift) by 2-fold validation over the
   * calibration samples (weight-fit-shift.ts) — the shift overfits where a layer sees few patches per
   * column (PP-OCR det's deep layers) and generalizes elsewhere. Default false.
   */
  readonly validateShift?: boolean;
}

export interface FittedConv {
  /** The weight, every element on the grid. */
  readonly weight: Float32Array;
  /** The refitted bias (only with `bias` and a conv that has one). */
  readonly bias?: Float32Array;
}

/**
 * One conv's weight [M, C/g, kh, kw] rounded onto `grid` against inputs xs (fp32 model) and xts (the
 * quantized model's inputs at the same samples; omit for the fp32-input target).
 */
export function fitConv(c: Node, w: Tensor, b: Tensor | undefined, grid: WeightGrid, xs: readonly Tensor[], xts?: readonly Tensor[], opts: FitOptions = {}): FittedConv {
  const shape = w.shape, wf = w.toF32(), bf = opts.bias && b ? b.toF32() : undefined;
  const groups = c.attr.int('group', 1), m = shape[0], cpg = shape[1], n = cpg * shape[2] * shape[3], mpg = m / groups;
  const cols = bf ? n + 1 : n;
  const out = new Float32Array(wf.length), bias = bf ? new Float32Array(bf) : undefined;
  for (let k = 0; k < groups; k++) {
    const rows: Float64Array[] = [];
    for (let o = k * mpg; o < (k + 1) * mpg; o++) {
      const r = new Float64Array(cols);
      for (let j = 0; j < n; j++) r[j] = wf[o * n + j];
      if (bf) r[n] = bf[o];
      rows.push(r);
    }
    const momentsOf: MomentsOf = (x, xt, fold) => convMoments(c, shape, k * cpg, cpg, x, xt, opts.maxPositions ?? 4096, !!bf, fold);
    const fitted = fitLayer(rows, n, momentsOf, xs, xts, (r, j, v) => grid.fixed.get((k * mpg + r) * n + j) ?? grid.nearest(v, (k * mpg + r) * n + j), opts);
    fitted.forEach((r, i) => {
      const o = k * mpg + i;
      for (let j = 0; j < n; j++) out[o * n + j] = r[j];
      if (bias) bias[o] = Math.fround(r[n]);
    });
  }
  return { weight: out, bias };
}

/** A layer's patch moments over xs / xts; with `fold`, W E for those rows instead of E (convMoments). */
export type MomentsOf = (xs: readonly Tensor[], xts: readonly Tensor[] | undefined, fold?: readonly Float64Array[]) => Moments;

/**
 * A layer's weight rows (n weights, then the bias column when refitted) fitted on its patch moments,
 * with the options every fitted layer shares: W E folded where cheaper, the validated shift, the
 * input-noise diagonal, the patch-count guards. `quant(row, col, v)` rounds weight `col` of `row`
 * (col < n) onto the grid.
 */
export function fitLayer(rows: readonly Float64Array[], n: number, momentsOf: MomentsOf, xs: readonly Tensor[], xts: readonly Tensor[] | undefined,
  quant: (row: number, col: number, v: number) => number, opts: FitOptions): Float64Array[] {
  const cols = rows[0].length, q = (r: number, j: number, v: number) => (j >= n ? v : quant(r, j, v));
  // W E directly where it is cheaper than E: R·(n + m) < n·m per patch (fewer rows than ~n/2).
  const fold = (opts.foldShift ?? true) && rows.length * (n + cols) < n * cols;
  const momOf = (x: readonly Tensor[], xt?: readonly Tensor[]) => momentsOf(x, xt, fold ? rows : undefined);
  let mom: Moments, shiftDamp: number | undefined;
  if (opts.validateShift && xts && xs.length >= 2) {
    // Two halves (even / odd samples): their sum is the whole set's moments, and the held-back half scores the shift.
    const half = <T>(a: readonly T[], r: number) => a.filter((_, i) => i % 2 === r);
    const a = momOf(half(xs, 0), half(xts, 0)), b = momOf(half(xs, 1), half(xts, 1));
    mom = addMoments(a, b);
    shiftDamp = chooseShiftDamp(a, b, rows, cols, opts.damp ?? 0.01, (r, we, h, d) => shiftRows(r, we, dampedInverse(h, cols, d), cols),
      (t) => t.we ?? rowsTimesE(rows, t.e, cols));
  } else mom = momOf(xs, xts);
  if (mom.count < (opts.minPatchesPerColumn ?? 0) * cols) return rows.map((w, r) => w.map((v, j) => q(r, j, v)));
  for (let i = 0; i < n; i++) mom.h[i * cols + i] += mom.count * (opts.inputNoise ?? 0);
  const shift = mom.count >= (opts.minPatchesForShift ?? 0) * cols;
  return fitRows(mom.h, shift ? mom.e : null, cols, rows, q, { ...opts, free: cols - n, we: shift ? mom.we : undefined, shiftDamp });
}

/**
 * The rows (each of length m; the last `free` columns are never rounded) fitted to min Σ (w x − ŵ x̃)²
 * given H̃ (m×m, summed over samples) and E (or null when x̃ = x). `quant(row, col, v)` is the grid.
 */
export function fitRows(h: Float64Array, e: Float64Array | null, m: number, rows: readonly Float64Array[], quant: (row: number, col: number, v: number) => number,
  opts: { damp?: number; actOrder?: boolean; free?: number; we?: readonly Float64Array[]; shiftDamp?: number } = {}): Float64Array[] {
  const damp = opts.damp ?? 0.01, inv = dampedInverse(h, m, damp);
  // The shift's own dampening (validateShift): Infinity = no shift.
  const sd = opts.shiftDamp ?? damp, invS = sd === damp ? inv : Number.isFinite(sd) ? dampedInverse(h, m, sd) : null;
  const shifted = invS && opts.we ? shiftRows(rows, opts.we, invS, m) : invS && e ? shiftRows(rows, rowsTimesE(rows, e, m), invS, m) : rows.map((w) => Float64Array.from(w));
  const nq = m - (opts.free ?? 0);
  const perm = Array.from({ length: m }, (_, i) => i);
  if (opts.actOrder) {
    const head = perm.slice(0, nq).sort((a, b) => h[b * m + b] - h[a * m + a] || a - b);
    perm.splice(0, nq, ...head);
  }
  const u = upperFactor(inv, m, perm);
  return shifted.map((w, r) => gptqRow(w, m, perm, u, (j, v) => quant(r, j, v)));
}

/** (H + λI)⁻¹ with λ = damp · mean diag; dead inputs (zero diagonal) get the mean. */
function dampedInverse(h: Float64Array, m: number, damp: number): Float64Array {
  const a = Float64Array.from(h);
  let mean = 0;
  for (let i = 0; i < m; i++) mean += a[i * m + i];
  mean = mean / m || 1;
  for (let i = 0; i < m; i++) a[i * m + i] = (a[i * m + i] || mean) + damp * mean;
  return choleskyInverse(cholesky(a, m), m);
}

/**
 * w E for each row w (a zero E without quantized inputs). Four rows share each pass over E (the cost
 * is reading the m×m matrix); each row's sums run in the same order as one row alone (zero terms
 * skipped, as alone), so the result is the same.
 */
function rowsTimesE(rows: readonly Float64Array[], e: Float64Array | null, m: number): Float64Array[] {
  const we: Float64Array[] = [];
  for (let r = 0; r < rows.length; r += 4) {
    const acc = rows.slice(r, r + 4).map(() => new Float64Array(m));
    if (e) accumulateRows(rows.slice(r, r + 4), e, m, acc);
    we.push(...acc);
  }
  return we;
}

/** w + (w E) H̃⁻¹ for each row w, given w E. */
function shiftRows(rows: readonly Float64Array[], we: readonly Float64Array[], inv: Float64Array, m: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let r = 0; r < rows.length; r += 4) {
    const o = rows.slice(r, r + 4).map((w) => Float64Array.from(w));
    accumulateRows(we.slice(r, r + 4), inv, m, o);
    out.push(...o);
  }
  return out;
}

/** acc[r][j] += Σ_i x[r][i] · a[i][j] (i in order, no term where x[r][i] = 0) for up to four rows. */
function accumulateRows(x: readonly Float64Array[], a: Float64Array, m: number, acc: Float64Array[]): void {
  const [x0, x1, x2, x3] = x, [c0, c1, c2, c3] = acc;
  for (let i = 0; i < m; i++) {
    const at = i * m;
    if (x.length === 4 && x0[i] !== 0 && x1[i] !== 0 && x2[i] !== 0 && x3[i] !== 0) {
      const v0 = x0[i], v1 = x1[i], v2 = x2[i], v3 = x3[i];
      for (let j = 0; j < m; j++) { const y = a[at + j]; c0[j] += v0 * y; c1[j] += v1 * y; c2[j] += v2 * y; c3[j] += v3 * y; }
      continue;
    }
    for (let r = 0; r < x.length; r++) {
      const v = x[r][i], c = acc[r];
      if (v === 0) continue;
      for (let j = 0; j < m; j++) c[j] += v * a[at + j];
    }
  }
}

/** U (upper) with P H⁻¹ Pᵀ = Uᵀ U, in permuted order: GPTQ's feedback coefficients. */
function upperFactor(inv: Float64Array, m: number, perm: readonly number[]): Float64Array {
  const p = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) p[i * m + j] = inv[perm[i] * m + perm[j]];
  const l = cholesky(p, m);
  const u = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) u[i * m + j] = l[j * m + i];
  return u;
}

/** One row: round in `perm` order, feeding each rounding error forward through U. */
function gptqRow(w: Float64Array, m: number, perm: readonly number[], u: Float64Array, quant: (col: number, v: number) => number): Float64Array {
  const row = new Float64Array(m);
  for (let i = 0; i < m; i++) row[i] = w[perm[i]];
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const q = quant(perm[i], row[i]);
    out[perm[i]] = q;
    const err = (row[i] - q) / u[i * m + i];
    if (err !== 0) for (let j = i + 1; j < m; j++) row[j] -= err * u[i * m + j];
  }
  return out;
}
