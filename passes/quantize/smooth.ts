// Channel smoothing through a per-channel affine (SmoothQuant, Xiao et al. 2023, applied where it is
// exact). PP-LCNetV3 (PP-OCRv4 det's backbone) ends every activation with a "learnable affine block",
// Mul(a) → Add(b) with constant a, b, right before the next conv. The tensor that conv reads has
// channels of very different ranges (per-channel |max| 0.2 … 119 around a median of 6), so one
// per-tensor u8 scale leaves the small channels a few codes. Dividing channel c of that affine by
// s_c (a_c/s_c, b_c/s_c: the constants become per-channel, [1, C, 1, 1]) and multiplying input
// channel c of the conv's weight by s_c leaves the model's output unchanged in exact arithmetic (a
// conv is linear in each input channel; zero padding stays zero), while the activation the conv
// reads gets the per-channel ranges max|x_c|/s_c:
//  - depthwise conv (weight [C, 1, kh, kw], per-output-channel int8 scales): the weight scale of
//    channel c absorbs s_c whole, so s_c = max|x_c| equalizes the activation channels for free;
//  - dense conv: the weight's per-output-channel range now mixes s_c-scaled input channels, so the
//    difficulty is split between them, s_c = max|x_c|^α / max|W[:, c]|^(1−α), α = 0.5 (SmoothQuant).
// The graph pattern the targets read is unchanged (per-tensor activations, per-channel weights;
// the affine ops stay float elementwise ops with per-channel constants). Runs on the float fused
// graph before calibration (ranges must be measured on the smoothed model), like equalize.ts.
import { Graph, type Node, type Value } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { type QGroup, quantGroups } from './groups.ts';
import { isDepthwise } from './quantize.ts';
import { activationParams } from '../../src/quant/activations.ts';
import { dequantizeInt, quantizeInt } from '../../src/quant/affine.ts';
import { fakeQuantize } from '../../src/quant/weights.ts';
import { convForward, convProblem } from '../../src/runtime/kernels/conv.ts';

/** An affine chain Mul(const) → Add(const)*, or a lone Conv, feeding a conv group's data input, nothing else reading it. */
export interface SmoothSite {
  /** The conv group (fused-graph node name). */
  readonly group: string;
  readonly weight: string;
  /** The value the conv reads (its per-channel ranges are what smoothing evens out). */
  readonly input: string;
  /** Node names: the Mul, then the Adds in data order (empty when `producer` is set). */
  readonly mul?: string;
  readonly adds: readonly string[];
  /** A one-member Conv group producing the input directly: its output channel c (weight row, bias) is divided by s_c. */
  readonly producer?: { readonly weight: string; readonly bias?: string };
  /** Every reader of `input` is depthwise (then s_c = amax_c, free). */
  readonly depthwise: boolean;
  /** Further conv groups reading `input` (data input, own weight): their input channels are scaled too. */
  readonly also?: readonly SmoothReader[];
}

/**
 * A conv group reading a site's input. `pooled`: it reads the global average pool of the affine's
 * output instead (the squeeze-excitation branch of a gated site): its input channels take s too, but
 * it does not enter the choice of s.
 */
export interface SmoothReader { readonly group: string; readonly weight: string; readonly depthwise: boolean; readonly pooled?: boolean }

export interface SmoothOptions {
  /**
   * Migration strength for dense convs (SmoothQuant's α). Default 'auto': per site, the α of ALPHAS
   * with the least predicted int8 output noise (`predictedNoise`). Depthwise convs always take 1.
   */
  readonly alpha?: number | 'auto';
  /** Also smooth into dense convs (default true). false: depthwise consumers only, which cost their
   *  weights nothing (PP-OCR cls: dense sites alone moved uniform int8 31.6 → 29.8 dB, 256 held-out). */
  readonly dense?: boolean;
  /**
   * How 'auto' picks α for a dense site: 'predicted' (default) by the closed-form noise model
   * `predictedNoise`; 'measured' by running the conv on the first `measureSamples` calibration inputs
   * with x/s quantized to u8 (per tensor, min/max) and W·s to i8 (per output channel), and keeping the α
   * with the least output MSE against the fp32 conv (`measuredNoise`). The closed form assumes white
   * weight noise through E[x²]; on det it over-migrated into `p2o.Conv.2` (40 % of the int8 noise).
   */
  readonly select?: 'predicted' | 'measured';
  /** Calibration samples 'measured' runs each candidate on (default 4). */
  readonly measureSamples?: number;
  /**
   * Also smooth through squeeze-excitation gates (session 6, opt-in): a conv reading y = x ⊙ g (g a
   * per-channel [1, C, 1, 1] gate computed from x by GlobalAveragePool → conv …) where x comes from an
   * affine chain: x/s makes y/s, and the pool's conv readers take s on their input channels, so the
   * gate is unchanged — exact in fp32 (PP-OCRv4 det `p2o.Conv.24` / `.28`).
   */
  readonly gated?: boolean;
  /** Called with each rescaled site and the α it took (reports, benches). */
  readonly onSite?: (site: SmoothSite, alpha: number) => void;
}

