// Where a float format's error comes from: a plan of fp16/bf16 groups rounds the weights once and the
// activations at every group boundary once. These two graphs separate them, so the bench can say
// whether a floor is reachable by any deployment storing weights in the format (if the weights alone
// already miss it, none is) or only by keeping some boundaries f32 (mixed precision: auto's job).
//  - weightsOnly: the float graph with each planned group's weight rounded to the format (or as fitted,
//    calib.fitted: weight-fit-graph.ts), no casts.
//  - activationsOnly: the quantized graph with the weights put back to f32 (its boundary casts kept
//    exactly as the plan placed them; the weight's Cast(to=f32) becomes a no-op on f32).
// Driver-level file (imports passes/quantize through the Analyzer).
import { Graph, type NodeSpec } from '../ir/graph/graph.ts';
import { Tensor } from '../ir/graph/tensor.ts';
import { UsageError } from '../util/errors.ts';
import type { Analyzer, Plan } from './sensitivity.ts';
import { fakeQuantize } from './weights.ts';

const FLOAT = new Set(['fp16', 'bf16']);

function checkFloat(plan: Plan): void {
  for (const [g, p] of plan) if (p !== 'fp32' && !FLOAT.has(p)) throw new UsageError(`float breakdown: group "${g}" is ${p}; only fp16/bf16 plans split into weight and activation rounding`);
}

/** The fp32 graph with the planned groups' weights rounded to their float format; activations stay f32. */
export function weightsOnly(an: Analyzer, plan: Plan): Graph {
  checkFloat(plan);
  const planned = an.groups.filter((g) => (plan.get(g.name) ?? 'fp32') !== 'fp32');
  const rounded = new Map(planned.map((g) => [g.weight.name, plan.get(g.name)!]));
  // Weights (and refitted biases) chosen by error-compensating rounding (calib.fitted) are what the
  // deployment stores, so they replace round to nearest here.
  const bias = new Map(planned.flatMap((g) => (g.compute.input(2) ? [[g.compute.input(2)!.name, plan.get(g.name)!] as const] : [])));
  const spec = an.graph.toSpec();
  const constants = spec.constants.map((c) => {
    const p = rounded.get(c.name) ?? bias.get(c.name);
    const fit = p ? an.calib.fitted?.get(p)?.get(c.name) : undefined;
    if (fit) return { ...c, constant: fit };
    if (!rounded.has(c.name) || !c.constant) return c;
    return { ...c, constant: new Tensor('f32', c.constant.shape, fakeQuantize(c.constant.toF32(), c.constant.shape, { precision: p! })) };
  });
  return Graph.build({ ...spec, constants });
}

/** The quantized graph of the plan with every weight back in f32: only boundary activations rounded. */
export function activationsOnly(an: Analyzer, plan: Plan): Graph {
  checkFloat(plan);
  const q = an.quantize(plan);
  const byNode = new Map(an.groups.flatMap((g) => [[g.name, g], [`fused_${g.name}`, g]] as const));
  const spec = q.toSpec();
  const original = new Map<string, Tensor>(); // weight codes constant → the f32 weight
  const nodes: NodeSpec[] = spec.nodes.map((n) => {
    const g = byNode.get(n.name), w = n.quant?.weight as { name: string; dtype: string } | undefined;
    if (!g || !w || !n.body || (w.dtype !== 'f16' && w.dtype !== 'bf16')) return n;
    original.set(w.name, g.weight.constant!);
    const b = n.body.toSpec();
    const inputs = b.inputs.map((v) => (v.name === w.name ? { ...v, type: { dtype: 'f32' as const, shape: v.type.shape } } : v));
    return { ...n, body: Graph.build({ ...b, inputs }) };
  });
  const constants = spec.constants.map((c) => {
    const t = original.get(c.name);
    return t ? { name: c.name, type: { dtype: 'f32' as const, shape: t.shape }, constant: t } : c;
  });
  return Graph.build({ ...spec, nodes, constants });
}
