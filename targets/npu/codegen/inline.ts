// Fused nodes the NPU receives (the quantizer's precision groups: passes/quantize wraps each group in
// a `Fused` node whose body holds QuantizeLinear/DequantizeLinear/Cast around the members) are spliced
// back into the graph, and this code generator forms its own layers from the flat QDQ graph. Body
// inputs and outputs carry the outer names; values inside a body are renamed `<fused node>/<name>`,
// since two bodies may each dequantize the same input under the same name.
import { Graph, type NodeSpec, type TensorType, type ValueSpec } from '../../../src/ir/graph/graph.ts';

export function inlineFused(graph: Graph): Graph {
  if (!graph.nodes.some((n) => n.body)) return graph;
  const spec = graph.toSpec();
  const constants = new Map<string, ValueSpec>(spec.constants.map((c) => [c.name, c]));
  const types = new Map<string, TensorType>(spec.types);
  const nodes: NodeSpec[] = [];
  for (const n of graph.nodes) {
    if (!n.body) { nodes.push(n.toSpec()); continue; }
    const body = inlineFused(n.body);
    const outer = new Set([...body.inputs.map((v) => v.name), ...body.outputs.map((v) => v.name)]);
    const local = new Map<string, string>();
    for (const c of body.constants) {
      const same = constants.get(c.name);
      const nm = !same || same.constant === c.constant ? c.name : `${n.name}/${c.name}`;
      local.set(c.name, nm);
      if (!constants.has(nm)) constants.set(nm, { name: nm, type: c.type, constant: c.constant });
    }
    const rename = (name: string) => (name === '' || outer.has(name) ? name : local.get(name) ?? (constants.has(name) ? name : `${n.name}/${name}`));
    for (const m of body.nodes) {
      const s = m.toSpec();
      nodes.push({ ...s, name: `${n.name}/${s.name}`, inputs: s.inputs.map(rename), outputs: s.outputs.map(rename) });
      for (const o of m.outputs) types.set(rename(o.name), o.type);
    }
  }
  return Graph.build({ ...spec, constants: [...constants.values()], nodes, types });
}