/** α candidates of `alpha: 'auto'`. */
export const ALPHAS = [0, 0.25, 0.5, 0.75, 1];

/** A standalone node's constant operand that broadcasts per channel (one value, or C along axis 1 of NCHW). */
function channelConstant(g: Graph, n: Node, channels: number): { index: number; value: Value } | undefined {
  if (n.body || n.inputs.length !== 2) return undefined;
  const k = n.inputs.findIndex((v) => !!v && g.value(v.name)?.isConstant);
  if (k < 0 || n.inputs[1 - k]?.isConstant) return undefined;
  const c = g.value(n.inputs[k]!.name)!;
  const shape = c.type.shape.map(Number), size = shape.reduce((a, b) => a * b, 1);
  const perChannel = size === channels && (shape.join() === `1,${channels},1,1` || shape.join() === `${channels},1,1`);
  return c.type.dtype === 'f32' && (size === 1 || perChannel) ? { index: k, value: c } : undefined;
}

/** A standalone Conv (not fused) whose weight and bias are constants only it reads. */
function loneConv(g: Graph, n: Node): SmoothSite['producer'] {
  if (n.body || n.op !== 'Conv' || n.outputs.length !== 1) return undefined;
  const own = (v: Value | null | undefined) => !!v && !!g.value(v.name)?.isConstant && g.value(v.name)!.consumers.length === 1 && v.type.dtype === 'f32';
  const w = n.input(1), b = n.input(2);
  if (!own(w) || w!.type.shape.length !== 4 || (b && !own(b))) return undefined;
  return { weight: w!.name, bias: b?.name };
}

/**
 * Every Mul(const) → Add(const)* → Conv (or Conv → Conv) chain whose intermediate values have exactly one
 * reader; the value the conv reads may have several, when every one is such a conv (PP-OCRv4 det: a
 * stage output read by the next depthwise conv and by the neck's 1×1 conv). One site per value, listed
 * at its first reader.
 */
export function findSmoothSites(g: Graph, opts: { gated?: boolean } = {}): SmoothSite[] {
  const outputs = new Set(g.outputs.map((v) => v.name));
  const groups = quantGroups(g), byNode = new Map(groups.map((q) => [q.node.name, q]));
  const sites: SmoothSite[] = [];
  for (const q of groups) {
    const x = g.value(q.compute.input(0)!.name);
    if (!x || !convReader(q, x.name) || outputs.has(x.name)) continue;
    if (opts.gated) {
      const gs = gatedSite(g, q, x, byNode, outputs);
      if (gs) { sites.push(gs); continue; }
    }
    const readers = x.consumers.map((n) => byNode.get(n.name)).map((r) => (r && convReader(r, x.name) ? r : undefined));
    if (readers.some((r) => !r) || readers[0] !== q) continue; // a non-conv reader, or listed at the first one
    const channels = Number(x.type.shape[1]);
    const { mul, adds } = affineChain(g, x, channels, outputs);
    const producer = !mul && !adds.length && x.producer ? loneConv(g, x.producer) : undefined;
    const also = readers.slice(1).map((r) => ({ group: r!.name, weight: r!.weight.name, depthwise: isDepthwise(r!.compute) }));
    const depthwise = isDepthwise(q.compute) && also.every((r) => r.depthwise);
    if (mul || producer) sites.push({ group: q.name, weight: q.weight.name, input: x.name, mul: mul?.name, adds, producer, depthwise, ...(also.length ? { also } : {}) });
  }
  return sites;
}

/**
 * The affine chain Mul(const) → Add(const)* that ends at x, walked back while each value has one reader
 * (x itself may have several): its Mul (absent when the chain starts elsewhere) and Adds, in order.
 */
