// Stepping a (quantized) fused graph node by node for the sequential weight fit (weight-fit-graph.ts):
// one node at a time over every calibration sample, so a fitted group's input can be captured before
// its weights are chosen. A fitted group's body runs in two stages — the members its conv's data
// input depends on, then the rest with the fitted constants — so the body's conv runs once per sample.
import { Graph, type Node } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { runKernel } from '../../src/runtime/evaluate.ts';
import type { KernelCtx } from '../../src/runtime/kernel.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';

/**
 * Runs one node of a graph on env's values (constants from the graph unless env holds one by that
 * name: a refitted bias read by an unfused node); a Fused node runs its body.
 */
export function runNode(n: Node, env: ReadonlyMap<string, Tensor>, opsets: Graph['opsets']): Tensor[] {
  const ins = n.inputs.map((v) => (v ? env.get(v.name) ?? v.constant ?? undefined : undefined));
  if (!n.body && n.inputs.some((v) => v?.isConstant && env.has(v.name))) {
    const ctx: KernelCtx = { opset: opsets[''] ?? 0, runSubgraph: NO_SUBGRAPHS };
    return runKernel(n.domain, { name: n.name, op: n.op, attr: n.attr, outputCount: n.outputs.length, body: n.body }, ins.map((t) => t ?? null), ctx);
  }
  if (n.body) {
    const out = runGraph(n.body, Object.fromEntries(n.body.inputs.map((v, k) => [v.name, ins[k]!])));
    return n.body.outputs.map((v) => out[v.name]);
  }
  const mini = single(n, opsets);
  const out = runGraph(mini, Object.fromEntries(mini.inputs.map((v) => [v.name, env.get(v.name)!])));
  return n.outputs.map((v) => out[v.name]);
}

/** Per env, the tensor `member` (the conv) reads as input 0 when node n runs: only the members it depends on run. */
export function computeInputs(n: Node, member: Node, envs: readonly ReadonlyMap<string, Tensor>[]): Tensor[] {
  const x = member.input(0)!.name;
  const s = n.body ? stage(n, member) : undefined;
  return envs.map((env) => {
    const t = s ? runBefore(s, env).get(x) : env.get(x);
    if (!t) throw new Error(`weight fit: no value "${x}" in node "${n.name}"`);
    return t;
  });
}

const singles = new WeakMap<Node, Graph>();

/** A graph of node n alone (its activations as inputs, its constants kept). */
export function single(n: Node, opsets: Graph['opsets']): Graph {
  let s = singles.get(n);
  if (s) return s;
  const inputs = [], constants = [], seen = new Set<string>();
  for (const v of n.inputs) {
    if (!v || seen.has(v.name)) continue;
    seen.add(v.name);
    if (v.isConstant) constants.push({ name: v.name, type: v.type, constant: v.constant });
    else inputs.push({ name: v.name, type: v.type });
  }
  const types = new Map(n.outputs.map((o) => [o.name, o.type] as const));
  s = Graph.build({ name: n.name, opsets, inputs, constants, nodes: [n.toSpec()], outputs: n.outputs.map((o) => o.name), types });
  singles.set(n, s);
  return s;
}

/**
 * A Fused node split for a fit: `before` = the body members the conv's data input `x` depends on
 * (body order), `after` = the others. Running `before`, then `after`, is running the body in order.
 */
export interface Staged {
  readonly node: Node;
  readonly x: string;
  readonly before: readonly Node[];
  readonly after: readonly Node[];
}

export function stage(n: Node, member: Node): Staged {
  const body = n.body!, x = member.input(0)!.name;
  const need = new Set([x]), before = new Set<Node>();
  for (let i = body.nodes.length - 1; i >= 0; i--) {
    const m = body.nodes[i];
    if (!m.outputs.some((v) => need.has(v.name))) continue;
    before.add(m);
    for (const v of m.inputs) if (v) need.add(v.name);
  }
  return { node: n, x, before: body.nodes.filter((m) => before.has(m)), after: body.nodes.filter((m) => !before.has(m)) };
}

/** Body environment of a staged node on env (its outer inputs, by body name), after `before` ran. */
export function runBefore(s: Staged, env: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const body = s.node.body!, benv = new Map<string, Tensor>();
  s.node.inputs.forEach((v, k) => {
    const t = v ? env.get(v.name) ?? v.constant : undefined;
    if (t) benv.set(body.inputs[k].name, t);
  });
  runMembers(body, s.before, benv);
  if (!benv.has(s.x)) throw new Error(`weight fit: no value "${s.x}" in node "${s.node.name}"`);
  return benv;
}

/**
 * The body's outputs: `after` run on benv, outer constant inputs replaced by `constants` (by outer
 * name; the fitted weight's encoding, a refitted bias). `before` must not read any of them. Empties benv.
 */
export function runAfter(s: Staged, benv: Map<string, Tensor>, constants: ReadonlyMap<string, Tensor>): Tensor[] {
  const body = s.node.body!, replaced = new Set<string>();
  s.node.inputs.forEach((v, k) => {
    const t = v && constants.get(v.name);
    if (t) { benv.set(body.inputs[k].name, t); replaced.add(body.inputs[k].name); }
  });
  const early = s.before.find((m) => m.inputs.some((v) => v && replaced.has(v.name)));
  if (early) throw new Error(`weight fit: "${early.name}" in "${s.node.name}" reads a fitted constant before the conv's input is known`);
  runMembers(body, s.after, benv);
  const outs = body.outputs.map((v) => benv.get(v.name)!);
  benv.clear(); // the body's intermediates go now, not after every sample's stage two
  return outs;
}

const NO_SUBGRAPHS: KernelCtx['runSubgraph'] = () => { throw new Error('weight fit: control flow inside a fused group'); };

/** Runs body members in order on benv (the interpreter's step: reference kernels, body constants). */
function runMembers(body: Graph, nodes: readonly Node[], benv: Map<string, Tensor>): void {
  const ctx: KernelCtx = { opset: body.opset, runSubgraph: NO_SUBGRAPHS };
  for (const m of nodes) {
    const ins = m.inputs.map((v) => (v ? benv.get(v.name) ?? v.constant ?? null : null));
    const outs = runKernel(m.domain, { name: m.name, op: m.op, attr: m.attr, outputCount: m.outputs.length, body: m.body }, ins, ctx);
    m.outputs.forEach((v, k) => benv.set(v.name, outs[k]));
  }
}
