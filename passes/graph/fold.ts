// Constant folding: a node whose inputs are all constant becomes constants (evaluated by the
// reference kernels), and Shape/Size of a value whose shape is fully known become constants too, so
// shape sub-graphs fold once --shape binds the dims. Import folds too; this pass exists because
// graphs change after other passes (BN folding, algebraic rewrites make new constant nodes).
import type { GraphPass } from '../pass.ts';
import { isConcrete } from '../../src/ir/graph/infer.ts';
import { Tensor, sizeOf } from '../../src/ir/graph/tensor.ts';
import { evaluateNode } from '../../src/runtime/evaluate.ts';
import { hasKernel } from '../../src/runtime/kernel.ts';
import { rewriteGraph, type Rule } from './rewrite.ts';

/** Ops whose value is not a function of their inputs, or that need subgraphs. */
const NOT_FOLDABLE = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'If', 'Loop', 'Scan', 'Fused']);
/** Largest tensor (elements) folding may create: folding must not blow up the model file. */
const FOLD_LIMIT = 1 << 20;

const rule: Rule = (n, ctx) => {
  if (NOT_FOLDABLE.has(n.op) || n.body || !hasKernel(n.domain ?? '', n.op)) return undefined;
  const shapeOf = n.op === 'Shape' || n.op === 'Size' ? ctx.type(n.inputs[0]).shape : undefined;
  if (shapeOf && isConcrete(shapeOf)) {
    const dims = shapeOf.slice(clampAxis(n, 'start', 0, shapeOf.length), clampAxis(n, 'end', shapeOf.length, shapeOf.length));
    const t = n.op === 'Size' ? Tensor.i64([sizeOf(shapeOf)], []) : Tensor.i64(dims);
    return { constants: [{ name: n.outputs[0], type: { dtype: 'i64', shape: t.shape }, constant: t }] };
  }
  if (!n.inputs.every((x) => x === '' || ctx.constant(x))) return undefined;
  if (!n.outputs.every((o) => { const s = ctx.type(o).shape; return isConcrete(s) && sizeOf(s) <= FOLD_LIMIT; })) return undefined;
  const results = evaluateNode(n, n.inputs.map((x) => (x === '' ? null : ctx.constant(x)!)), ctx.opset);
  return { constants: n.outputs.map((name, k) => ({ name, type: { dtype: results[k].dtype, shape: results[k].shape }, constant: results[k] })) };
};

function clampAxis(n: { attrs?: Record<string, { kind: string; value: unknown }> }, key: string, dflt: number, rank: number): number {
  const a = n.attrs?.[key];
  const v = a && a.kind === 'int' ? (a.value as number) : dflt;
  return Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
}

export const foldPass: GraphPass = {
  name: 'fold',
  doc: 'evaluate nodes whose inputs are constant, and Shape/Size of fully known shapes',
  run: (g) => rewriteGraph(g, rule),
};
