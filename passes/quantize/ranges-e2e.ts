// Activation clip ranges chosen by the *end-to-end* output error (issue 9, session 6): per u8 site
// (a value uniform int8 stores or reads as u8), a clip factor × its calibrated range, by coordinate
// descent on the model output's SQNR over samples that did NOT fit the ranges. Local criteria (per-
// tensor MSE, a consumer's output error) pick clips that do not compose end to end, and judging on the
// fit samples is draw luck (sessions 3 and 5); this judges the whole model on a separate split.
//
// Cheap to evaluate: `clipGraph` is the float graph with every site through QuantizeLinear →
// DequantizeLinear whose scale and zero point are *graph inputs*, so one compiled model (onnxruntime
// session, or the interpreter) serves every candidate — only the feeds change. It reproduces the
// quantize pass's activation side (sessions 5's fake-quant graphs matched it to 0.01 dB); the weights
// are whatever the caller puts in g (fp32: activations only, or already rounded ones).
import { Graph, type NodeSpec, type ValueSpec } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams, type Range } from '../../src/quant/activations.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { activationInputs, quantGroups } from './groups.ts';

/** Clip factors of the calibrated range tried per site (1 = the calibrated range). */
export const CLIP_FACTORS = [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.15, 1.3];

const scaleIn = (v: string) => `${v}__clip_s`, zeroIn = (v: string) => `${v}__clip_z`;


/**
 * g with each site through u8 QDQ, scale and zero point read from graph inputs (`clipFeeds`). A
 * consumer reads the rounded value when it is a quantizable group (its prologue rounds it) or when the
 * producer is one (the value is stored u8 and float readers dequantize it), as the quantize pass does.
 */
export function clipGraph(g: Graph, sites: readonly string[]): Graph {
  const spec = g.toSpec(), types = new Map(spec.types);
  const quant = new Set(quantGroups(g).map((q) => q.name));
  const outputs = new Set(g.outputs.map((v) => v.name)); // a graph output is not stored narrow: only int8 readers round it
  const inputs: ValueSpec[] = [...spec.inputs];
  const dq = new Map<string, string>(), nodes: NodeSpec[] = [];
  const producer = new Map<string, string>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o.name, n.name);
  for (const x of sites) {
    const v = g.value(x)!, s = scaleIn(x), z = zeroIn(x), q = `${x}__clip_q`, d = `${x}__clip_dq`;
    inputs.push({ name: s, type: { dtype: 'f32', shape: [] } }, { name: z, type: { dtype: 'u8', shape: [] } });
    types.set(q, { dtype: 'u8', shape: v.type.shape }).set(d, { dtype: 'f32', shape: v.type.shape });
    dq.set(x, d);
    // placed right after the producer (or first, for a graph input) so the order stays topological
    const qdq: NodeSpec[] = [
      { name: `${q}n`, op: 'QuantizeLinear', inputs: [x, s, z], outputs: [q], attrs: {} },
      { name: `${d}n`, op: 'DequantizeLinear', inputs: [q, s, z], outputs: [d], attrs: {} },
    ];
    if (!producer.has(x)) nodes.push(...qdq);
  }
  for (const n of spec.nodes) {
    const reads = (x: string) => dq.has(x) && (quant.has(n.name) || (quant.has(producer.get(x) ?? '') && !outputs.has(x)));
    nodes.push({ ...n, inputs: n.inputs.map((x) => (reads(x) ? dq.get(x)! : x)) });
    for (const o of n.outputs) {
      if (!dq.has(o)) continue;
      const s = scaleIn(o), z = zeroIn(o), q = `${o}__clip_q`, d = dq.get(o)!;
      nodes.push({ name: `${q}n`, op: 'QuantizeLinear', inputs: [o, s, z], outputs: [q], attrs: {} });
      nodes.push({ name: `${d}n`, op: 'DequantizeLinear', inputs: [q, s, z], outputs: [d], attrs: {} });
    }
  }
  return Graph.build({ ...spec, inputs, nodes, types });
}

