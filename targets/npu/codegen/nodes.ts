// Reading graph nodes into the code generator's terms: fusion lookups, constant attributes, shapes.
import type { Graph, Node, Value } from '../../../src/ir/graph/graph.ts';
import { FOLDED, concreteShape } from './layout.ts';
import { unaryOp, type EpiOp } from './epilogue.ts';

export class NotMapped extends Error {}

export const shapeOf = (v: Value) => concreteShape(v);
export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export const isFloat = (v: Value) => v.type.dtype === 'f32' || v.type.dtype === 'f16' || v.type.dtype === 'bf16' || v.type.dtype === 'f64';

export class Fusion {
  readonly outputs: Set<string>;
  constructor(readonly graph: Graph) { this.outputs = new Set(graph.outputs.map((v) => v.name)); }

  /** The only consumer of `v`, when `v` is not also a graph output. */
  sole(v: Value): Node | null {
    return v.consumers.length === 1 && !this.outputs.has(v.name) ? v.consumers[0] : null;
  }

  /** Unary activations that follow `v` one after another, and the value they end at. */
  acts(v: Value): { ops: EpiOp[]; nodes: Node[]; out: Value } {
    const ops: EpiOp[] = [], nodes: Node[] = [];
    for (;;) {
      const n = this.sole(v);
      const op = n && n.outputs.length === 1 && n.inputs[0] === v ? unaryOp(n) : null;
      if (!n || !op || n.op === 'Identity') return { ops, nodes, out: v };
      ops.push(op); nodes.push(n); v = n.outputs[0];
    }
  }
}

export function constNumbers(v: Value | null): number[] | null {
  const c = v ? v.constant ?? FOLDED.get(v) : undefined;
  return c ? c.toNumbers() : null;
}

/** Normalized axis. */
export function axis(a: number, rank: number): number { return a < 0 ? a + rank : a; }
