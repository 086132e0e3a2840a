// Compiling a set of placed nodes for one device: the segment becomes a graph (subgraph.ts) that the
// device's own target compiles exactly as `tscc compile --target <device> --no-passes` would.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import type { Model } from '../../frontend/onnx/import.ts';
import type { Target } from '../../../targets/target.ts';
import { compileModel, type Compiled } from '../compile.ts';
import { segmentGraph } from './subgraph.ts';

export async function compileSegment(graph: Graph, nodes: readonly Node[], spec: string, target: Target, name: string, db?: string): Promise<{ graph: Graph; compiled: Compiled }> {
  const sub = segmentGraph(graph, nodes, target, name);
  const model: Model = { graph: sub, file: `<${name}>`, irVersion: 8, producer: 'tscc hetero', opsets: sub.opsets };
  return { graph: sub, compiled: await compileModel(model, { target: spec, noPasses: true, db }) };
}