/** The extra inputs of `clipGraph` for one choice of ranges (u8 params as the quantize pass derives them). */
export function clipFeeds(sites: readonly string[], ranges: ReadonlyMap<string, Range>): TensorMap {
  const out: TensorMap = {};
  for (const x of sites) {
    const r = ranges.get(x);
    if (!r) throw new Error(`ranges-e2e: no range for site "${x}"`);
    const p = activationParams(r, 'int8');
    out[scaleIn(x)] = new Tensor('f32', [], Float32Array.of(p.scale));
    out[zeroIn(x)] = new Tensor('u8', [], Uint8Array.of(p.zeroPoint));
  }
  return out;
}

export interface DescentOptions {
  readonly factors?: readonly number[];
  /** Sweeps over the sites (default 2). */
  readonly passes?: number;
  /** A factor replaces the current one only if it gains more than this (dB; default 0.02): noise guard. */
  readonly minGain?: number;
  /** Called when a site's factor changes. */
  readonly onStep?: (site: string, factor: number, sqnr: number) => void;
}

export interface DescentResult {
  readonly ranges: Map<string, Range>;
  /** Chosen factor per site (only those ≠ 1). */
  readonly factors: Map<string, number>;
  readonly start: number;
  readonly sqnr: number;
  readonly evaluations: number;
}

/**
 * What a candidate scores: the output SQNR (dB) over the judging samples, or [that, then the SQNR of
 * each fold of them]; with folds a move must also not lose on any fold (a guard against a gain that
 * one loud sample makes: det's per-page SQNR spreads 12–31 dB).
 */
export type ClipScore = number | readonly number[];

/**
 * Coordinate descent over per-site clip factors: `score(ranges)` is the model output's SQNR (dB) on the
 * judging split with those ranges; each site in turn takes the factor with the best score, the others
 * held. Deterministic for a deterministic score.
 */
export async function descendClips(sites: readonly string[], base: ReadonlyMap<string, Range>,
  score: (ranges: ReadonlyMap<string, Range>) => Promise<ClipScore>, opts: DescentOptions = {}): Promise<DescentResult> {
  const factors = opts.factors ?? CLIP_FACTORS, minGain = opts.minGain ?? 0.02;
  const chosen = new Map<string, number>(sites.map((s) => [s, 1]));
  const ranges = new Map(base);
  const at = (s: string, f: number) => ({ min: base.get(s)!.min * f, max: base.get(s)!.max * f });
  const asArray = (v: ClipScore): readonly number[] => (typeof v === 'number' ? [v] : v);
  const better = (v: readonly number[], than: readonly number[]) => v[0] > than[0] + minGain && v.every((x, i) => i === 0 || x >= than[i]);
  let best = asArray(await score(ranges)), evaluations = 1;
  const start = best[0];
  for (let pass = 0; pass < (opts.passes ?? 2); pass++) {
    let moved = false;
    for (const s of sites) {
      const cur = chosen.get(s)!;
      let pick = cur, pickScore = best;
      for (const f of factors) {
        if (f === cur) continue;
        ranges.set(s, at(s, f));
        const v = asArray(await score(ranges));
        evaluations++;
        if (better(v, pickScore)) { pick = f; pickScore = v; }
      }
      ranges.set(s, at(s, pick));
      if (pick !== cur) { chosen.set(s, pick); best = pickScore; moved = true; opts.onStep?.(s, pick, best[0]); }
    }
    if (!moved) break;
  }
  return { ranges, factors: new Map([...chosen].filter(([, f]) => f !== 1)), start, sqnr: best[0], evaluations };
}

/**
 * The whole flow on the reference interpreter: clip factors per site of `g` (weights as they are in g)
 * chosen by uniform int8's output SQNR on `judge` — samples that must not be the ones `ranges` were
 * fitted on. `sites` restricts the search (default every u8 site; the interpreter costs one model run
 * per judge sample and candidate, so a large model wants its loudest sites only).
 */
export async function clipRangesByOutput(g: Graph, ranges: ReadonlyMap<string, Range>, judge: readonly TensorMap[],
  opts: DescentOptions & { sites?: readonly string[] } = {}): Promise<DescentResult> {
  const all = activationInputs(g), cg = clipGraph(g, all); // the values uniform int8 stores or reads as u8
  const refs = judge.map((x) => runGraph(g, x));
  const score = async (r: ReadonlyMap<string, Range>) => {
    const feeds = clipFeeds(all, r);
    return metricsOf(refs, judge.map((x) => runGraph(cg, { ...x, ...feeds }))).sqnr;
  };
  return descendClips(opts.sites ?? all, ranges, score, opts);
}
