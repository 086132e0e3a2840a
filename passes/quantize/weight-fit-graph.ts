// Error-compensating weight rounding for a whole fused graph and a precision plan (weight-fit.ts does
// one conv). Two targets:
//  - 'fp32': each conv fitted to its fp32 inputs (GPTQ; + the u8 input noise on H's diagonal for int8);
//  - 'sequential': groups in topological order, each conv fitted to the inputs the *already fitted*
//    quantized model feeds it (x̃: upstream weights and every boundary cast / u8 code as the quantize
//    pass places them), the target still the fp32 conv on fp32 inputs — so each layer compensates the
//    error accumulated upstream, activation rounding included. One pass of the quantized model over
//    the calibration samples, node by node; the fp32 side comes from the calibration's activations.
// The result goes to `QuantPlan.fitted` (per precision, by constant name: weights on the grid, refitted
// biases), so the quantize pass encodes exactly these values and the graph pattern is unchanged.
import { Graph, type Node } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams } from '../../src/quant/activations.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import type { Calibration } from './calibrate.ts';
import { type QGroup, quantGroups } from './groups.ts';
import { type QuantPlan, quantizeGraph } from './quantize.ts';
import { type FitOptions, fitConv } from './weight-fit.ts';
import { GRID_PRECISIONS, weightGrid } from './weight-grid.ts';

export interface WeightFitOptions extends FitOptions {
  /** 'sequential' (default): inputs from the quantized model upstream; 'fp32': the float model's inputs. */
  readonly target?: 'fp32' | 'sequential';
}

/** Per precision, by constant name: the fitted weights (on the grid) and refitted biases. */
export type FittedConstants = Map<Precision, Map<string, Tensor>>;

/** 2-D Conv with explicit padding, whose weight is read by this conv only. */
export function fittable(g: Graph, q: QGroup): boolean {
  const c = q.compute, autoPad = c.attr.string('auto_pad', 'NOTSET');
  return c.op === 'Conv' && q.weight.type.shape.length === 4 && q.weight.consumers.length === 1 && (autoPad === 'NOTSET' || autoPad === 'VALID')
    && (!c.input(2) || (g.value(c.input(2)!.name)?.isConstant ?? false));
}

/** The fitted constants of every Conv group of `plan` whose precision has an elementwise grid. */
export function fitWeights(g: Graph, calib: Calibration, plan: QuantPlan, opts: WeightFitOptions = {}): FittedConstants {
  const groups = quantGroups(g).filter((q) => GRID_PRECISIONS.has(plan.precisions.get(q.name) ?? 'fp32') && fittable(g, q));
  const fitted: FittedConstants = new Map();
  const record = (q: QGroup, p: Precision, r: ReturnType<typeof fitConv>) => {
    let m = fitted.get(p);
    if (!m) fitted.set(p, (m = new Map()));
    m.set(q.weight.name, new Tensor('f32', q.weight.type.shape as number[], r.weight));
    const b = q.compute.input(2);
    if (r.bias && b) m.set(b.name, new Tensor('f32', [r.bias.length], r.bias));
  };
  const fit = (q: QGroup, xts?: Tensor[]) => {
    const p = plan.precisions.get(q.name)!, w = q.weight.constant!;
    const grid = weightGrid(p, w.toF32(), w.shape, { axis: q.axis, reduceAxis: q.reduceAxis, groupSize: plan.groupSize })!;
    const xs = calib.activations.map((env) => computeInput(q.node, q.compute, env, g.opsets));
    const r = plan.ranges.get(q.compute.input(0)!.name);
    const noise = !xts && p === 'int8' && r ? activationParams(r, 'int8').scale ** 2 / 12 : 0;
    record(q, p, fitConv(q.compute, w, biasOf(g, q), grid, xs, xts, { ...opts, inputNoise: opts.inputNoise ?? noise }));
  };
  if (opts.target === 'fp32') {
    for (const q of groups) fit(q);
    return fitted;
  }
  // Sequential: step the quantized model node by node over every sample; at a fitted group, capture
  // its conv's quantized input, fit, rebuild the model with the fit, and run the group as fitted.
  const byOutput = new Map(groups.map((q) => [q.node.outputs[0].name, q]));
  let qg = quantizeGraph(g, { ...plan, fitted });
  const envs = calib.activations.map((env) => new Map(qg.inputs.map((v) => [v.name, env.get(v.name)!])));
  const lastUse = new Map<string, number>();
  qg.nodes.forEach((n, i) => n.inputs.forEach((v) => v && lastUse.set(v.name, i)));
  const keep = new Set(qg.outputs.map((v) => v.name));
  for (let i = 0; i < qg.nodes.length; i++) {
    let n = qg.nodes[i];
    const q = byOutput.get(n.outputs[0].name);
    if (q) {
      const member = n.body?.nodes.find((m) => m.name === q.compute.name) ?? n;
      fit(q, envs.map((env) => computeInput(n, member, env, qg.opsets)));
      qg = quantizeGraph(g, { ...plan, fitted });
      n = qg.nodes[i];
    }
    for (const env of envs) {
      runNode(n, env, qg.opsets).forEach((t, k) => env.set(n.outputs[k].name, t));
      for (const v of n.inputs) if (v && lastUse.get(v.name) === i && !keep.has(v.name)) env.delete(v.name);
    }
  }
  return fitted;
}