function affineChain(g: Graph, x: Value, channels: number, outputs: ReadonlySet<string>): { mul?: Node; adds: string[] } {
  const adds: string[] = [];
  let v: Value = x, mul: Node | undefined;
  while ((v === x || v.consumers.length === 1) && !outputs.has(v.name) && v.producer) {
    const p = v.producer, k = channelConstant(g, p, channels);
    if (!k) break;
    if (p.op === 'Add') { adds.unshift(p.name); v = p.inputs[1 - k.index]!; continue; }
    if (p.op === 'Mul') mul = p;
    break;
  }
  return { mul, adds };
}

/**
 * A gated site: x = Mul(u, gate) read by conv q alone, gate [1, C, 1, 1] not constant, u from an affine
 * chain Mul(const) → Add(const)* whose end u is read only by that Mul and by GlobalAveragePool nodes whose
 * outputs only conv groups read (the squeeze-excitation branch): those convs become `pooled` readers.
 */
function gatedSite(g: Graph, q: QGroup, x: Value, byNode: ReadonlyMap<string, QGroup>, outputs: ReadonlySet<string>): SmoothSite | undefined {
  const gm = x.producer, channels = Number(x.type.shape[1]);
  if (!gm || gm.body || gm.op !== 'Mul' || x.consumers.length !== 1 || gm.inputs.length !== 2) return undefined;
  const isGate = (v: Value | null) => !!v && !v.isConstant && v.type.shape.map(Number).join() === `1,${channels},1,1`;
  const k = gm.inputs.findIndex((v) => isGate(v)), u = k < 0 ? undefined : gm.inputs[1 - k];
  if (!u || u.isConstant || u.type.shape.length !== 4 || Number(u.type.shape[1]) !== channels || outputs.has(u.name)) return undefined;
  const also: SmoothReader[] = [];
  for (const c of u.consumers) {
    if (c === gm) continue;
    const pooled = c.op === 'GlobalAveragePool' && !c.body ? c.outputs[0] : undefined;
    if (!pooled || outputs.has(pooled.name) || !pooled.consumers.length) return undefined;
    for (const r of pooled.consumers.map((n) => byNode.get(n.name))) {
      if (!r || !convReader(r, pooled.name)) return undefined;
      also.push({ group: r.name, weight: r.weight.name, depthwise: isDepthwise(r.compute), pooled: true });
    }
  }
  const { mul, adds } = affineChain(g, u, channels, outputs);
  return mul && also.length ? { group: q.name, weight: q.weight.name, input: x.name, mul: mul.name, adds, depthwise: false, also } : undefined;
}

/** A 4-D Conv group reading `x` as the data input of its first member, its weight read by it alone. */
function convReader(q: QGroup, x: string): boolean {
  const c = q.compute;
  if (c.op !== 'Conv' || c.input(0)?.name !== x || c.input(0)!.type.shape.length !== 4 || q.weight.consumers.length !== 1) return false;
  return !q.node.body || q.node.body.nodes[0] === c;
}

/**
 * g with every smoothing site rescaled (see the header): per-channel |max| of each site's input from
 * the calibration activations of g (calibrate(g, …).activations). fp32-equivalent; calibrate the
 * result again before quantizing it.
 */
