// Pools: MaxPool, AveragePool (count_include_pad either way), LpPool and the global pools, as
// reductions over the window taps. Padding taps are skipped as onnxruntime does: max reads them as
// −inf, sums as 0, and the average divides by a per-position tap count computed in closed form.
import { checkPoolPads, poolAxis, readWindow, type Axis, type Window } from '../../ir/graph/ops/nn-window.ts';
import {
  type Expr, type Var, add, binary, call, cast, div, floordiv, int, max, min, mul, sub,
} from '../../ir/tensor/expr.ts';
import { type Reducer, reduceInit } from '../te.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import { all, guard, k } from './util.ts';
import { windowTap } from './window.ts';

interface PoolGeo { readonly win: Window; readonly axes: Axis[]; readonly spatial: readonly number[] }

function poolGeo(c: RuleCtx): PoolGeo {
  const r = c.rank(0) - 2;
  if (r < 1) c.fail(`input must have rank ≥ 3 (N, C, spatial…), got [${c.shape(0)}]`);
  const fail = (m: string): never => c.fail(m);
  const win = readWindow(c.attr, r, undefined, fail);
  checkPoolPads(win, fail);
  const spatial = c.shape(0).slice(2);
  return { win, axes: spatial.map((d, i) => poolAxis(win, i, d, fail)), spatial };
}

type Tapper = (x: Expr) => Expr;

/** A reduction over the window of each output position; `value` maps an in-bounds tap, padding reads as the reducer's identity. */
function windowReduce(c: RuleCtx, g: PoolGeo, reducer: Reducer, value: Tapper, name: string) {
  const x = c.input(0);
  return c.compute(name, c.outShape(), ([n, ch, ...o]: Var[]) => {
    const red = g.win.kernel.map((kk, i) => c.reduceAxis(kk, ['d', 'h', 'w'][3 - g.win.kernel.length + i] ?? `s${i}`));
    const taps = o.map((oi, i) => windowTap(g.win, g.axes[i], i, g.spatial[i], oi, red[i].v));
    const cond = all(taps.flatMap((t) => t.conds));
    const v = value(x.at([n, ch, ...taps.map((t) => t.index)]));
    return c.reduce(reducer, red, guard(cond, v, reduceInit(reducer, v.dtype)));
  });
}

/** Number of taps t in [0, k) with lo ≤ o·s − head + t·d < hi, in closed form. */
function tapCount(o: Expr, w: Window, a: Axis, i: number, lo: number, hi: number): Expr {
  const s = w.strides[i], d = w.dilations[i], kk = w.kernel[i];
  if (-a.head >= lo && (a.out - 1) * s - a.head + (kk - 1) * d < hi) return int(kk);
  const start = sub(mul(o, int(s)), int(a.head));
  const first = max(int(0), floordiv(add(sub(int(lo), start), int(d - 1)), int(d)));
  const last = min(int(kk - 1), floordiv(sub(int(hi - 1), start), int(d)));
  return max(int(0), add(sub(last, first), int(1)));
}

const averagePool: Rule = (c) => {
  const g = poolGeo(c);
  const include = c.attr.int('count_include_pad', 0) === 1;
  const sum = windowReduce(c, g, 'sum', (v) => v, 'pool_sum');
  return [c.compute('avg_pool', sum.shape, (i) => {
    const counts = i.slice(2).map((o, a) => (include
      ? tapCount(o, g.win, g.axes[a], a, -g.axes[a].head, g.spatial[a] + g.axes[a].tail)
      : tapCount(o, g.win, g.axes[a], a, 0, g.spatial[a])));
    const n = max(counts.reduce((p, q) => mul(p, q)), int(1));
    const s = sum.at(i);
    return div(s, cast(s.dtype, n));
  })];
};

const maxPool: Rule = (c) => {
  if (c.outputs.length > 1) c.unsupported('the Indices output of MaxPool is not lowered; it runs on the reference runtime');
  if (c.attr.int('storage_order', 0) !== 0) c.unsupported('storage_order=1 only matters for Indices, which is not lowered');
  return [windowReduce(c, poolGeo(c), 'max', (v) => v, 'max_pool')];
};

function lpP(c: RuleCtx): number {
  const p = c.attr.int('p', 2);
  if (p < 1 || p > 64) c.fail(`attribute "p" must be between 1 and 64, got ${p}`);
  return p;
}

/** Σ|x|^p, then the p-th root. */
function lpValue(p: number): Tapper {
  return (v) => (p === 1 ? call('abs', [v]) : p === 2 ? mul(v, v) : binary('pow', call('abs', [v]), k(p, v)));
}
function lpRoot(p: number, s: Expr): Expr {
  return p === 1 ? s : p === 2 ? call('sqrt', [s]) : binary('pow', s, k(1 / p, s));
}

const lpPool: Rule = (c) => {
  const p = lpP(c);
  const sum = windowReduce(c, poolGeo(c), 'sum', lpValue(p), 'lp_sum');
  return [c.compute('lp_pool', sum.shape, (i) => lpRoot(p, sum.at(i)))];
};

/** Global pools reduce each [n, c] plane; the output keeps unit spatial dims. */
function globalPool(c: RuleCtx, reducer: Reducer, value: Tapper, name: string) {
  const x = c.input(0);
  if (x.shape.length < 3) c.fail(`input must have rank ≥ 3 (N, C, spatial…), got [${x.shape}]`);
  const spatial = x.shape.slice(2);
  return c.compute(name, c.outShape(), ([n, ch]: Var[]) => {
    const red = spatial.map((d, i) => c.reduceAxis(d, ['d', 'h', 'w'][3 - spatial.length + i] ?? `s${i}`));
    return c.reduce(reducer, red, value(x.at([n, ch, ...red.map((a) => a.v)])));
  });
}

export const POOL_RULES: Record<string, Rule> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  LpPool: lpPool,
  GlobalMaxPool: (c) => [globalPool(c, 'max', (v) => v, 'global_max_pool')],
  GlobalAveragePool: (c) => {
    const sum = globalPool(c, 'sum', (v) => v, 'global_sum');
    const n = c.shape(0).slice(2).reduce((a, b) => a * b, 1);
    return [c.compute('global_avg_pool', sum.shape, (i) => div(sum.at(i), k(n, sum.dtype)))];
  },
  GlobalLpPool: (c) => {
    const p = lpP(c);
    const sum = globalPool(c, 'sum', lpValue(p), 'global_lp_sum');
    return [c.compute('global_lp_pool', sum.shape, (i) => lpRoot(p, sum.at(i)))];
  },
};
