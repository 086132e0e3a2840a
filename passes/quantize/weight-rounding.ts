// Output-aware rounding of int8 Conv weights (GPTQ / Optimal Brain Quantization, Frantar et al. 2022;
// the closed-form cousin of AIMET's AdaRound). Round-to-nearest minimizes each weight's own error,
// but what the model sees is the layer's output error E‖(W_q − W)·x‖² = Δwᵀ H Δw with H = E[x xᵀ]
// over the conv's input patches. Quantizing one weight of a row at a time and spreading its rounding
// error onto the row's not-yet-quantized weights through H⁻¹ (H's Cholesky factor) minimizes that.
// H is uncentered, so the mean error that bias correction would remove is minimized too.
//
// The scales stay the ones `quantizeWeight` picks (per output channel amax/127) and each row keeps
// its amax weight at code ±127, so the result is an f32 weight lying exactly on the int8 grid: the
// quantize pass re-derives the same scale and codes from it, and the graph pattern does not change.
import { Graph, type Node } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams, type Range } from '../../src/quant/activations.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { quantizeWeight } from '../../src/quant/weights.ts';
import type { Calibration } from './calibrate.ts';
import { quantGroups } from './groups.ts';
import { cholesky, choleskyInverse } from './linalg.ts';
import { geometry, patch } from './conv-geometry.ts';

export interface RoundingInput {
  /** Precision per group (only int8 Conv groups are rounded this way). */
  readonly precisions: ReadonlyMap<string, Precision>;
  /** Per calibration sample, every boundary value of the float graph (calibrate()'s `activations`). */
  readonly activations: readonly ReadonlyMap<string, Tensor>[];
  /** Patch positions sampled per image and layer (bounds the cost on large feature maps). */
  readonly maxPositions?: number;
}

/** g with each int8 Conv weight replaced by its output-aware int8 rounding (dequantized, f32). */
export function roundWeights(g: Graph, input: RoundingInput): Graph {
  const int8 = new Set(quantGroups(g).filter((q) => input.precisions.get(q.name) === 'int8').map((q) => q.weight.name));
  const replaced = roundInt8Weights(g, input.activations, input.maxPositions);
  for (const k of [...replaced.keys()]) if (!int8.has(k)) replaced.delete(k);
  const spec = g.toSpec();
  return Graph.build({ ...spec, constants: spec.constants.map((v) => (replaced.has(v.name) ? { ...v, constant: replaced.get(v.name)! } : v)) });
}

/**
 * The output-aware int8 rounding of every eligible Conv weight of g, by weight name, for
 * `QuantPlan.int8Weights` (the quantize pass encodes these for int8 groups; other precisions keep
 * the original weight).
 */
export function roundInt8Weights(g: Graph, activations: readonly ReadonlyMap<string, Tensor>[], maxPositions = 4096, inputRanges?: ReadonlyMap<string, Range>, opts: RoundingOptions = {}): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const q of quantGroups(g)) {
    if (!eligible(g, q.compute)) continue;
    const xs = activations.map((env) => env.get(q.compute.input(0)!.name)).filter((t): t is Tensor => !!t);
    if (!xs.length) continue;
    const w = q.weight.constant!;
    const r = inputRanges?.get(q.compute.input(0)!.name);
    const noise = r ? activationParams(r, 'int8').scale ** 2 / 12 : 0;
    out.set(q.weight.name, new Tensor('f32', w.shape, roundConv(q.compute, w, xs, maxPositions, noise, opts)));
  }
  return out;
}

export interface RoundingOptions {
  /**
   * Output-aware scale per output channel: try clipping the row's amax (factors CLIP_FACTORS) and keep
   * the scale whose round-to-nearest error Δwᵀ H Δw is least. A row's amax is often set by weights on
   * input channels that carry little signal (PP-OCRv4 det: inputs whose per-channel |max| spans
   * 0.2 … 31 after a per-tensor affine), so amax/127 wastes the grid on them.
   */
  readonly clip?: boolean;
  /** GPTQ error feedback after the scale is chosen (default true; false = round to nearest). */
  readonly feedback?: boolean;
}

/** Clip factors of a row's amax tried by `RoundingOptions.clip`. */
export const CLIP_FACTORS = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5];

/** calib plus output-aware int8 weights fitted to its activations (noise from its ranges). */
export function withInt8Rounding(g: Graph, calib: Calibration): Calibration {
  return { ...calib, int8Weights: roundInt8Weights(g, calib.activations, 4096, calib.ranges) };
}

/** 2-D Conv with explicit padding, whose weight is read by this conv only. */
function eligible(g: Graph, c: Node): boolean {
  const w = g.value(c.input(1)!.name)!;
  const autoPad = c.attr.string('auto_pad', 'NOTSET');
  return c.op === 'Conv' && w.type.shape.length === 4 && w.consumers.length === 1 && (autoPad === 'NOTSET' || autoPad === 'VALID');
}