export function smoothChannels(g: Graph, activations: readonly ReadonlyMap<string, Tensor>[], opts: SmoothOptions = {}): Graph {
  const alpha = opts.alpha ?? 'auto';
  const spec = g.toSpec();
  const constants = new Map(spec.constants.map((c) => [c.name, c]));
  const renamed = new Map<string, Map<number, string>>(); // node → operand index → new constant
  for (const site of findSmoothSites(g, { gated: opts.gated }).filter((x) => x.depthwise || opts.dense !== false)) {
    const st = channelStats(activations, site.input);
    if (!st) continue;
    const now = (name: string) => constants.get(name)!.constant!; // as rescaled so far (a conv can be both a producer and a consumer)
    // Every reader's input channels take s (one reader, or several convs reading the same value).
    const readers: SmoothSite[] = [{ ...site, depthwise: isDepthwise(conv(g, site)) }, ...(site.also ?? []).map((r) => ({ ...site, ...r, also: undefined }))];
    const judged = readers.filter((r) => !(r as SmoothReader).pooled), dense = judged.filter((r) => !r.depthwise); // pooled readers only follow s
    const wmax = (dense.length ? dense : judged).map((r) => weightAbsMax(now(r.weight), g, r)).reduce((a, b) => a.map((x, c) => Math.max(x, b[c])));
    const samples = activations.slice(0, opts.measureSamples ?? 4);
    const noise = (a: number) => judged.reduce((sum, r) => sum + (opts.select === 'measured'
      ? measuredNoise(now(r.weight), g, r, st, scales(st.amax, wmax, a), samples)
      : predictedNoise(now(r.weight), g, r, st, scales(st.amax, wmax, a))), 0);
    const pick = site.depthwise ? 1 : alpha !== 'auto' ? alpha : argmin(ALPHAS, noise);
    opts.onSite?.(site, pick);
    const s = scales(st.amax, wmax, pick);
    for (const r of readers) constants.set(r.weight, { ...constants.get(r.weight)!, constant: scaleInputChannels(now(r.weight), g, r, s) });
    if (site.producer) {
      const pw = now(site.producer.weight), rows = pw.shape[0], per = pw.size / rows;
      const wd = pw.toF32();
      const t = new Tensor('f32', pw.shape, Float32Array.from(wd, (x, i) => x / s[Math.floor(i / per)]));
      constants.set(site.producer.weight, { ...constants.get(site.producer.weight)!, constant: t });
      if (site.producer.bias) {
        const b = now(site.producer.bias);
        constants.set(site.producer.bias, { ...constants.get(site.producer.bias)!, constant: new Tensor('f32', b.shape, Float32Array.from(b.toF32(), (x, c) => x / s[c])) });
      }
    }
    for (const name of site.mul ? [site.mul, ...site.adds] : []) {
      const n = g.nodes.find((m) => m.name === name)!, k = channelConstant(g, n, s.length)!;
      const fresh = `${name}__smooth`, t = perChannel(k.value.constant!, s);
      constants.set(fresh, { name: fresh, type: { dtype: 'f32', shape: t.shape }, constant: t });
      renamed.set(name, new Map([[k.index, fresh]]));
    }
  }
  const nodes = spec.nodes.map((n) => {
    const r = renamed.get(n.name);
    return r ? { ...n, inputs: n.inputs.map((x, i) => r.get(i) ?? x) } : n;
  });
  return Graph.build({ ...spec, constants: [...constants.values()], nodes });
}

/** s_c = amax_c^α / wmax_c^(1−α), 1 where either is 0 (a dead channel stays as it is). */
function scales(amax: Float64Array, wmax: Float64Array, alpha: number): Float64Array {
  return amax.map((a, c) => (a > 0 && wmax[c] > 0 ? a ** alpha / wmax[c] ** (1 - alpha) : 1));
}

interface ChannelStats { amax: Float64Array; min: Float64Array; max: Float64Array; meanSq: Float64Array }

/** Per-channel max |x|, min, max and E[x²] of value `name` over the samples ([N, C, H, W]); undefined when not kept. */
function channelStats(activations: readonly ReadonlyMap<string, Tensor>[], name: string): ChannelStats | undefined {
  let st: ChannelStats | undefined, count = 0;
  for (const env of activations) {
    const t = env.get(name);
    if (!t || t.dtype !== 'f32') return undefined;
    const [n, ch] = t.shape.map(Number), inner = t.size / (n * ch), d = t.data as Float32Array;
    st ??= { amax: new Float64Array(ch), min: new Float64Array(ch), max: new Float64Array(ch), meanSq: new Float64Array(ch) };
    for (let i = 0; i < d.length; i++) {
      const c = Math.floor(i / inner) % ch, x = d[i];
      if (x < st.min[c]) st.min[c] = x;
      if (x > st.max[c]) st.max[c] = x;
      st.meanSq[c] += x * x;
    }
    count += n * inner;
  }
  if (!st) return undefined;
  for (let c = 0; c < st.amax.length; c++) { st.amax[c] = Math.max(-st.min[c], st.max[c]); st.meanSq[c] /= count; }
  return st;
}

/**
 * The conv's output noise power with x' = x/s quantized per tensor (u8 over the min/max of x') and
 * W' = W·s per output channel (i8, amax/127), both modelled as uniform rounding noise (step²/12)
 * passing through the other operand: Σ_o [ step_x²/12 · Σ_{c,t} W'[o,c,t]² + step_w,o²/12 · Σ_{c,t} E[x'_c²] ].
 * The signal does not depend on s (the product is unchanged), so the least noise is the best s.
 */
function predictedNoise(w: Tensor, g: Graph, site: SmoothSite, st: ChannelStats, s: Float64Array): number {
  let lo = 0, hi = 0;
  for (let c = 0; c < s.length; c++) { lo = Math.min(lo, st.min[c] / s[c]); hi = Math.max(hi, st.max[c] / s[c]); }
  const stepX = (hi - lo) / 255, d = w.toF32(), m = w.shape[0], per = w.size / m;
  const rowW2 = new Float64Array(m), rowMax = new Float64Array(m), rowX2 = new Float64Array(m);
  forInputChannels(w, g, site, (i, c) => {
    const o = Math.floor(i / per), v = d[i] * s[c];
    rowW2[o] += v * v;
    rowMax[o] = Math.max(rowMax[o], Math.abs(v));
    rowX2[o] += st.meanSq[c] / (s[c] * s[c]);
  });
  let noise = 0;
  for (let o = 0; o < m; o++) noise += ((stepX * stepX) / 12) * rowW2[o] + ((rowMax[o] / 127) ** 2 / 12) * rowX2[o];
  return noise;
}

