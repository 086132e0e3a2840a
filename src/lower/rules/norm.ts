// Normalizations (BatchNormalization in inference form, Layer/Instance/Group normalization, MVN, LRN)
// and Softmax/LogSoftmax/Hardmax. Statistics are reduction stages over a "stat" shape (the input's
// shape with the normalized dims reduced); the normalized output is element-wise and inlines.
import { dtypeFromOnnx } from '../../ir/graph/dtype.ts';
import { mvnAxes } from '../../ir/graph/ops/norm-util.ts';
import {
  type Expr, type Var, add, binary, call, cast, div, floordiv, int, lt, mul, select, sub,
} from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';
import { all, clampIndex, eq, ge, guard, k, normAxis, prod } from './util.ts';

interface Moments { readonly mean: TeTensor; readonly invStd: TeTensor }

/**
 * Mean and 1/sqrt(variance + eps) over `extents`, two-pass like the reference kernels; `index` maps
 * a stat position and the reduction variables to the input element.
 */
function moments(
  c: RuleCtx, x: TeTensor, statShape: readonly number[], extents: readonly number[],
  index: (stat: Var[], red: Expr[]) => Expr[], eps: number, sqrtPlusEps = false,
): Moments {
  const n = prod(extents);
  const sumOf = (name: string, value: (v: Expr, stat: Var[]) => Expr) => c.compute(name, statShape, (s) => {
    const red = extents.map((e) => c.reduceAxis(e, 'n'));
    return c.reduce('sum', red, value(x.at(index(s, red.map((a) => a.v))), s));
  });
  const sum = sumOf('sum', (v) => v);
  const mean = c.compute('mean', statShape, (s) => div(sum.at(s), k(n, x.dtype)));
  const sq = sumOf('sq_sum', (v, s) => { const d = sub(v, mean.at(s)); return mul(d, d); });
  const invStd = c.compute('inv_std', statShape, (s) => {
    const variance = div(sq.at(s), k(n, x.dtype));
    return sqrtPlusEps
      ? div(k(1, x.dtype), add(call('sqrt', [variance]), k(eps, x.dtype)))
      : div(k(1, x.dtype), call('sqrt', [add(variance, k(eps, x.dtype))]));
  });
  return { mean, invStd };
}

const batchNorm: Rule = (c) => {
  if (c.outputs.length > 1) c.unsupported('training mode (running statistics outputs) is not lowered');
  const x = c.input(0), [s, b, m, v] = [1, 2, 3, 4].map((i) => c.input(i));
  const eps = c.attr.float('epsilon', 1e-5);
  return [c.compute('batch_norm', x.shape, (i) => {
    const ch = [i[1]];
    const a = div(s.at(ch), call('sqrt', [add(v.at(ch), k(eps, x.dtype))]));
    return add(mul(x.at(i), a), sub(b.at(ch), mul(m.at(ch), a)));
  })];
};

/** Scale/bias of LayerNormalization, broadcast onto the normalized dims (extra leading dims are 1). */
function paramAt(p: TeTensor, idx: readonly Expr[]): Expr {
  const off = p.shape.length - idx.length;
  return p.at(p.shape.map((d, j) => (j < off || d === 1 ? int(0) : idx[j - off])));
}

const layerNorm: Rule = (c) => {
  const x = c.input(0), shape = x.shape;
  const axis = normAxis(c, c.attr.int('axis', -1), shape.length);
  const eps = c.attr.float('epsilon', 1e-5);
  const stash = dtypeFromOnnx(c.attr.int('stash_type', 1));
  if (stash !== 'f32') c.unsupported(`stash_type ${c.attr.int('stash_type', 1)} is not lowered (only float32 statistics)`);
  const statShape = shape.map((d, j) => (j < axis ? d : 1));
  const { mean, invStd } = moments(c, x, statShape, shape.slice(axis), (s, r) => [...s.slice(0, axis), ...r], eps);
  const scale = c.input(1), bias = c.has(2) ? c.input(2) : undefined;
  const y = c.compute('layer_norm', shape, (i) => {
    const st = i.map((v, j) => (j < axis ? v : int(0)));
    const yv = mul(mul(sub(x.at(i), mean.at(st)), invStd.at(st)), paramAt(scale, i.slice(axis)));
    return bias ? add(yv, paramAt(bias, i.slice(axis))) : yv;
  });
  return [y, mean, invStd].slice(0, Math.max(1, c.outputs.length));
};

const instanceNorm: Rule = (c) => {
  const x = c.input(0), [N, C, ...spatial] = x.shape;
  const eps = c.attr.float('epsilon', 1e-5);
  const statShape = [N, C, ...spatial.map(() => 1)];
  const { mean, invStd } = moments(c, x, statShape, spatial, (s, r) => [s[0], s[1], ...r], eps);
  const s = c.input(1), b = c.input(2);
  return [c.compute('instance_norm', x.shape, (i) => {
    const st = [i[0], i[1], ...spatial.map(() => int(0))];
    return add(mul(sub(x.at(i), mean.at(st)), mul(s.at([i[1]]), invStd.at(st))), b.at([i[1]]));
  })];
};

