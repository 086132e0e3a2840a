// The graph pass pipeline the driver runs (src/driver/compile.ts calls optimizeGraph).
import type { Graph } from '../src/ir/graph/graph.ts';
import type { Target } from '../targets/target.ts';
import { type Instrument, passContext, runPasses } from './pass.ts';
import { DEFAULT_PIPELINE, lookupPass } from './registry.ts';

export interface OptimizeOptions {
  readonly target?: Target;
  /** Pass names to run instead of the default pipeline. */
  readonly passes?: readonly string[];
  readonly instruments?: readonly Instrument[];
}

export function optimizeGraph(graph: Graph, opts: OptimizeOptions = {}): Graph {
  const passes = (opts.passes ?? DEFAULT_PIPELINE).map(lookupPass);
  return runPasses(graph, passes, passContext({ target: opts.target }, opts.instruments ?? []));
}

export { DEFAULT_PIPELINE, PASSES, lookupPass } from './registry.ts';
export { type GraphPass, type Instrument, type PassContext, type PassOptions, passContext, runPasses } from './pass.ts';
export { printInstrument, timeInstrument, verifyInstrument } from './instruments.ts';