/**
 * The conv's output noise energy, measured: Σ over samples of ‖conv(Q(x/s), Q(W·s)) − conv(x, W)‖², with
 * x/s on u8 over its min/max (per tensor) and W·s on i8 per output channel, rounded to nearest. Bias
 * cancels. Exact for this site in isolation (clipping, correlated channels, the weight's outliers).
 */
function measuredNoise(w: Tensor, g: Graph, site: SmoothSite, st: ChannelStats, s: Float64Array, activations: readonly ReadonlyMap<string, Tensor>[]): number {
  let lo = 0, hi = 0;
  for (let c = 0; c < s.length; c++) { lo = Math.min(lo, st.min[c] / s[c]); hi = Math.max(hi, st.max[c] / s[c]); }
  const p = activationParams({ min: lo, max: hi }, 'int8');
  const ws = scaleInputChannels(w, g, site, s), wq = Float32Array.from(fakeQuantize(ws.toF32(), ws.shape, { precision: 'int8', axis: 0, symmetric: true }));
  const c = conv(g, site), node = { name: c.name, op: c.op, attr: c.attr, outputCount: c.outputs.length }, w0 = w.toF32();
  let err = 0;
  for (const env of activations) {
    const x = env.get(site.input)!, d = x.data as Float32Array, inner = x.size / (x.shape[0] * x.shape[1]), ch = x.shape[1];
    const xs = Float32Array.from(d, (v, i) => v / s[Math.floor(i / inner) % ch]);
    const xq = Float32Array.from(dequantizeInt(quantizeInt(xs, null, [p.scale], [p.zeroPoint], 'u8'), null, [p.scale], [p.zeroPoint]));
    const prob = convProblem(node, x.shape, w.shape);
    const y = convForward(node, prob, d, w0, null), yq = convForward(node, prob, xq, wq, null);
    for (let i = 0; i < y.length; i++) err += (yq[i] - y[i]) ** 2;
  }
  return err;
}

/** The candidate with the least f (first on ties). */
function argmin(xs: readonly number[], f: (x: number) => number): number {
  let best = xs[0], bestF = f(best);
  for (const x of xs.slice(1)) { const v = f(x); if (v < bestF) { best = x; bestF = v; } }
  return best;
}

/** Visits every weight element with the conv input channel it multiplies. */
function forInputChannels(w: Tensor, g: Graph, site: SmoothSite, f: (i: number, c: number) => void): void {
  const [m, cpg, kh, kw] = w.shape.map(Number), groups = conv(g, site).attr.int('group', 1), mpg = m / groups, taps = kh * kw;
  for (let o = 0; o < m; o++) for (let ci = 0; ci < cpg; ci++) {
    const c = Math.floor(o / mpg) * cpg + ci;
    for (let t = 0; t < taps; t++) f((o * cpg + ci) * taps + t, c);
  }
}

function conv(g: Graph, site: SmoothSite): Node {
  return quantGroups(g).find((q) => q.name === site.group)!.compute;
}

function weightAbsMax(w: Tensor, g: Graph, site: SmoothSite): Float64Array {
  const d = w.toF32(), out = new Float64Array(Number(g.value(site.input)!.type.shape[1]));
  forInputChannels(w, g, site, (i, c) => { if (Math.abs(d[i]) > out[c]) out[c] = Math.abs(d[i]); });
  return out;
}

function scaleInputChannels(w: Tensor, g: Graph, site: SmoothSite, s: Float64Array): Tensor {
  const d = w.toF32(), out = new Float32Array(d.length);
  forInputChannels(w, g, site, (i, c) => { out[i] = d[i] * s[c]; });
  return new Tensor('f32', w.shape, out);
}

/** The constant (one value or C) divided by s_c, as [1, C, 1, 1]. */
function perChannel(t: Tensor, s: Float64Array): Tensor {
  const d = t.toF32();
  return new Tensor('f32', [1, s.length, 1, 1], Float32Array.from(s, (sc, c) => (d.length === 1 ? d[0] : d[c]) / sc));
}
