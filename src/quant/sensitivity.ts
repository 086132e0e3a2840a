// Per-group sensitivity, measured with the real model on the calibration set. The float model ran once
// (calibration kept every boundary activation), so:
//  - local metrics (QuantuneV2's: the group's own output SQNR/MSE and its weight SQNR) run only that
//    group, quantized, on the cached fp32 inputs;
//  - end-to-end metrics (model output SQNR/MSE/top-1 with only that group quantized) run only the
//    nodes from the group onward, on the cached activations before it.
// `evaluate(plan)` runs the whole quantized model: the verification step of the search.
// Driver-level file: it imports passes/quantize (the numerics in src/quant do not).
import { Graph, type Node, type NodeSpec, type TensorType, type ValueSpec } from '../ir/graph/graph.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../runtime/interpreter.ts';
import { type Calibration, mseRanges } from '../../passes/quantize/calibrate.ts';
import { type QGroup, quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph } from '../../passes/quantize/quantize.ts';
import { modelBytes } from '../../passes/quantize/size.ts';
import { type Precision } from './precision.ts';
import { MetricAccumulator, metricsOf, type OutputMetrics, sqnrDb } from './sensitivity-metrics.ts';
import { quantizeWeight, dequantize, storageBytes } from './weights.ts';

export interface LocalMetrics {
  /** The group's output with its inputs, weights and output quantized, vs fp32 (dB). */
  sqnr: number;
  mse: number;
  /** The weight alone, fake-quantized, vs fp32 (dB). */
  weightSqnr: number;
}

export type Plan = ReadonlyMap<string, Precision>;

export class Analyzer {
  readonly groups: readonly QGroup[];
  /** Model outputs of the float graph per calibration sample. */
  private readonly refs: TensorMap[];
  private readonly bytesCache = new Map<string, number>();
  private readonly localCache = new Map<string, LocalMetrics>();
  private readonly e2eCache = new Map<string, OutputMetrics>();
  evaluations = 0;

  /** Calibration samples the evaluations run on (the first `evalSamples`; the ranges use every sample). */
  private readonly envs: readonly ReadonlyMap<string, Tensor>[];

  /**
   * `weights`: one per evaluation sample, when they stand for a larger pool (a screened verification
   * subset, search-screen.ts); every metric is then the pool's weighted estimate. Default 1 each.
   */
  constructor(readonly graph: Graph, readonly calib: Calibration, evalSamples = Infinity, readonly weights?: readonly number[]) {
    this.groups = quantGroups(graph);
    this.envs = calib.activations.slice(0, evalSamples);
    this.refs = this.envs.map((env) => Object.fromEntries(graph.outputs.map((v) => [v.name, env.get(v.name)!])));
  }

  quantize(plan: Plan): Graph {
    return quantizeGraph(this.graph, this.quantOptions(plan));
  }

  /** Stored bytes of a group's weight at a precision (codes + scales). */
  weightBytes(g: QGroup, p: Precision): number {
    const key = `${g.name}|${p}`;
    let b = this.bytesCache.get(key);
    if (b === undefined) {
      b = p === 'fp32' ? g.weight.constant!.byteLength : storageBytes(quantizeWeight(g.weight.constant!.toF32(), g.weight.constant!.shape, this.spec(g, p)));
      this.bytesCache.set(key, b);
    }
    return b;
  }

  /** Model size of a plan: the constants of the graph it produces. */
  modelBytes(plan: Plan): number { return modelBytes(this.quantize(plan)); }

  local(g: QGroup, p: Precision): LocalMetrics {
    const key = `${g.name}|${p}`;
    const hit = this.localCache.get(key);
    if (hit) return hit;
    const w = g.weight.constant!, wf = w.toF32();
    const wq = dequantize(quantizeWeight(wf, w.shape, this.spec(g, p)));
    let ws = 0, we = 0;
    for (let i = 0; i < wf.length; i++) { ws += wf[i] ** 2; we += (wf[i] - wq[i]) ** 2; }
    const mini = isolate(this.graph, g.node);
    const q = quantizeGraph(mini, this.quantOptions(new Map([[g.name, p]])));
    const acc = new MetricAccumulator();
    for (const [i, env] of this.envs.entries()) {
      const out = runGraph(q, Object.fromEntries(q.inputs.map((v) => [v.name, env.get(v.name)!])));
      for (const o of g.node.outputs) acc.addTensor(env.get(o.name)!, out[`${o.name}__iso`], this.weights?.[i] ?? 1);
    }
    const m = acc.result();
    const r = { sqnr: m.sqnr, mse: m.mse, weightSqnr: sqnrDb(ws, we) };
    this.localCache.set(key, r);
    return r;
  }

