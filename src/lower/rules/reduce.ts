// Reductions: Reduce* (axes from input 1, keepdims, noop_with_empty_axes), ArgMax/ArgMin as a max
// stage followed by a min-index stage, and CumSum as a masked sum over the whole axis. Each
// reduction is computed directly in the output's shape, so keepdims=0 costs no reshaping stage.
import { isFloat } from '../../ir/graph/dtype.ts';
import { type Expr, type Var, add, call, cast, div, int, lt, mul, select, sub } from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { Reducer, TeTensor } from '../te.ts';
import { eq, ge, gt, k, le, normAxis, or, prod } from './util.ts';

interface Plan { readonly reducer: Reducer; readonly pre?: (x: Expr) => Expr; readonly post?: (s: Expr, n: number) => Expr }

const PLANS: Record<string, Plan> = {
  ReduceSum: { reducer: 'sum' },
  ReduceMean: { reducer: 'sum', post: (s, n) => mean(s, n) },
  ReduceMax: { reducer: 'max' },
  ReduceMin: { reducer: 'min' },
  ReduceProd: { reducer: 'prod' },
  ReduceL1: { reducer: 'sum', pre: (x) => call('abs', [x]) },
  ReduceL2: { reducer: 'sum', pre: (x) => mul(x, x), post: (s) => call('sqrt', [s]) },
  ReduceLogSum: { reducer: 'sum', post: (s) => call('log', [s]) },
  ReduceSumSquare: { reducer: 'sum', pre: (x) => mul(x, x) },
};

/** The mean of nothing is 0 (onnxruntime); integer means truncate. */
function mean(s: Expr, n: number): Expr {
  if (n === 0) return k(0, s);
  if (isFloat(s.dtype)) return div(s, k(n, s));
  return cast(s.dtype, div(cast('f64', s), k(n, 'f64')));
}

interface Axes { readonly reduced: readonly number[]; readonly keep: boolean }

function reducedAxes(c: RuleCtx, rank: number): Axes {
  const given = c.ints(1, 'axes') ?? [];
  const keep = c.attr.int('keepdims', 1) === 1;
  if (given.length === 0) {
    const noop = c.attr.int('noop_with_empty_axes', 0) === 1;
    return { reduced: noop ? [] : Array.from({ length: rank }, (_, i) => i), keep };
  }
  return { reduced: [...new Set(given.map((a) => normAxis(c, a, rank)))].sort((a, b) => a - b), keep };
}

/** A reduction over `reduced` axes of x, in the output's shape; `source` maps each input element. */
function reduceOver(
  c: RuleCtx, x: TeTensor, ax: Axes, reducer: Reducer, name: string, source: (v: Expr, out: Var[]) => Expr,
): TeTensor {
  const shape = x.shape;
  return c.compute(name, c.outShape(), (o) => {
    const red = ax.reduced.map((a) => c.reduceAxis(shape[a], 'k'));
    let q = 0, r = 0;
    const idx = shape.map((_, d) => {
      if (ax.reduced.includes(d)) { if (ax.keep) q++; return red[r++].v as Expr; }
      return o[q++];
    });
    return c.reduce(reducer, red, source(x.at(idx), o));
  });
}

function reduceRule(op: string): Rule {
  return (c) => {
    const x = c.input(0), ax = reducedAxes(c, x.shape.length);
    const n = prod(ax.reduced.map((a) => x.shape[a]));
    if (op === 'ReduceLogSumExp') {
      const mx = reduceOver(c, x, ax, 'max', 'red_max', (v) => v);
      const sum = reduceOver(c, x, ax, 'sum', 'red_sum', (v, o) => call('exp', [sub(v, mx.at(o))]));
      return [c.compute('reduce_log_sum_exp', sum.shape, (o) => {
        const m = mx.at(o);
        // An infinite or NaN maximum is the answer itself (exp(x − m) would be NaN).
        const special = or(call('isinf', [m]), call('isnan', [m]));
        return select(special, m, add(m, call('log', [sum.at(o)])));
      })];
    }
    const plan = PLANS[op];
    const r = reduceOver(c, x, ax, plan.reducer, op.replace('Reduce', 'reduce_').toLowerCase(), (v) => (plan.pre ? plan.pre(v) : v));
    return [plan.post ? c.compute(`${op.slice(6).toLowerCase()}_out`, r.shape, (o) => plan.post!(r.at(o), n)) : r];
  };
}

/** ArgMax/ArgMin: the extreme value, then the first (or last) index holding it. */
function argRule(op: 'ArgMax' | 'ArgMin'): Rule {
  return (c) => {
    const x = c.input(0), axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
    if (x.shape[axis] === 0) c.fail(`cannot take ${op} over an empty axis`);
    const ax = { reduced: [axis], keep: c.attr.int('keepdims', 1) === 1 };
    const last = c.attr.int('select_last_index', 0) === 1;
    const best = reduceOver(c, x, ax, op === 'ArgMax' ? 'max' : 'min', 'best', (v) => v);
    const at = c.compute('arg_index', best.shape, (o) => {
      const rk = c.reduceAxis(x.shape[axis], 'k');
      const idx = x.shape.map((_, d) => (d === axis ? rk.v : o[ax.keep || d < axis ? d : d - 1]));
      const hit = eq(x.at(idx), best.at(o));
      return last
        ? c.reduce('max', [rk], select(hit, rk.v, int(-1)))
        : c.reduce('min', [rk], select(hit, rk.v, int(x.shape[axis])));
    });
    return [c.compute(op.toLowerCase(), at.shape, (o) => cast('i64', at.at(o)))];
  };
}

/** out[j] = Σ x[k] over k ≤ j (k < j exclusive; ≥ and > when reversed). */
const cumSum: Rule = (c) => {
  const x = c.input(0);
  const a = c.ints(1, 'axis') ?? [];
  const axis = normAxis(c, a.length === 1 ? a[0] : c.fail('axis must be a scalar'), x.shape.length);
  const exclusive = c.attr.int('exclusive', 0) === 1, reverse = c.attr.int('reverse', 0) === 1;
  const cmp = reverse ? (exclusive ? gt : ge) : (exclusive ? lt : le);
  return [c.compute('cumsum', x.shape, (o) => {
    const rk = c.reduceAxis(x.shape[axis], 'k');
    const v = x.at(o.map((e, d) => (d === axis ? rk.v : e)));
    return c.reduce('sum', [rk], select(cmp(rk.v, o[axis]), v, k(0, v)));
  })];
};

export const REDUCE_RULES: Record<string, Rule> = {
  ...Object.fromEntries([...Object.keys(PLANS), 'ReduceLogSumExp'].map((op) => [op, reduceRule(op)])),
  ArgMax: argRule('ArgMax'),
  ArgMin: argRule('ArgMin'),
  CumSum: cumSum,
};
