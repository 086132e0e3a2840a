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
import type { Graph, Node } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams } from '../../src/quant/activations.ts';
import type { Precision } from '../../src/quant/precision.ts';
import type { Calibration } from './calibrate.ts';
import { type QGroup, quantGroups } from './groups.ts';
import { type QuantPlan, quantizeGraph } from './quantize.ts';
import { type FitOptions, type FittedConv, fitConv } from './weight-fit.ts';
import { fitConvTranspose, fittableTranspose, transposeBias } from './weight-fit-transpose.ts';
import { GRID_PRECISIONS, weightGrid } from './weight-grid.ts';
import { computeInputs, runAfter, runBefore, runNode, single, stage } from './weight-fit-step.ts';

export interface WeightFitOptions extends FitOptions {
  /** 'sequential' (default): inputs from the quantized model upstream; 'fp32': the float model's inputs. */
  readonly target?: 'fp32' | 'sequential';
  /**
   * Also fit ConvTransposes with non-overlapping taps (weight-fit-transpose.ts; PP-OCR det's head).
   * Default: for fp16 / bf16 groups only — measured there (passes/quantize/README.md "det bf16
   * (session 7)"); int8 / int4w groups keep round to nearest unless this is true.
   */
  readonly convTranspose?: boolean;
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
  const groups = quantGroups(g).filter((q) => {
    const p = plan.precisions.get(q.name) ?? 'fp32';
    const transposes = opts.convTranspose ?? (p === 'fp16' || p === 'bf16');
    return GRID_PRECISIONS.has(p) && (fittable(g, q) || (transposes && fittableTranspose(g, q)));
  });
  const fitted: FittedConstants = new Map();
  const record = (q: QGroup, p: Precision, r: FittedConv) => {
    let m = fitted.get(p);
    if (!m) fitted.set(p, (m = new Map()));
    m.set(q.weight.name, new Tensor('f32', q.weight.type.shape as number[], r.weight));
    const b = biasValue(g, q);
    if (r.bias && b) m.set(b.name, new Tensor('f32', b.type.shape as number[], r.bias));
  };
  const fit = (q: QGroup, xts?: Tensor[]) => {
    const p = plan.precisions.get(q.name)!, w = q.weight.constant!;
    const grid = weightGrid(p, w.toF32(), w.shape, { axis: q.axis, reduceAxis: q.reduceAxis, groupSize: plan.groupSize })!;
    const xs = computeInputs(q.node, q.compute, calib.activations);
    const r = plan.ranges.get(q.compute.input(0)!.name);
    const noise = !xts && p === 'int8' && r ? activationParams(r, 'int8').scale ** 2 / 12 : 0;
    const o = { ...opts, inputNoise: opts.inputNoise ?? noise }, b = biasValue(g, q)?.constant ?? undefined;
    const res = q.compute.op === 'ConvTranspose' ? fitConvTranspose(q.compute, w, b, grid, xs, xts, o) : fitConv(q.compute, w, b, grid, xs, xts, o);
    record(q, p, res);
    return res;
  };
  if (opts.target === 'fp32') {
    for (const q of groups) fit(q);
    return fitted;
  }
  // Sequential: step the quantized model node by node over every sample (each value freed after its
  // last reader). The quantized graph is built once, before any fit: fitting a group changes only
  // the constants its own node reads (the weight's encoding, a refitted bias), so at a fitted group
  // its conv's quantized input is captured (the members before the conv), the conv fitted, and the
  // rest of the body run with the constants the quantize pass encodes from the fit (`refitted`).
  const byOutput = new Map(groups.map((q) => [q.node.outputs[0].name, q]));
  const qg = quantizeGraph(g, { ...plan, fitted });
  const envs = calib.activations.map((env) => new Map(qg.inputs.map((v) => [v.name, env.get(v.name)!])));
  const lastUse = new Map<string, number>();
  qg.nodes.forEach((n, i) => n.inputs.forEach((v) => v && lastUse.set(v.name, i)));
  const keep = new Set(qg.outputs.map((v) => v.name));
  for (let i = 0; i < qg.nodes.length; i++) {
    const n = qg.nodes[i], q = byOutput.get(n.outputs[0].name);
    let outs: Tensor[][];
    if (q) {
      const member = n.body?.nodes.find((m) => m.name === q.compute.name);
      if (!member) throw new Error(`weight fit: group "${q.name}" is not a fused node with "${q.compute.name}" in the quantized graph`);
      const s = stage(n, member);
      const benvs = envs.map((env) => runBefore(s, env));
      const res = fit(q, benvs.map((b) => b.get(s.x)!));
      const constants = refitted(g, q, n, { ...plan, fitted });
      outs = benvs.map((b) => runAfter(s, b, constants));
      // A bias the fit refitted outside the group (the Add after an unfused ConvTranspose): the later
      // node reads it from env (runNode prefers env over its constants), as the quantized graph will.
      const b = biasValue(g, q);
      if (res.bias && b && !q.compute.input(2)) envs.forEach((env) => env.set(b.name, fitted.get(plan.precisions.get(q.name)!)!.get(b.name)!));
    } else outs = envs.map((env) => runNode(n, env, qg.opsets));
    envs.forEach((env, k) => {
      outs[k].forEach((t, j) => env.set(n.outputs[j].name, t));
      for (const v of n.inputs) if (v && lastUse.get(v.name) === i && !keep.has(v.name)) env.delete(v.name);
    });
  }
  return fitted;
}

/** The constant holding q's bias: the compute's input 2, or a ConvTranspose's bias in the Add after it. */
function biasValue(g: Graph, q: QGroup) {
  if (q.compute.op === 'ConvTranspose') return transposeBias(g, q);
  const b = q.compute.input(2);
  return b ? g.value(b.name) ?? undefined : undefined;
}

/**
 * The constants node n (group q in the quantized graph built before q was fitted) reads once q is
 * fitted, by n's outer input names: the quantize pass run on q's node alone encodes exactly what it
 * encodes in the whole graph (the weight's codes / scales / Cast source, a refitted bias), and a
 * group's outer inputs come in the same order either way (its boundaries change only its body).
 */
function refitted(g: Graph, q: QGroup, n: Node, plan: QuantPlan): Map<string, Tensor> {
  const one = quantizeGraph(single(q.node, g.opsets), { ...plan, precisions: new Map([[q.name, plan.precisions.get(q.name)!]]) });
  const m = one.nodes.find((x) => x.outputs[0]?.name === n.outputs[0].name);
  const out = new Map<string, Tensor>();
  const same = m && m.inputs.length === n.inputs.length && m.inputs.every((b, k) => {
    const a = n.inputs[k];
    if (!a || !b) return a === b;
    if (!b.isConstant) return !a.isConstant && a.name === b.name;
    // Only what the fit changed: other constants of the group (a Resize's scales fused before the
    // conv, …) stay as they are, and members before the conv may read those.
    if (!a.constant || !equalTensors(a.constant, b.constant!)) out.set(a.name, b.constant!);
    return a.isConstant && a.type.dtype === b.type.dtype && a.type.shape.join() === b.type.shape.join();
  });
  if (!same) throw new Error(`weight fit: the quantized group "${q.name}" alone does not match it in the whole graph`);
  return out;
}

function equalTensors(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  const x = a.data as ArrayLike<unknown>, y = b.data as ArrayLike<unknown>;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  return x.length === y.length;
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
