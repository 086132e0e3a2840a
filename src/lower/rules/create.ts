// Ops that create or fill tensors: Pad (constant, edge, reflect, wrap; negative pads crop), Shape
// and Size (known at compile time: the kernel stores constants), ConstantOfShape, Range, EyeLike.
import { castTarget } from '../../ir/graph/ops/elementwise.ts';
import { PAD_MODES, padAmounts } from '../../ir/graph/ops/tensor-create.ts';
import { type Expr, add, cast, constant, floormod, int, lt, mul, select, sub } from '../../ir/tensor/expr.ts';
import type { Rule } from '../rule.ts';
import { all, clampIndex, eq, ge, guard, k } from './util.ts';

interface PadAxis { readonly src: Expr; readonly conds: Expr[] }

/**
 * Source coordinate of output coordinate o on one axis (the reference kernel's padSource): crop by
 * negative pads first, then fill the positive ones by `mode`.
 */
function padAxis(mode: string, o: Expr, begin: number, end: number, dim: number): PadAxis {
  const lo = Math.max(0, -begin), d = dim - lo - Math.max(0, -end);
  const i = sub(o, int(Math.max(0, begin)));
  const before = begin > 0, after = end > 0;
  if (!before && !after) return { src: add(int(lo), i), conds: [] };
  const at = (j: Expr) => add(int(lo), j);
  switch (mode) {
    case 'constant': {
      const conds: Expr[] = [];
      if (before) conds.push(ge(i, int(0)));
      if (after) conds.push(lt(i, int(d)));
      return { src: at(clampIndex(i, before ? 0 : undefined, after ? d - 1 : undefined)), conds };
    }
    case 'edge': return { src: at(clampIndex(i, 0, d - 1)), conds: [] };
    case 'wrap': return { src: at(floormod(i, int(d))), conds: [] };
    default: {
      // reflect: mirror without repeating the edge; the pattern has period 2·(d − 1).
      if (d === 1) return { src: int(lo), conds: [] };
      const period = 2 * (d - 1), m = floormod(i, int(period));
      return { src: at(select(lt(m, int(d)), m, sub(int(period), m))), conds: [] };
    }
  }
}

const pad: Rule = (c) => {
  const x = c.raw(0), rank = x.shape.length;
  const mode = c.attr.string('mode', 'constant');
  if (!PAD_MODES.includes(mode)) c.fail(`mode "${mode}" is not one of ${PAD_MODES.join(', ')}`);
  const pads = padAmounts(rank, c.ints(1, 'pads') ?? [], c.ints(3, 'axes'));
  const amounts = typeof pads === 'string' ? c.fail(pads) : pads;
  if (mode !== 'constant' && x.shape.some((d) => d === 0)) c.fail(`${mode} padding needs a non-empty input`);
  const fill = c.has(2) ? c.raw(2) : undefined;
  return [c.compute('pad', c.outShape(), (i) => {
    const axes = i.map((o, d) => padAxis(mode, o, amounts.begin[d], amounts.end[d], x.shape[d]));
    const v = x.at(axes.map((a) => a.src));
    const value = fill && fill.shape.every((d) => d > 0) ? fill.at(fill.shape.map(() => int(0))) : k(0, v);
    return guard(all(axes.flatMap((a) => a.conds)), v, value);
  })];
};

/** A 1-D tensor of compile-time values, as a chain of selects on the position. */
function vector(values: readonly number[], dtype: 'i64'): (i: Expr[]) => Expr {
  return ([p]) => {
    let v: Expr = constant(values[values.length - 1] ?? 0, dtype);
    for (let j = values.length - 2; j >= 0; j--) v = select(eq(p, int(j)), constant(values[j], dtype), v);
    return v;
  };
}

const shape: Rule = (c) => {
  const dims = c.shape(0), r = dims.length;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const s = norm(c.attr.int('start', 0)), e = norm(c.attr.int('end', r));
  return [c.compute('shape', c.outShape(), vector(dims.slice(s, Math.max(s, e)), 'i64'))];
};

const size: Rule = (c) => [c.compute('size', [], () => constant(c.shape(0).reduce((a, b) => a * b, 1), 'i64'))];

const constantOfShape: Rule = (c) => {
  const value = c.attr.tensorOpt('value');
  const v = value ? value.toNumbers()[0] : 0;
  return [c.compute('constant_of_shape', c.outShape(), () => constant(v, value?.dtype ?? 'f32'))];
};

/** start + i·delta, with scalar inputs read in the loop (they may be computed at run time). */
const range: Rule = (c) => {
  const [start, , delta] = [0, 1, 2].map((j) => c.input(j));
  const zero = (t: typeof start) => t.at(t.shape.map(() => int(0)));
  return [c.compute('range', c.outShape(), ([i]) => {
    const d = zero(delta);
    return add(zero(start), mul(cast(d.dtype, i), d));
  })];
};

const eyeLike: Rule = (c) => {
  if (c.rank(0) !== 2) c.fail(`input must be 2-D, got rank ${c.rank(0)}`);
  const dtype = c.attr.has('dtype') ? castTarget(c.node, c.attr.int('dtype')) : c.type(0).dtype;
  const kk = c.attr.int('k', 0);
  return [c.compute('eye_like', c.outShape(), ([i, j]) => cast(dtype, eq(j, add(i, int(kk)))))];
};

export const CREATE_RULES: Record<string, Rule> = {
  Pad: pad,
  Shape: shape,
  Size: size,
  ConstantOfShape: constantOfShape,
  Range: range,
  EyeLike: eyeLike,
};
