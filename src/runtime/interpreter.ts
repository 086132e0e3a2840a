// The reference interpreter: executes a graph op by op on the reference kernels, freeing each
// intermediate after its last use. It is the oracle every target is checked against.
import { InputError, ShapeError, nodeRef } from '../util/errors.ts';
import type { Graph, Node } from '../ir/graph/graph.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import { runKernel } from './evaluate.ts';
import type { KernelCtx } from './kernel.ts';

export type TensorMap = Record<string, Tensor>;

export interface RunOptions {
  /** Called after each node with its outputs (for debugging and per-kernel comparisons). */
  onNode?: (node: Node, outputs: readonly Tensor[]) => void;
}

export function runGraph(graph: Graph, inputs: TensorMap, opts: RunOptions = {}): TensorMap {
  checkInputs(graph, inputs);
  const env = new Map<string, Tensor>();
  for (const v of graph.inputs) env.set(v.name, inputs[v.name]);
  return execute(graph, env, opts);
}

function execute(graph: Graph, env: Map<string, Tensor>, opts: RunOptions): TensorMap {
  for (const c of graph.constants) env.set(c.name, c.constant!);
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v) lastUse.set(v.name, i);
    for (const name of subgraphCaptures(n)) lastUse.set(name, i);
  });
  const keep = new Set([...graph.outputs.map((v) => v.name), ...graph.captures.map((v) => v.name)]);
  const ctx: KernelCtx = {
    opset: graph.opset,
    runSubgraph: (g, captured) => {
      const inner = new Map(captured);
      const out = execute(g, inner, opts);
      return g.outputs.map((v) => out[v.name]);
    },
  };
  graph.nodes.forEach((node, i) => {
    const ins = node.inputs.map((v) => (v ? env.get(v.name)! : null));
    const outs = runKernel(node.domain, {
      name: node.name, op: node.op, attr: node.attr, outputCount: node.outputs.length, body: node.body,
    }, ins, withCaptures(ctx, env));
    node.outputs.forEach((v, k) => {
      const t = outs[k];
      if (!t) throw new ShapeError(`${nodeRef(node)}: produced no value for output "${v.name}"`);
      env.set(v.name, t);
    });
    opts.onNode?.(node, outs);
    for (const v of node.inputs) if (v && lastUse.get(v.name) === i && !keep.has(v.name) && !v.isConstant) env.delete(v.name);
  });
  const result: TensorMap = {};
  for (const v of graph.outputs) result[v.name] = env.get(v.name)!;
  return result;
}

function withCaptures(ctx: KernelCtx, env: Map<string, Tensor>): KernelCtx {
  // The kernel's map feeds the subgraph's own inputs (a Loop body's iteration, condition, state).
  const run = (g: Graph, given: ReadonlyMap<string, Tensor>) =>
    ctx.runSubgraph(g, new Map([...g.captures.map((c) => [c.name, env.get(c.name)!] as const), ...given]));
  return { opset: ctx.opset, runSubgraph: run };
}

function subgraphCaptures(n: Node): string[] {
  return Object.values(n.attrs).flatMap((a) => (a.kind === 'graph' ? a.value.captures.map((c) => c.name) : []));
}

function checkInputs(graph: Graph, inputs: TensorMap): void {
  const names = new Set(graph.inputs.map((v) => v.name));
  for (const k of Object.keys(inputs)) if (!names.has(k)) throw new InputError(`unknown input "${k}" (the model's inputs: ${[...names].join(', ')})`);
  for (const v of graph.inputs) {
    const t = inputs[v.name];
    if (!t) throw new InputError(`missing input "${v.name}"`);
    if (t.dtype !== v.type.dtype) throw new InputError(`input "${v.name}" must be ${v.type.dtype}, got ${t.dtype}`);
    if (t.rank !== v.type.shape.length || v.type.shape.some((d, i) => typeof d === 'number' && d !== t.shape[i])) {
      throw new InputError(`input "${v.name}" must have shape [${v.type.shape.join(',')}], got [${t.shape.join(',')}]`);
    }
  }
}