  /** Model outputs with only group g in precision p (the rest fp32). */
  endToEnd(g: QGroup, p: Precision): OutputMetrics {
    const key = `${g.name}|${p}`;
    const hit = this.e2eCache.get(key);
    if (hit) return hit;
    const m = this.measure(new Map([[g.name, p]]));
    this.e2eCache.set(key, m);
    return m;
  }

  /** The whole quantized model on the calibration set (the search's verification). */
  evaluate(plan: Plan): OutputMetrics {
    this.evaluations++;
    return this.measure(plan);
  }

  /** Output metrics of a plan against the float model on the evaluation samples. */
  private measure(plan: Plan): OutputMetrics {
    const acc = new MetricAccumulator();
    this.outputs(plan).forEach((out, i) => acc.add(this.refs[i], out, this.weights?.[i] ?? 1));
    return acc.result();
  }

  /** The float model's outputs per evaluation sample (kept by calibration, not re-run). */
  references(): TensorMap[] { return this.refs; }

  /**
   * The quantized model's outputs per evaluation sample. Nodes before the first quantized group are
   * unchanged by the plan, so only the rest runs, on the cached activations (a search's plans often
   * leave the small first convolutions fp32: they save few bytes).
   */
  outputs(plan: Plan): TensorMap[] {
    const q = this.quantize(plan);
    const first = this.graph.nodes.findIndex((n) => (plan.get(n.name) ?? 'fp32') !== 'fp32');
    const suffix = first > 0 ? suffixGraph(this.graph, q, first) : null;
    const g = suffix ?? q;
    return this.envs.map((env) => runGraph(g, Object.fromEntries(g.inputs.map((v) => [v.name, env.get(v.name)!]))));
  }

  /** quantizeGraph's options for a plan, with this calibration's ranges and rounded int8 weights. */
  private quantOptions(precisions: Plan) {
    return { precisions, ranges: this.calib.ranges, extremes: this.calib.extremes, int8Weights: this.calib.int8Weights, fitted: this.calib.fitted, floatOffsets: this.calib.floatOffsets };
  }

  private spec(g: QGroup, p: Precision) {
    return { precision: p, axis: g.axis, blockAxis: g.reduceAxis, symmetric: true };
  }
}

/** A graph of one node: its activations as inputs, its constants, and an Identity per output (so the
 *  quantize pass treats the outputs as boundaries, not graph outputs, and quantizes them). */
function isolate(g: Graph, n: Node): Graph {
  const inputs: ValueSpec[] = [], constants: ValueSpec[] = [];
  for (const v of new Set(n.inputs)) {
    if (!v) continue;
    (v.isConstant ? constants : inputs).push({ name: v.name, type: v.type, constant: v.constant });
  }
  const types = new Map<string, TensorType>();
  const nodes: NodeSpec[] = [n.toSpec()];
  for (const o of n.outputs) {
    types.set(o.name, o.type);
    types.set(`${o.name}__iso`, o.type);
    nodes.push({ name: `${o.name}__iso`, op: 'Identity', inputs: [o.name], outputs: [`${o.name}__iso`] });
  }
  return Graph.build({ name: n.name, opsets: g.opsets, inputs, constants, nodes, outputs: n.outputs.map((o) => `${o.name}__iso`), types });
}

/**
 * The nodes of q from `start` on, reading what earlier nodes produced as graph inputs. Valid because
 * quantizing one group leaves every earlier node as it was; null when that does not hold.
 */
