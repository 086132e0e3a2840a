// What a graph pass is, and the context a pipeline runs under. A pass is a named pure function
// Graph → Graph (TVM's module pass, minus the module); the context carries the options every pass
// may read (the target, for capability questions) and the instruments run around each pass.
import type { Graph } from '../src/ir/graph/graph.ts';
import type { Target } from '../targets/target.ts';

export interface PassOptions {
  /** The target being compiled for: fusion asks it whether a fused node is supported. */
  readonly target?: Target;
}

export interface GraphPass {
  readonly name: string;
  /** One line for `tscc inspect --passes` help and docs. */
  readonly doc: string;
  run(graph: Graph, opts: PassOptions): Graph;
}

/** Called before and after each pass; verify/print/time are the built-in ones (instruments.ts). */
export interface Instrument {
  before?(pass: GraphPass, graph: Graph): void;
  after?(pass: GraphPass, before: Graph, after: Graph, ms: number): void;
}

export interface PassContext {
  readonly options: PassOptions;
  readonly instruments: readonly Instrument[];
}

export function passContext(options: PassOptions = {}, instruments: readonly Instrument[] = []): PassContext {
  return { options, instruments };
}

/** Runs passes in order under a context (TVM's Sequential). */
export function runPasses(graph: Graph, passes: readonly GraphPass[], ctx: PassContext = passContext()): Graph {
  let g = graph;
  for (const p of passes) {
    for (const i of ctx.instruments) i.before?.(p, g);
    const t0 = performance.now();
    const next = p.run(g, ctx.options);
    const ms = performance.now() - t0;
    for (const i of ctx.instruments) i.after?.(p, g, next, ms);
    g = next;
  }
  return g;
}
