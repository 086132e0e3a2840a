// The op table: per ONNX op, its shape/dtype rule and (optionally) how it propagates the symbolic
// contents of small integer tensors, so that shape sub-graphs resolve even with symbolic batch sizes.
import { ShapeError, nodeRef } from '../../../util/errors.ts';
import { AttrReader } from '../attrs.ts';
import type { DType } from '../dtype.ts';
import type { Dim, NodeSpec, TensorType } from '../graph.ts';
import type { Tensor } from '../tensor.ts';

export interface InferCtx {
  readonly node: NodeSpec;
  readonly attr: AttrReader;
  readonly opset: number;
  /** Input types; null where an optional input is omitted. */
  readonly inputs: readonly (TensorType | null)[];
  /** Type of input i; fails clearly when it is omitted. */
  input(i: number): TensorType;
  /** Constant value of input i, when known at compile time. */
  constant(i: number): Tensor | undefined;
  /** Symbolic contents of a rank-0/1 integer input (e.g. the output of Shape), when known. */
  dims(i: number): readonly Dim[] | undefined;
  /** A new symbolic dimension. */
  fresh(): string;
  fail(message: string): never;
}

export interface OpDef {
  readonly name: string;
  readonly domain?: string;
  /** Inclusive range of default-domain opset versions whose semantics we implement. */
  readonly since?: number;
  readonly infer: (ctx: InferCtx) => TensorType[];
  /** Symbolic contents of small integer outputs (Shape, Gather of a shape, Concat …). */
  readonly values?: (ctx: InferCtx) => (readonly Dim[] | undefined)[];
}

const OPS = new Map<string, OpDef>();

export function defineOp(def: OpDef): void {
  const key = opKey(def.domain ?? '', def.name);
  if (OPS.has(key)) throw new Error(`op ${key} defined twice`);
  OPS.set(key, def);
}

export function lookupOp(domain: string, op: string): OpDef | undefined {
  return OPS.get(opKey(domain, op));
}

export function allOps(): OpDef[] { return [...OPS.values()].sort((a, b) => a.name.localeCompare(b.name)); }

function opKey(domain: string, op: string): string {
  return domain === '' || domain === 'ai.onnx' ? op : `${domain}::${op}`;
}

export function makeCtx(
  node: NodeSpec, opset: number, inputs: (TensorType | null)[],
  constant: (i: number) => Tensor | undefined, dims: (i: number) => readonly Dim[] | undefined,
  fresh: () => string,
): InferCtx {
  const fail = (m: string): never => { throw new ShapeError(`${nodeRef(node)}: ${m}`); };
  return {
    node, attr: new AttrReader({ name: node.name, op: node.op, attrs: node.attrs ?? {} }), opset, inputs,
    input: (i) => inputs[i] ?? fail(`input ${i} is required`),
    constant, dims, fresh, fail,
  };
}

// ---- helpers shared by the rules ----

export function same(t: TensorType): TensorType { return t; }
export function tt(dtype: DType, shape: readonly Dim[]): TensorType { return { dtype, shape }; }

/** Normalizes a possibly negative axis against a rank, failing clearly when out of range. */
export function normAxis(ctx: InferCtx, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style multidirectional broadcast of shapes. */
export function broadcastShapes(ctx: InferCtx, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (d !== e) {
        if (typeof d === 'number' && typeof e === 'number') {
          ctx.fail(`cannot broadcast shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')}`);
        }
        if (typeof d === 'string' && typeof e === 'number') d = e; // a symbol broadcast with a size must be that size
      }
    }
    out.push(d);
  }
  return out;
}

export function product(shape: readonly Dim[]): Dim {
  let n = 1;
  for (const d of shape) { if (typeof d !== 'number') return '?'; n *= d; }
  return n;
}

/** Integer values of a constant input, as numbers. */
export function constInts(ctx: InferCtx, i: number): number[] | undefined {
  const c = ctx.constant(i);
  return c ? c.toNumbers() : undefined;
}