const groupNorm: Rule = (c) => {
  const x = c.input(0), [N, C, ...spatial] = x.shape;
  const groups = c.attr.int('num_groups'), eps = c.attr.float('epsilon', 1e-5);
  if (groups <= 0 || C % groups !== 0) c.fail(`${C} channels do not divide into ${groups} groups`);
  const Cg = C / groups, perChannel = c.opset >= 21;
  const { mean, invStd } = moments(c, x, [N, groups], [Cg, ...spatial],
    ([n, g], [rc, ...r]) => [n, add(mul(g, int(Cg)), rc), ...r], eps);
  const s = c.input(1), b = c.input(2);
  return [c.compute('group_norm', x.shape, (i) => {
    const g = floordiv(i[1], int(Cg)), st = [i[0], g];
    const p = [perChannel ? i[1] : g];
    return add(mul(sub(x.at(i), mean.at(st)), mul(invStd.at(st), s.at(p))), b.at(p));
  })];
};

const mvn: Rule = (c) => {
  const x = c.input(0), shape = x.shape;
  const axes = mvnAxes({ fail: (m: string) => c.fail(m) }, c.attr.ints('axes', [0, 2, 3]), shape.length);
  const statShape = shape.map((d, j) => (axes.includes(j) ? 1 : d));
  const kept = (s: Var[] | Expr[], r: Expr[]) => { let q = 0; return shape.map((_, j) => (axes.includes(j) ? r[q++] : s[j])); };
  const { mean, invStd } = moments(c, x, statShape, axes.map((a) => shape[a]), kept, 1e-9, true);
  return [c.compute('mvn', shape, (i) => {
    const st = i.map((v, j) => (axes.includes(j) ? int(0) : v));
    return mul(sub(x.at(i), mean.at(st)), invStd.at(st));
  })];
};

const lrn: Rule = (c) => {
  const x = c.input(0), C = x.shape[1];
  const size = c.attr.int('size');
  if (size <= 0) c.fail(`size must be positive, got ${size}`);
  const alpha = c.attr.float('alpha', 1e-4), beta = c.attr.float('beta', 0.75), bias = c.attr.float('bias', 1);
  const lo = Math.floor((size - 1) / 2);
  const sq = c.compute('lrn_sq', x.shape, ([n, ch, ...rest]: Var[]) => {
    const t = c.reduceAxis(size, 'c');
    const cc = sub(add(ch, t.v), int(lo));
    const inside = all([ge(cc, int(0)), lt(cc, int(C))])!;
    const v = x.at([n, clampIndex(cc, 0, C - 1), ...rest]);
    return c.reduce('sum', [t], guard(inside, mul(v, v), k(0, v)));
  });
  return [c.compute('lrn', x.shape, (i) => {
    const base = add(k(bias, x.dtype), mul(k(alpha / size, x.dtype), sq.at(i)));
    return div(x.at(i), binary('pow', base, k(beta, x.dtype)));
  })];
};

/** Max and Σexp(x − max) along one axis, the shared part of Softmax and LogSoftmax. */
function softmaxStats(c: RuleCtx, x: TeTensor, axis: number) {
  const statShape = x.shape.map((d, j) => (j === axis ? 1 : d));
  const at = (s: Var[], r: Expr) => s.map((v, j) => (j === axis ? r : v));
  const mx = c.compute('row_max', statShape, (s) => {
    const r = c.reduceAxis(x.shape[axis], 'k');
    return c.reduce('max', [r], x.at(at(s, r.v)));
  });
  const sum = c.compute('row_sum', statShape, (s) => {
    const r = c.reduceAxis(x.shape[axis], 'k');
    return c.reduce('sum', [r], call('exp', [sub(x.at(at(s, r.v)), mx.at(s))]));
  });
  const stat = (i: Var[]) => i.map((v, j) => (j === axis ? int(0) : v));
  return { mx, sum, stat, at };
}

function softmaxLike(op: 'Softmax' | 'LogSoftmax' | 'Hardmax'): Rule {
  return (c) => {
    const x = c.input(0), axis = normAxis(c, c.attr.int('axis', -1), x.shape.length);
    const { mx, sum, stat, at } = softmaxStats(c, x, axis);
    if (op === 'Softmax') {
      return [c.compute('softmax', x.shape, (i) => div(call('exp', [sub(x.at(i), mx.at(stat(i)))]), sum.at(stat(i))))];
    }
    if (op === 'LogSoftmax') {
      return [c.compute('log_softmax', x.shape, (i) => sub(x.at(i), add(mx.at(stat(i)), call('log', [sum.at(stat(i))]))))];
    }
    // Hardmax: the first position holding the maximum.
    const first = c.compute('first_max', mx.shape, (s) => {
      const r = c.reduceAxis(x.shape[axis], 'k');
      return c.reduce('min', [r], select(eq(x.at(at(s, r.v)), mx.at(s)), r.v, int(x.shape[axis])));
    });
    return [c.compute('hardmax', x.shape, (i) => cast(x.dtype, eq(i[axis], first.at(stat(i)))))];
  };
}

export const NORM_RULES: Record<string, Rule> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  GroupNormalization: groupNorm,
  MeanVarianceNormalization: mvn,
  LRN: lrn,
  Softmax: softmaxLike('Softmax'),
  LogSoftmax: softmaxLike('LogSoftmax'),
  Hardmax: softmaxLike('Hardmax'),
};
