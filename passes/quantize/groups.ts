// The unit of precision: one node of the fused graph. A group is quantizable when one of its members is
// a compute op (Conv, ConvTranspose, MatMul, Gemm) whose weight is a constant initializer of the outer
// graph and whose data input is an activation; the weight's output-channel axis (per-channel scales)
// and reduction axis (int4 blocks, MX blocks) follow from the op.
import type { Graph, Node, Value } from '../../src/ir/graph/graph.ts';

export const COMPUTE_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

export interface QGroup {
  /** The fused-graph node name: the key of a precision plan. */
  readonly name: string;
  readonly node: Node;
  /** The compute member (the node itself when it is not fused). */
  readonly compute: Node;
  /** The weight initializer (an outer constant). */
  readonly weight: Value;
  /** Output-channel axis of the weight (per-channel scales). */
  readonly axis: number;
  /** Reduction axis of the weight (int4 groups and MX blocks run along it). */
  readonly reduceAxis: number;
  /** Multiply-accumulates per inference (weight elements × output positions), for latency estimates. */
  readonly macs: number;
}

export function members(n: Node): readonly Node[] {
  return n.body ? n.body.nodes : [n];
}

/** Every quantizable group of a fused graph, in node order. */
export function quantGroups(g: Graph): QGroup[] {
  const out: QGroup[] = [];
  for (const n of g.nodes) {
    const c = members(n).find((m) => COMPUTE_OPS.has(m.op) && weightOf(g, m) && isActivation(g, m.input(0)));
    if (!c) continue;
    const w = g.value(c.input(1)!.name)!;
    const [axis, reduceAxis] = axes(c, w.type.shape.length);
    const outElems = c.outputs[0].type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
    const outCh = Number(w.type.shape[axis]) || 1;
    out.push({ name: n.name, node: n, compute: c, weight: w, axis, reduceAxis, macs: (w.constant!.size / outCh) * outElems });
  }
  return out;
}

/** The f32 activation values the quantizable groups read, once each (where a u8 or float boundary can be). */
export function activationInputs(g: Graph): string[] {
  const out = new Set<string>();
  for (const q of quantGroups(g)) for (const v of q.node.inputs) if (v && !v.isConstant && v.type.dtype === 'f32') out.add(v.name);
  return [...out];
}

/** The constant weight a compute member reads as input 1, looked up in the outer graph. */
function weightOf(g: Graph, m: Node): Value | undefined {
  const w = m.input(1);
  const outer = w ? g.value(w.name) : undefined;
  return outer?.isConstant && outer.type.dtype === 'f32' && outer.type.shape.length >= 2 ? outer : undefined;
}

function isActivation(g: Graph, v: Value | null): boolean {
  if (!v || v.type.dtype !== 'f32') return false;
  const outer = g.value(v.name);
  return !(outer ?? v).isConstant;
}

/** [output-channel axis, reduction axis] of a weight of the given rank. */
function axes(c: Node, rank: number): [number, number] {
  switch (c.op) {
    case 'Conv': return [0, 1];           // [M, C/g, kh, kw]
    case 'ConvTranspose': return [1, 0];  // [C, M/g, kh, kw]
    case 'Gemm': return c.attr.int('transB', 0) ? [0, 1] : [1, 0];
    default: return [rank - 1, rank - 2]; // MatMul: [.., K, N]
  }
}