/** Output-aware rounding of one conv weight [M, C/g, kh, kw]; returns the dequantized weight. */
function roundConv(c: Node, w: Tensor, xs: readonly Tensor[], maxPositions: number, noise: number, opts: RoundingOptions = {}): Float32Array {
  const shape = w.shape, wf = w.toF32();
  const scales = quantizeWeight(wf, shape, { precision: 'int8', axis: 0, symmetric: true }).scale!;
  const groups = c.attr.int('group', 1), m = shape[0], cpg = shape[1], n = cpg * shape[2] * shape[3], mpg = m / groups;
  const out = new Float32Array(wf.length);
  for (let k = 0; k < groups; k++) {
    const { h, count } = patchMoment(c, xs, shape, k * cpg, cpg, maxPositions);
    // The layer will read u8-rounded inputs: their white rounding noise (step²/12 per element) is
    // part of what it sees, so it joins H. Without it the rounding leans on input directions of
    // tiny variance, where the activation noise then meets amplified weight errors.
    for (let i = 0; i < n; i++) h[i * n + i] += count * noise;
    const rowScale = (o: number) => (opts.clip ? clippedScale(wf.subarray(o * n, (o + 1) * n), scales[o], h, n) : scales[o]);
    if (opts.feedback === false) {
      for (let o = k * mpg; o < (k + 1) * mpg; o++) nearest(wf.subarray(o * n, (o + 1) * n), rowScale(o), out.subarray(o * n, (o + 1) * n));
      continue;
    }
    const chosen = Array.from({ length: mpg }, (_, j) => rowScale(k * mpg + j)); // before h is damped in place
    const u = upperFactorOfInverse(h, n);
    for (let o = k * mpg; o < (k + 1) * mpg; o++) roundRow(wf.subarray(o * n, (o + 1) * n), chosen[o - k * mpg], u, n, out.subarray(o * n, (o + 1) * n));
  }
  return out;
}

/** H = Σ p pᵀ over input patches p (channels [c0, c0 + cpg), all kernel taps), sampled positions. */
function patchMoment(c: Node, xs: readonly Tensor[], wShape: readonly number[], c0: number, cpg: number, maxPositions: number): { h: Float64Array; count: number } {
  const n = cpg * wShape[2] * wShape[3];
  const h = new Float64Array(n * n), p = new Float64Array(n);
  let count = 0;
  for (const x of xs) {
    const gm = geometry(c, x, wShape), d = x.toF32(), batch = x.shape[0];
    const positions = gm.oh * gm.ow, step = Math.max(1, Math.floor(positions / maxPositions));
    for (let b = 0; b < batch; b++) {
      for (let pos = 0; pos < positions; pos += step) {
        const oy = Math.floor(pos / gm.ow), ox = pos % gm.ow;
        count++;
        patch(gm, d, b, c0, cpg, oy, ox, p);
        for (let r = 0; r < n; r++) { const pr = p[r]; if (pr === 0) continue; for (let s = r; s < n; s++) h[r * n + s] += pr * p[s]; }
      }
    }
  }
  for (let r = 0; r < n; r++) for (let s = 0; s < r; s++) h[r * n + s] = h[s * n + r];
  return { h, count };
}

/** U with H⁻¹ = Uᵀ U (upper Cholesky factor of the damped inverse), as GPTQ uses it. */
function upperFactorOfInverse(h: Float64Array, n: number): Float64Array {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += h[i * n + i];
  mean = mean / n || 1;
  for (let i = 0; i < n; i++) h[i * n + i] = (h[i * n + i] || mean) + 0.01 * mean; // dead inputs and damping
  const inv = choleskyInverse(cholesky(h, n), n);
  const l = cholesky(inv, n); // lower: inv = L Lᵀ, so U = Lᵀ
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = l[j * n + i];
  return u;
}

/** Round to nearest on the grid of `scale`, saturating at ±127 (what a clipped scale does to the amax weights). */
function nearest(w: Float32Array, scale: number, out: Float32Array): void {
  for (let i = 0; i < w.length; i++) out[i] = Math.fround(Math.max(-127, Math.min(127, roundHalfEven(w[i] / scale))) * scale);
}

/** The clipped scale (amax·f/127, f in CLIP_FACTORS) whose nearest rounding has the least Δwᵀ H Δw. */
function clippedScale(w: Float32Array, scale: number, h: Float64Array, n: number): number {
  const q = new Float32Array(n), d = new Float64Array(n);
  let best = scale, bestErr = Infinity;
  for (const f of CLIP_FACTORS) {
    const s = Math.fround(scale * f);
    nearest(w, s, q);
    for (let i = 0; i < n; i++) d[i] = q[i] - w[i];
    let err = 0;
    for (let i = 0; i < n; i++) { if (d[i] === 0) continue; let r = 0; for (let j = 0; j < n; j++) r += h[i * n + j] * d[j]; err += d[i] * r; }
    if (err < bestErr) { bestErr = err; best = s; }
  }
  return best;
}

/** One output channel: quantize weights in order, feeding each rounding error forward through U. */
function roundRow(w: Float32Array, scale: number, u: Float64Array, n: number, out: Float32Array): void {
  const row = Float64Array.from(w);
  let pin = 0;
  for (let i = 1; i < n; i++) if (Math.abs(w[i]) > Math.abs(w[pin])) pin = i;
  for (let i = 0; i < n; i++) {
    // The amax weight keeps code ±127, so the scale re-derived from the result is this one.
    const code = i === pin ? Math.sign(w[pin]) * 127 : Math.max(-127, Math.min(127, roundHalfEven(row[i] / scale)));
    out[i] = Math.fround(code * scale);
    const err = (row[i] - out[i]) / u[i * n + i];
    for (let j = i + 1; j < n; j++) row[j] -= err * u[i * n + j];
  }
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
