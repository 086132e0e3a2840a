// Conv and ConvTranspose as sum reductions over (input channel of the group, kernel taps), with the
// geometry (pads, auto_pad, dilations, output_padding) resolved by the same functions the shape rules
// and the reference kernels use. Grouped and depthwise convolutions pick their input channel from the
// output channel's group; reduction axes of extent 1 (depthwise, 1×1 kernels) are left out.
import {
  convAxis, convTransposeAxis, readTransposeExtras, readWindow,
} from '../../ir/graph/ops/nn-window.ts';
import { type Expr, type Var, add, floordiv, floormod, int, lt, mul, sub } from '../../ir/tensor/expr.ts';
import type { RuleCtx } from '../rule.ts';
import type { ReduceAxis, TeTensor } from '../te.ts';
import { all, clampIndex, eq, ge, guard, k } from './util.ts';
import { windowTap } from './window.ts';

/** Reduction axes for the given extents; extent-1 axes become the constant 0. */
function axesOf(c: RuleCtx, extents: readonly number[], hints: readonly string[]): { axes: ReduceAxis[]; vars: Expr[] } {
  const axes: ReduceAxis[] = [];
  const vars = extents.map((e, i) => {
    if (e === 1) return int(0);
    const a = c.reduceAxis(e, hints[i]);
    axes.push(a);
    return a.v as Expr;
  });
  return { axes, vars };
}

function checkRank(c: RuleCtx, xi = 0, wi = 1): number {
  const r = c.rank(xi) - 2;
  if (r < 1) c.fail(`input must have rank ≥ 3 (N, C, spatial…), got [${c.shape(xi)}]`);
  if (c.rank(wi) !== c.rank(xi)) c.fail(`weight has rank ${c.rank(wi)}, input has rank ${c.rank(xi)}`);
  return r;
}

const SPATIAL_HINTS = ['d', 'h', 'w'];
const spatialHints = (r: number) => SPATIAL_HINTS.slice(3 - Math.min(r, 3)).concat(Array.from({ length: Math.max(0, r - 3) }, (_, i) => `s${i}`));

/** y + bias[m] over the output, where m is the channel axis. */
function withBias(c: RuleCtx, y: TeTensor, biasInput: number): TeTensor {
  if (!c.has(biasInput)) return y;
  const b = c.input(biasInput);
  return c.compute('bias_add', y.shape, (i) => add(y.at(i), b.at([i[1]])));
}

/** Maps an input or weight element before the product (zero points of the integer convolutions). */
export type ConvValue = (v: Expr, side: 'x' | 'w', m: Expr) => Expr;

/**
 * Σ over (input channel of the group, kernel taps) of value(x) · value(w); padding taps contribute 0.
 * `xi` and `wi` are the positions of the input and the weight among the node's inputs.
 */
export function convReduce(c: RuleCtx, name: string, xi: number, wi: number, value: ConvValue): TeTensor {
  const r = checkRank(c, xi, wi);
  const x = c.input(xi), w = c.input(wi);
  const [, C, ...spatial] = x.shape, [M, Cg, ...kernel] = w.shape;
  const group = c.attr.int('group', 1);
  if (group < 1 || C !== Cg * group || M % group !== 0) c.fail(`input has ${C} channels, weight [${w.shape}] with group ${group} does not fit`);
  const fail = (m: string): never => c.fail(m);
  const win = readWindow(c.attr, r, kernel, fail);
  const axes = spatial.map((d, i) => convAxis(win, i, d, fail));
  const Mg = M / group;
  const hints = spatialHints(r);
  return c.compute(name, c.outShape(), ([n, m, ...o]: Var[]) => {
    const red = axesOf(c, [Cg, ...kernel], ['c', ...hints]);
    const [rc, ...taps] = red.vars;
    const chan = group === 1 ? rc : add(mul(floordiv(m, int(Mg)), int(Cg)), rc);
    const t = o.map((oi, i) => windowTap(win, axes[i], i, spatial[i], oi, taps[i]));
    const xv = value(x.at([n, chan, ...t.map((q) => q.index)]), 'x', m);
    const xg = guard(all(t.flatMap((q) => q.conds)), xv, k(0, xv));
    return c.reduce('sum', red.axes, mul(xg, value(w.at([m, rc, ...taps]), 'w', m)));
  });
}

export function convRule(c: RuleCtx): TeTensor[] {
  return [withBias(c, convReduce(c, 'conv', 0, 1, (v) => v), 2)];
}

/**
 * ConvTranspose in gather form: output o receives input i through tap t when o = i·s − head + t·d,
 * i.e. when o + head − t·d is a non-negative multiple of s whose quotient is below the input size.
 */
export function convTransposeRule(c: RuleCtx): TeTensor[] {
  const r = checkRank(c);
  const x = c.input(0), w = c.input(1);
  const [, C, ...spatial] = x.shape, [Cw, Mg, ...kernel] = w.shape;
  const group = c.attr.int('group', 1);
  if (group < 1 || C !== Cw || C % group !== 0) c.fail(`input has ${C} channels, weight [${w.shape}] with group ${group} does not fit`);
  const fail = (m: string): never => c.fail(m);
  const win = readWindow(c.attr, r, kernel, fail);
  const extras = readTransposeExtras(c.attr, win, fail);
  const axes = spatial.map((d, i) => convTransposeAxis(win, extras, i, d, fail));
  const Cg = C / group;
  const hints = spatialHints(r);
  const y = c.compute('conv_transpose', c.outShape(), ([n, m, ...o]: Var[]) => {
    const red = axesOf(c, [Cg, ...kernel], ['c', ...hints]);
    const [rc, ...taps] = red.vars;
    const g = group === 1 ? int(0) : floordiv(m, int(Mg));
    const chan = group === 1 ? rc : add(mul(g, int(Cg)), rc);
    const conds: Expr[] = [];
    const idx = o.map((oi, i) => {
      const s = win.strides[i], d = win.dilations[i], size = spatial[i], head = axes[i].head;
      const num = sub(add(oi, int(head)), mul(taps[i], int(d)));
      // num spans [head − (k−1)·d, out − 1 + head]; test only the sides it can leave.
      const low = head - (kernel[i] - 1) * d < 0, high = Math.floor((axes[i].out - 1 + head) / s) >= size;
      if (low) conds.push(ge(num, int(0)));
      if (s > 1) conds.push(eq(floormod(num, int(s)), int(0)));
      const q = s > 1 ? floordiv(num, int(s)) : num;
      if (high) conds.push(lt(q, int(size)));
      return clampIndex(q, low ? 0 : undefined, high ? size - 1 : undefined);
    });
    const xv = guard(all(conds), x.at([n, chan, ...idx]), k(0, x.dtype));
    const wm = group === 1 ? m : floormod(m, int(Mg));
    return c.reduce('sum', red.axes, mul(xv, w.at([chan, wm, ...taps])));
  });
  return [withBias(c, y, 2)];
}
