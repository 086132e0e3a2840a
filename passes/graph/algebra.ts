// Algebraic rewrites with constants: x+0, x-0, x·1, x/1, x^1 → x (only where no broadcast changes the
// shape), and x / c → x · (1/c) for a float constant c, since multiplication is cheaper everywhere.
import type { NodeSpec } from '../../src/ir/graph/graph.ts';
import { isFloat } from '../../src/ir/graph/dtype.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { GraphPass } from '../pass.ts';
import { rewriteGraph, type Rewrite, type RewriteCtx, type Rule } from './rewrite.ts';
import { sameType, uniformValue } from './util.ts';

/** op → [the neutral constant, whether it may stand on the left]. */
const NEUTRAL: Record<string, [number, boolean]> = { Add: [0, true], Sub: [0, false], Mul: [1, true], Div: [1, false], Pow: [1, false] };

function neutral(n: NodeSpec, ctx: RewriteCtx): Rewrite | undefined {
  const rule = NEUTRAL[n.op];
  if (!rule || n.inputs.length !== 2) return undefined;
  const [value, commutes] = rule;
  const sides = commutes ? [[0, 1], [1, 0]] : [[0, 1]];
  for (const [x, c] of sides) {
    if (uniformValue(ctx.constant(n.inputs[c])) !== value || ctx.constant(n.inputs[x])) continue;
    // x + zeros([4]) with x: [4,1] broadcasts to [4,4]; only an unchanged type is a no-op.
    if (sameType(ctx.type(n.inputs[x]), ctx.type(n.outputs[0]))) return { alias: { [n.outputs[0]]: n.inputs[x] } };
  }
  return undefined;
}

function divByConstant(n: NodeSpec, ctx: RewriteCtx): Rewrite | undefined {
  const c = ctx.constant(n.inputs[1]);
  if (n.op !== 'Div' || !c || !isFloat(c.dtype) || ctx.constant(n.inputs[0])) return undefined;
  const values = c.toNumbers();
  if (values.some((v) => v === 0 || !Number.isFinite(v))) return undefined;
  const name = ctx.fresh(`${n.inputs[1]}_recip`);
  const recip = Tensor.fromNumbers(c.dtype, c.shape, values.map((v) => 1 / v));
  return {
    constants: [{ name, type: { dtype: c.dtype, shape: c.shape }, constant: recip }],
    nodes: [{ ...n, op: 'Mul', inputs: [n.inputs[0], name] }],
  };
}

const rule: Rule = (n, ctx) => ((n.domain ?? '') !== '' ? undefined : neutral(n, ctx) ?? divByConstant(n, ctx));

export const algebraPass: GraphPass = {
  name: 'algebra',
  doc: 'x+0, x·1, x/1, x^1 → x; x/c → x·(1/c)',
  run: (g) => rewriteGraph(g, rule),
};
