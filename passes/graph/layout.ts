// Layout normalization by transpose sinking: a Transpose feeding a unary element-wise op (or two
// Transposes of one permutation feeding a binary one) moves below it, so the layout conversions that
// exporters wrap around element-wise code (NHWC ↔ NCHW) meet their inverses and `eliminate` cancels
// them. Only ops whose other inputs are one-element constants move, so no constant needs permuting.
import type { NodeSpec } from '../../src/ir/graph/graph.ts';
import type { GraphPass } from '../pass.ts';
import { rewriteGraph, type Rewrite, type RewriteCtx, type Rule } from './rewrite.ts';
import { intsAttr } from './util.ts';

const UNARY = new Set([
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Erf', 'Exp', 'Log', 'Sqrt',
  'Neg', 'Abs', 'Reciprocal', 'Softplus', 'Clip', 'Cast', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos',
]);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow']);

/** The Transpose producing `v` when this node is its only reader. */
function soleTranspose(v: string, ctx: RewriteCtx): NodeSpec | undefined {
  const p = ctx.producer(v);
  return p && p.op === 'Transpose' && intsAttr(p.attrs, 'perm') && ctx.uses(v) === 1 && !ctx.isOutput(v) ? p : undefined;
}

function sink(n: NodeSpec, sources: string[], perm: readonly number[], ctx: RewriteCtx): Rewrite {
  const mid = ctx.fresh(`${n.outputs[0]}_pre`);
  const out = ctx.type(n.outputs[0]);
  const src = ctx.type(sources[0]);
  return {
    types: new Map([[mid, { dtype: out.dtype, shape: src.shape }]]),
    nodes: [
      { ...n, inputs: [...sources, ...n.inputs.slice(sources.length)], outputs: [mid] },
      { name: `${n.name}_transpose`, op: 'Transpose', inputs: [mid], outputs: n.outputs, attrs: { perm: { kind: 'ints', value: perm } } },
    ],
  };
}

const rule: Rule = (n, ctx) => {
  if ((n.domain ?? '') !== '' || n.outputs.length !== 1) return undefined;
  if (UNARY.has(n.op)) {
    const t = soleTranspose(n.inputs[0], ctx);
    const rest = n.inputs.slice(1).every((x) => x === '' || (ctx.constant(x)?.size ?? 0) === 1);
    return t && rest ? sink(n, [t.inputs[0]], intsAttr(t.attrs, 'perm')!, ctx) : undefined;
  }
  if (BINARY.has(n.op) && n.inputs.length === 2) {
    const [a, b] = n.inputs.map((x) => soleTranspose(x, ctx));
    if (!a || !b || a === b) return undefined;
    const pa = intsAttr(a.attrs, 'perm')!, pb = intsAttr(b.attrs, 'perm')!;
    const sa = ctx.type(a.inputs[0]).shape, sb = ctx.type(b.inputs[0]).shape;
    const same = pa.length === pb.length && pa.every((p, i) => p === pb[i]) && sa.length === sb.length && sa.every((d, i) => d === sb[i]);
    return same ? sink(n, [a.inputs[0], b.inputs[0]], pa, ctx) : undefined;
  }
  return undefined;
};

export const layoutPass: GraphPass = {
  name: 'layout',
  doc: 'sink Transposes below element-wise ops so layout conversions cancel',
  run: (g) => rewriteGraph(g, rule),
};
