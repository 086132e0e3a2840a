// Removes nodes that move no data: Identity, inference-mode Dropout, Cast to the same dtype,
// Reshape/Flatten/Squeeze/Unsqueeze/Expand to the same shape, Transpose by the identity permutation,
// one-input Concat; and collapses chains: Transpose∘Transpose into one Transpose, and a chain of
// reshape-like ops into one Reshape of the first one's input.
import type { NodeSpec } from '../../src/ir/graph/graph.ts';
import { isConcrete } from '../../src/ir/graph/infer.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { GraphPass } from '../pass.ts';
import { rewriteGraph, type Rewrite, type RewriteCtx, type Rule } from './rewrite.ts';
import { ints, intsAttr, sameType } from './util.ts';

/** Ops whose output is their first input's data in the same order, only shaped differently. */
const RESHAPE_LIKE = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
const SAME_SHAPE_NOOP = new Set([...RESHAPE_LIKE, 'Expand', 'Cast', 'Identity', 'Dropout', 'Concat']);

const alias = (n: NodeSpec, to: string): Rewrite => ({ alias: { [n.outputs[0]]: to } });

function isNoop(n: NodeSpec, ctx: RewriteCtx): boolean {
  if (n.op === 'Dropout' && n.outputs.length > 1 && n.outputs[1] !== '' && ctx.uses(n.outputs[1]) > 0) return false;
  if (n.op === 'Concat' && n.inputs.length !== 1) return false;
  if (n.op === 'Transpose') {
    const perm = intsAttr(n.attrs, 'perm');
    return perm !== undefined && perm.every((p, i) => p === i);
  }
  return SAME_SHAPE_NOOP.has(n.op) && sameType(ctx.type(n.inputs[0]), ctx.type(n.outputs[0]));
}

/** Transpose(Transpose(x, p), q) = Transpose(x, p∘q). */
function transposeChain(n: NodeSpec, ctx: RewriteCtx): Rewrite | undefined {
  const prev = ctx.producer(n.inputs[0]);
  const q = intsAttr(n.attrs, 'perm'), p = prev && intsAttr(prev.attrs, 'perm');
  if (!prev || prev.op !== 'Transpose' || !p || !q) return undefined;
  const perm = q.map((i) => p[i]);
  if (perm.every((v, i) => v === i)) return alias(n, prev.inputs[0]);
  return { nodes: [{ ...n, inputs: [prev.inputs[0]], attrs: { ...n.attrs, perm: ints(perm) } }] };
}

/** reshape-like(reshape-like(x)) = Reshape(x, final shape), when the final shape is known. */
function reshapeChain(n: NodeSpec, ctx: RewriteCtx): Rewrite | undefined {
  const prev = ctx.producer(n.inputs[0]);
  const shape = ctx.type(n.outputs[0]).shape;
  if (!prev || !RESHAPE_LIKE.has(prev.op) || !isConcrete(shape)) return undefined;
  const src = prev.inputs[0];
  if (sameType(ctx.type(src), ctx.type(n.outputs[0]))) return alias(n, src);
  const name = ctx.fresh(`${n.outputs[0]}_shape`);
  return {
    constants: [{ name, type: { dtype: 'i64', shape: [shape.length] }, constant: Tensor.i64(shape) }],
    nodes: [{ name: n.name, op: 'Reshape', domain: n.domain, inputs: [src, name], outputs: [n.outputs[0]] }],
  };
}

const rule: Rule = (n, ctx) => {
  if ((n.domain ?? '') !== '' || n.inputs.length === 0 || n.inputs[0] === '') return undefined;
  if (isNoop(n, ctx)) return alias(n, n.inputs[0]);
  if (n.op === 'Transpose') return transposeChain(n, ctx);
  if (RESHAPE_LIKE.has(n.op)) return reshapeChain(n, ctx);
  return undefined;
};

export const eliminatePass: GraphPass = {
  name: 'eliminate',
  doc: 'remove Identity/Dropout/no-op reshapes, casts and transposes; collapse Transpose and Reshape chains',
  run: (g) => rewriteGraph(g, rule),
};