function suffixGraph(g: Graph, q: Graph, start: number): Graph | null {
  if (start < 0 || q.nodes.length < start || g.nodes.slice(0, start).some((n, i) => q.nodes[i].name !== n.name)) return null;
  const nodes = q.nodes.slice(start);
  const produced = new Set(nodes.flatMap((n) => n.outputs.map((v) => v.name)));
  const inputs: ValueSpec[] = [], constants: ValueSpec[] = [];
  const seen = new Set<string>();
  for (const n of nodes) for (const v of n.inputs) {
    if (!v || produced.has(v.name) || seen.has(v.name)) continue;
    seen.add(v.name);
    if (v.isConstant) constants.push({ name: v.name, type: v.type, constant: v.constant });
    else inputs.push({ name: v.name, type: v.type });
  }
  for (const v of q.outputs) if (!produced.has(v.name) && !seen.has(v.name)) { seen.add(v.name); inputs.push({ name: v.name, type: v.type }); }
  const types = new Map<string, TensorType>();
  for (const n of nodes) for (const o of n.outputs) types.set(o.name, o.type);
  return Graph.build({ name: q.name, opsets: q.opsets, inputs, constants, nodes: nodes.map((n) => n.toSpec()), outputs: q.outputs.map((v) => v.name), types });
}

export type { OutputMetrics, Tensor };

/**
 * `--calib-method auto`: the calibration kept the percentile ranges and the min/max extremes; try
 * those and per-tensor MSE-optimal clipping (mseRanges), and keep whichever gives the uniform-int8
 * model the highest output SQNR (three evaluations) — on `judgeOn`, the activations of samples that
 * did not set the ranges (prepareSearch's verification split), else on the calibration set itself.
 * Measured on PP-OCR cls (NPU fusion): 8 samples → minmax 30.0 / percentile 19.4 dB; 32 samples →
 * 15.6 / 29.4 dB — no single method wins, so the flow measures. Judged on the range samples, the
 * choice follows whichever hard inputs those few samples hold (rendered cls crops, session 4:
 * percentile 72.7 dB on 32 range samples without a near-tie crop, 31.3 dB held-out).
 */
export interface PickedRanges {
  readonly calib: Calibration;
  readonly chosen: string;
  readonly sqnr: Record<string, number>;
  /** Uniform int8's outputs with the chosen ranges, per judged sample (the margin reuses them). */
  readonly outputs: TensorMap[];
  /** Float outputs of the judged samples, in the same order. */
  readonly references: TensorMap[];
}

/** Builds the analyzer a caller evaluates plans with (a bench may evaluate on another runtime). */
export type AnalyzerFactory = (graph: Graph, calib: Calibration, weights?: readonly number[]) => Analyzer;
export const defaultAnalyzer: AnalyzerFactory = (graph, calib, weights) => new Analyzer(graph, calib, Infinity, weights);

export function pickRanges(graph: Graph, calib: Calibration, judgeOn?: Calibration['activations'], make: AnalyzerFactory = defaultAnalyzer,
  weights?: readonly number[]): PickedRanges {
  return pickRangesWith(calib, (c) => {
    const an = make(graph, judgeOn ? { ...c, activations: judgeOn } : c, judgeOn ? weights : undefined);
    const outputs = an.outputs(new Map(an.groups.map((g) => [g.name, 'int8' as const])));
    return { outputs, references: an.references(), weights: an.weights };
  });
}

/** pickRanges with the judging left to the caller: uniform int8's outputs and references per candidate. */
export function pickRangesWith(calib: Calibration, judge: (c: Calibration) => { outputs: TensorMap[]; references: TensorMap[]; weights?: readonly number[] }): PickedRanges {
  const options: Record<string, Calibration> = {
    [calib.method]: calib, minmax: { ...calib, ranges: calib.extremes, method: 'minmax' }, mse: mseRanges(calib),
  };
  const sqnr: Record<string, number> = {};
  const runs: Record<string, ReturnType<typeof judge>> = {};
  let chosen = calib.method as string;
  for (const [k, c] of Object.entries(options)) {
    runs[k] = judge(c);
    sqnr[k] = metricsOf(runs[k].references, runs[k].outputs, runs[k].weights).sqnr;
    if (sqnr[k] > sqnr[chosen]) chosen = k;
  }
  return { calib: options[chosen], chosen, sqnr, outputs: runs[chosen].outputs, references: runs[chosen].references };
}
