// One segment of the placed graph (a convex set of nodes on one device) as a graph of its own:
// inputs are the non-constant values it reads from outside, outputs the values others read (or the
// model returns). For a target that runs a fused node only as its members, the members are inlined:
// body values carry the outer names (fuse/build.ts), so inlining is a splice.
import { Graph, type Node, type NodeSpec, type TensorType, type ValueSpec } from '../../ir/graph/graph.ts';
import type { Target } from '../../../targets/target.ts';

export function segmentGraph(graph: Graph, nodes: readonly Node[], target: Target, name: string): Graph {
  const inside = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const modelOutputs = new Set(graph.outputs);
  const inputs: ValueSpec[] = [], constants = new Map<string, ValueSpec>(), seen = new Set<string>();
  const specs: NodeSpec[] = [];
  const types = new Map<string, TensorType>();
  for (const n of nodes) {
    for (const v of n.inputs) {
      if (!v || produced.has(v) || seen.has(v.name)) continue;
      seen.add(v.name);
      if (v.constant) constants.set(v.name, { name: v.name, type: v.type, constant: v.constant });
      else inputs.push({ name: v.name, type: v.type });
    }
    if (n.body && !target.supports(n).ok) {
      for (const c of n.body.constants) constants.set(c.name, { name: c.name, type: c.type, constant: c.constant });
      for (const m of n.body.nodes) { specs.push(m.toSpec()); for (const o of m.outputs) types.set(o.name, o.type); }
    } else {
      specs.push(n.toSpec());
      for (const o of n.outputs) types.set(o.name, o.type);
    }
  }
  const outputs = [...produced].filter((v) => modelOutputs.has(v) || v.consumers.some((c) => !inside.has(c))).map((v) => v.name);
  return Graph.build({ name, opsets: graph.opsets, inputs, constants: [...constants.values()], nodes: specs, outputs, types });
}
