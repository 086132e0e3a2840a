// The graph pass pipeline (issue 8 fills it in). Until then the graph is compiled as imported.
import type { Graph } from '../src/ir/graph/graph.ts';
import type { Target } from '../targets/target.ts';

export interface OptimizeOptions {
  readonly target?: Target;
}

export function optimizeGraph(graph: Graph, _opts: OptimizeOptions = {}): Graph {
  return graph;
}
