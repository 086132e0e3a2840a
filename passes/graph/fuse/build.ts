// Groups → graph: each group of two or more nodes becomes one node of op "Fused" whose body is the
// sub-graph of its members. Body inputs are the values the members read from outside (in order of
// first use; weights stay outer constants, so targets bind them like any input), one-element
// constants move into the body, and body outputs are the members' values read outside the group.
// Groups are emitted in a topological order of the condensed graph, each where its inputs are ready.
import type { Attrs } from '../../../src/ir/graph/attrs.ts';
import { Graph, type Node, type NodeSpec, type TensorType, type Value } from '../../../src/ir/graph/graph.ts';
import { capturedValues } from './postdom.ts';

export interface Group {
  readonly nodes: readonly Node[];
  /** e.g. "Conv+Add+Relu", "MatMul+Add+Gelu", "Attention". */
  readonly label: string;
}

export function fusedNode(g: Graph, group: Group, name: string): NodeSpec {
  const members = new Set(group.nodes);
  const produced = new Set(group.nodes.flatMap((n) => n.outputs));
  const graphOutputs = new Set([...g.outputs, ...capturedValues(g)]);
  const inputs: Value[] = [], scalars: Value[] = [];
  for (const n of group.nodes) {
    for (const v of n.inputs) {
      if (!v || produced.has(v) || inputs.includes(v) || scalars.includes(v)) continue;
      (v.constant && v.constant.size === 1 ? scalars : inputs).push(v);
    }
  }
  const outputs = [...produced].filter((v) => graphOutputs.has(v) || v.consumers.some((c) => !members.has(c)));
  const types = new Map<string, TensorType>();
  for (const v of produced) types.set(v.name, v.type);
  const body = Graph.build({
    name, opsets: g.opsets,
    inputs: inputs.map((v) => ({ name: v.name, type: v.type })),
    constants: scalars.map((v) => ({ name: v.name, type: v.type, constant: v.constant })),
    nodes: group.nodes.map((n) => n.toSpec()),
    outputs: outputs.map((v) => v.name), types,
  });
  const attrs: Attrs = { pattern: { kind: 'string', value: group.label } };
  return { name, op: 'Fused', inputs: inputs.map((v) => v.name), outputs: outputs.map((v) => v.name), attrs, body };
}

/** Orders groups (lists of node indices, each sorted) so that every group follows its producers. */
export function orderGroups(g: Graph, groupOf: Int32Array, members: ReadonlyMap<number, number[]>): number[] {
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const preds = new Map<number, Set<number>>();
  for (const [root, nodes] of members) {
    const p = new Set<number>();
    for (const i of nodes) for (const v of g.nodes[i].inputs) {
      const prod = v?.producer ? groupOf[index.get(v.producer)!] : undefined;
      if (prod !== undefined && prod !== root) p.add(prod);
    }
    preds.set(root, p);
  }
  // Kahn's algorithm, taking ready groups by their first member so the order stays close to the input's.
  const order: number[] = [];
  const done = new Set<number>();
  const roots = [...members.keys()].sort((a, b) => members.get(a)![0] - members.get(b)![0]);
  while (order.length < roots.length) {
    const next = roots.find((r) => !done.has(r) && [...preds.get(r)!].every((p) => done.has(p)));
    if (next === undefined) throw new Error('fuse: the fusion groups form a cycle (a fusion rule let a non-convex group through)');
    order.push(next);
    done.add(next);
  }
  return order;
}
