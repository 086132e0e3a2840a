// Graph node → PrimFunc. A plain node applies its op's compute rule; a fused node (one carrying a body
// graph) applies its members' rules in order, each reading the tensor expressions its producers
// returned, so element-wise producers and epilogues inline into the one loop nest of the complex op.
// Weights (constants with more than one element) are function inputs; one-element constants
// (epsilons, exponents, clip bounds) are immediates.
import { ShapeError, UnsupportedError, nodeRef } from '../util/errors.ts';
import type { Graph, Node, Value } from '../ir/graph/graph.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import type { Buffer } from '../ir/tensor/buffer.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { simplifyFunc } from '../ir/tensor/simplify.ts';
import { buildFunc } from './build.ts';
import { BufferNames } from './names.ts';
import { RuleCtx, type RuleInput, type StaticType } from './rule.ts';
import { NOT_LOWERED, ruleOf } from './rules/table.ts';
import { ScalarTensor, Te } from './te.ts';
import { decodeF8, isF8 } from '../util/float8.ts';

export { NOT_LOWERED } from './rules/table.ts';

export interface LowerOptions {
  /** Opset of the graph the node comes from (ops whose meaning changed read it). Default 18. */
  readonly opset?: number;
  /** Function name; default: the node's name made an identifier. */
  readonly name?: string;
  /** Run the arithmetic simplifier over the result. Default false: the naive nest, as the rules wrote it. */
  readonly simplify?: boolean;
}

/** One lowered node: its function and the graph values bound to the function's parameters. */
export interface KernelCall {
  readonly node: Node;
  readonly func: PrimFunc;
  /** Values read, one per `func.inputs` entry (graph values, or a fused body's constants). */
  readonly inputs: readonly Value[];
  /** Values written, one per `func.outputs` entry. */
  readonly outputs: readonly Value[];
}

export interface LoweredGraph {
  readonly funcs: readonly PrimFunc[];
  /** In graph order; nodes left to the reference runtime are in `fallback` instead. */
  readonly calls: readonly KernelCall[];
  readonly fallback: readonly { readonly node: Node; readonly reason: string }[];
}

export function lowerNode(node: Node, opts: LowerOptions = {}): PrimFunc {
  return lowerKernel(node, opts).func;
}

export function lowerKernel(node: Node, opts: LowerOptions = {}): KernelCall {
  const te = new Te();
  const bound = new Map<Buffer, Value>();
  const env = new Map<string, RuleInput>();
  const bind = (v: Value, as: Value) => env.set(v.name, ruleInput(te, node, as, bound, v));
  let members: readonly Node[] = [node];
  let results: readonly Value[] = node.outputs;
  if (node.body) {
    const body = node.body;
    if (body.inputs.length !== node.inputs.length) {
      throw new ShapeError(`${nodeRef(node)}: the fused body has ${body.inputs.length} inputs, the node ${node.inputs.length}`);
    }
    if (body.outputs.length !== node.outputs.length) {
      throw new ShapeError(`${nodeRef(node)}: the fused body has ${body.outputs.length} outputs, the node ${node.outputs.length}`);
    }
    body.inputs.forEach((v, i) => { const outer = node.inputs[i]; if (outer) bind(v, outer); });
    for (const c of body.constants) bind(c, c);
    members = body.nodes;
    results = body.outputs;
  } else {
    for (const v of node.inputs) if (v && !env.has(v.name)) bind(v, v);
  }
  for (const v of node.outputs) te.reserveOutput(v.name);
  const opset = opts.opset ?? node.body?.opset ?? 18;
  for (const m of members) applyRule(te, m, opset, env);
  const outputs = results.map((v, k) => {
    const r = env.get(v.name) ?? fail(node, `the fused body's output "${v.name}" is not computed by its members`);
    return { tensor: r.tensor, name: node.outputs[k].name, dtype: node.outputs[k].type.dtype };
  });
  let func = buildFunc(te, opts.name ?? new BufferNames().take(node.name || node.op.toLowerCase()), outputs);
  if (opts.simplify) func = simplifyFunc(func);
  return { node, func, inputs: func.inputs.map((b) => bound.get(b)!), outputs: node.outputs };
}