function biasOf(g: Graph, q: QGroup): Tensor | undefined {
  const b = q.compute.input(2);
  return b ? g.value(b.name)?.constant ?? undefined : undefined;
}

/** The tensor `member` (the conv) reads as input 0 when node n runs on env. */
function computeInput(n: Node, member: Node, env: ReadonlyMap<string, Tensor>, opsets: Graph['opsets']): Tensor {
  const x = member.input(0)!.name;
  const direct = env.get(x);
  if (direct && (!n.body || !n.body.value(x) || n.body.inputs.some((v) => v.name === x))) return direct;
  let got: Tensor | undefined;
  runNode(n, env, opsets, (m, outs) => m.outputs.forEach((v, k) => { if (v.name === x) got = outs[k]; }), x, (t) => { got = t; });
  if (!got) throw new Error(`weight fit: no value "${x}" in node "${n.name}"`);
  return got;
}

/** Runs one node of a graph on env's values (constants from the graph). */
function runNode(n: Node, env: ReadonlyMap<string, Tensor>, opsets: Graph['opsets'], onNode?: (m: Node, outs: readonly Tensor[]) => void, watch?: string, onInput?: (t: Tensor) => void): Tensor[] {
  const ins = n.inputs.map((v) => (v ? env.get(v.name) ?? v.constant ?? undefined : undefined));
  if (n.body) {
    const feeds = Object.fromEntries(n.body.inputs.map((v, k) => [v.name, ins[k]!]));
    if (watch && feeds[watch]) onInput?.(feeds[watch]);
    const out = runGraph(n.body, feeds, { onNode });
    return n.body.outputs.map((v) => out[v.name]);
  }
  const mini = single(n, opsets);
  const out = runGraph(mini, Object.fromEntries(mini.inputs.map((v) => [v.name, env.get(v.name)!])), { onNode });
  return n.outputs.map((v) => out[v.name]);
}

const singles = new WeakMap<Node, Graph>();

/** A graph of node n alone (its activations as inputs, its constants kept). */
function single(n: Node, opsets: Graph['opsets']): Graph {
  let s = singles.get(n);
  if (s) return s;
  const inputs = [], constants = [], seen = new Set<string>();
  for (const v of n.inputs) {
    if (!v || seen.has(v.name)) continue;
    seen.add(v.name);
    if (v.isConstant) constants.push({ name: v.name, type: v.type, constant: v.constant });
    else inputs.push({ name: v.name, type: v.type });
  }
  const types = new Map(n.outputs.map((o) => [o.name, o.type] as const));
  s = Graph.build({ name: n.name, opsets, inputs, constants, nodes: [n.toSpec()], outputs: n.outputs.map((o) => o.name), types });
  singles.set(n, s);
  return s;
}

/**
 * calib plus fitted weights for the groups of `precisions` (ranges and extremes from calib): what the
 * Analyzer and the driver pass on as QuantPlan.fitted. The sequential fit is specific to this plan
 * (its upstream precisions); a different plan still encodes on-grid values, fitted to another upstream.
 */
export function withWeightRounding(g: Graph, calib: Calibration, precisions: ReadonlyMap<string, Precision>, opts: WeightFitOptions & { groupSize?: number } = {}): Calibration {
  const plan: QuantPlan = { precisions, ranges: calib.ranges, extremes: calib.extremes, groupSize: opts.groupSize };
  return { ...calib, fitted: fitWeights(g, calib, plan, opts) };
}
