// The post-dominator tree of a graph's nodes: ipdom[i] is the nearest node every path from node i to
// a graph output passes through, or ROOT when its value escapes (a graph output, or no single node
// gathers all its uses). Nodes come in topological order, so walking them backwards sees every
// consumer first and the ipdom is the least common ancestor of the consumers (Cooper et al.).
import type { Graph, Value } from '../../../src/ir/graph/graph.ts';

export const ROOT = -1;

export interface PostDom {
  readonly ipdom: Int32Array;
  /** consumers[i]: indices of the nodes reading any output of node i (each once). */
  readonly consumers: readonly (readonly number[])[];
}

export function postDominators(g: Graph): PostDom {
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const outputs = new Set<Value>([...g.outputs, ...capturedValues(g)]);
  const n = g.nodes.length;
  const ipdom = new Int32Array(n).fill(ROOT);
  const depth = new Int32Array(n);
  const consumers = g.nodes.map((node) => [...new Set(node.outputs.flatMap((v) => v.consumers.map((c) => index.get(c)!)))]);
  const lca = (a: number, b: number): number => {
    while (a !== b) {
      if (a === ROOT || b === ROOT) return ROOT;
      if (depth[a] > depth[b]) a = ipdom[a]; else if (depth[b] > depth[a]) b = ipdom[b]; else { a = ipdom[a]; b = ipdom[b]; }
    }
    return a;
  };
  for (let i = n - 1; i >= 0; i--) {
    const escapes = g.nodes[i].outputs.some((v) => outputs.has(v)) || consumers[i].length === 0;
    let p = escapes ? ROOT : consumers[i][0];
    for (const c of consumers[i].slice(1)) if (p !== ROOT) p = lca(p, c);
    ipdom[i] = p;
    depth[i] = p === ROOT ? 1 : depth[p] + 1;
  }
  return { ipdom, consumers };
}

/** Values that If/Loop/Scan bodies read from this graph: they must stay materialized. */
export function capturedValues(g: Graph): Value[] {
  const out: Value[] = [];
  for (const n of g.nodes) for (const a of Object.values(n.attrs)) {
    if (a.kind === 'graph') for (const c of a.value.captures) { const v = g.value(c.name); if (v) out.push(v); }
  }
  return out;
}