/** Lowers every node; with `fallback`, nodes in NOT_LOWERED are listed instead of failing. */
export function lowerGraph(graph: Graph, opts: Omit<LowerOptions, 'name'> & { fallback?: boolean } = {}): LoweredGraph {
  const names = new BufferNames();
  const calls: KernelCall[] = [];
  const fallback: { node: Node; reason: string }[] = [];
  for (const node of graph.nodes) {
    const reason = NOT_LOWERED[node.op];
    if (reason && opts.fallback && !node.body) { fallback.push({ node, reason }); continue; }
    calls.push(lowerKernel(node, { ...opts, opset: opts.opset ?? graph.opset, name: names.take(node.name || node.op.toLowerCase()) }));
  }
  return { funcs: calls.map((c) => c.func), calls, fallback };
}

function applyRule(te: Te, m: Node, opset: number, env: Map<string, RuleInput>): void {
  const custom = m.domain !== '' && m.domain !== 'ai.onnx';
  if (custom && !ruleOf(m.domain, m.op)) throw new UnsupportedError(`${nodeRef(m)}: ops of domain "${m.domain}" are not lowered`);
  const why = custom ? undefined : NOT_LOWERED[m.op];
  if (why) throw new UnsupportedError(`${nodeRef(m)}: ${m.op} is not lowered to the Tensor IR: ${why}`);
  const rule = ruleOf(m.domain, m.op);
  if (!rule) throw new UnsupportedError(`${nodeRef(m)}: there is no compute rule for ${m.op}`);
  const ins = m.inputs.map((v) => (v ? env.get(v.name) ?? fail(m, `input "${v.name}" is not available inside the fused node`) : null));
  const outTypes = m.outputs.map((v) => staticType(m, v, 'output'));
  const outs = rule(new RuleCtx(m, opset, te, ins, outTypes));
  m.outputs.forEach((v, k) => {
    const t = outs[k] ?? fail(m, `the compute rule produced no tensor for output "${v.name}"`);
    const want = outTypes[k].shape;
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      fail(m, `the compute rule made output "${v.name}" of shape [${t.shape}], the graph says [${want}]`);
    }
    env.set(v.name, { tensor: t, type: outTypes[k] });
  });
}

/** A node input as the rules see it: a one-element constant is an immediate, anything else a buffer. */
function ruleInput(te: Te, node: Node, v: Value, bound: Map<Buffer, Value>, inner: Value): RuleInput {
  const type = staticType(node, v, 'input');
  const c = inner.constant ?? v.constant;
  if (c && c.size === 1) return { tensor: new ScalarTensor(v.name, scalarValue(c), type.dtype, type.shape), type, constant: c };
  const p = te.placeholder(v.name, type.dtype, type.shape);
  bound.set(p.buffer, inner.constant ? inner : v);
  return { tensor: p, type, constant: c };
}

/** A one-element constant's value (8-bit floats are stored as bits; the immediate is the number). */
function scalarValue(c: Tensor): number {
  const v = c.toNumbers()[0];
  return isF8(c.dtype) ? decodeF8(v, c.dtype) : v;
}

function staticType(node: Node, v: Value, what: string): StaticType {
  const sym = v.type.shape.find((d) => typeof d !== 'number');
  if (sym !== undefined) {
    throw new ShapeError(`${nodeRef(node)}: ${what} "${v.name}" has the symbolic dim "${sym}"; bind it with --shape (e.g. --shape ${v.name}=${v.type.shape.map((d) => (typeof d === 'number' ? d : 1)).join(',')}) before lowering`);
  }
  return { dtype: v.type.dtype, shape: v.type.shape as number[] };
}

function fail(node: { name: string; op: string }, message: string): never {
  throw new ShapeError(`${nodeRef(node)}: ${message}`);
}
