// The built-in pass instruments (TVM's PassInstrument): verify the graph after each pass, print it
// before and after, and time each pass.
import { Graph, type Node, type Value } from '../src/ir/graph/graph.ts';
import { formatType, printGraph } from '../src/ir/graph/print.ts';
import type { GraphPass, Instrument } from './pass.ts';

/** Rebuilds the result from its description, which re-checks SSA, order, uses and types. */
export function verifyInstrument(): Instrument {
  return {
    after(pass: GraphPass, _before: Graph, after: Graph) {
      try {
        Graph.build(after.toSpec());
        for (const n of after.nodes) if (n.body) Graph.build(n.body.toSpec());
      } catch (e) {
        throw new Error(`pass "${pass.name}" produced an invalid graph: ${(e as Error).message}`);
      }
      const names = new Set(after.outputs.map((v) => v.name));
      if (names.size !== after.outputs.length) throw new Error(`pass "${pass.name}" duplicated a graph output`);
      for (const n of after.nodes) if (n.body) checkBody(pass, n);
    },
  };
}

/** A fused node's body must line up with the node: inputs and outputs by position, same types. */
function checkBody(pass: GraphPass, n: Node): void {
  const body = n.body!;
  const same = (a: readonly (Value | null)[], b: readonly Value[]) =>
    a.length === b.length && a.every((v, i) => v !== null && formatType(v.type) === formatType(b[i].type));
  if (!same(n.inputs, body.inputs) || !same(n.outputs, body.outputs)) {
    throw new Error(`pass "${pass.name}": fused node "${n.name}" does not match its body's inputs and outputs`);
  }
}

export function printInstrument(write: (s: string) => void, when: { before?: boolean; after?: boolean } = { after: true }): Instrument {
  return {
    before(pass, g) { if (when.before) write(`// before ${pass.name}\n${printGraph(g)}`); },
    after(pass, _b, g) { if (when.after) write(`// after ${pass.name}\n${printGraph(g)}`); },
  };
}

export interface PassTiming { readonly pass: string; readonly ms: number; readonly nodesBefore: number; readonly nodesAfter: number }

export function timeInstrument(log: PassTiming[]): Instrument {
  return { after(pass, b, a, ms) { log.push({ pass: pass.name, ms, nodesBefore: b.nodes.length, nodesAfter: a.nodes.length }); } };
}
