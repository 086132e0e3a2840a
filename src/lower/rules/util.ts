// Index helpers shared by the compute rules: broadcasting, clamped reads of padded tensors, and
// reshaping an index between two shapes with the same elements.
import type { DType } from '../../ir/graph/dtype.ts';
import {
  type Expr, add, and, binary, constant, floordiv, floormod, int, max, min, mul, select,
} from '../../ir/tensor/expr.ts';
import type { RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';

/** A constant of the same type as `like`. */
export function k(v: number, like: Expr | DType): Expr {
  return constant(v, typeof like === 'string' ? like : like.dtype);
}

export const ge = (a: Expr, b: Expr) => binary('ge', a, b);
export const gt = (a: Expr, b: Expr) => binary('gt', a, b);
export const le = (a: Expr, b: Expr) => binary('le', a, b);
export const eq = (a: Expr, b: Expr) => binary('eq', a, b);
export const ne = (a: Expr, b: Expr) => binary('ne', a, b);
export const or = (a: Expr, b: Expr) => binary('or', a, b);

/** Conjunction of conditions; undefined when there are none. */
export function all(conds: readonly Expr[]): Expr | undefined {
  return conds.length === 0 ? undefined : conds.reduce((a, b) => and(a, b));
}

/** Reads `t` at `idx` of a larger broadcast shape (numpy rules: right-aligned, size-1 dims repeat). */
export function bcast(t: TeTensor, idx: readonly Expr[]): Expr {
  const off = idx.length - t.shape.length;
  return t.at(t.shape.map((d, i) => (d === 1 ? int(0) : idx[off + i])));
}

export function normAxis(c: RuleCtx, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) c.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** The linear (row-major) position of `idx` in `shape`. */
export function linearIndex(idx: readonly Expr[], shape: readonly number[]): Expr {
  let e: Expr = int(0);
  idx.forEach((x, i) => { e = add(mul(e, int(shape[i])), x); });
  return e;
}

/** The index in `shape` of a linear position. */
export function unflatten(flat: Expr, shape: readonly number[]): Expr[] {
  const st = strides(shape);
  return shape.map((d, i) => {
    if (d === 1) return int(0);
    const q = i === 0 ? flat : floormod(flat, int(st[i] * d));
    return st[i] === 1 ? q : floordiv(q, int(st[i]));
  });
}

/**
 * Maps an index of `to` onto `from` (same number of elements). Dims are grouped into the smallest
 * runs whose sizes multiply to the same number on both sides, so a dim that survives a reshape is
 * indexed directly and only genuinely merged or split dims pay for a divide.
 */
export function reshapeIndex(from: readonly number[], to: readonly number[], idx: readonly Expr[]): Expr[] {
  const out: Expr[] = [];
  let i = 0, j = 0;
  while (i < from.length || j < to.length) {
    const fi = i, tj = j;
    let pf = i < from.length ? from[i++] : 1, pt = j < to.length ? to[j++] : 1;
    while (pf !== pt) {
      if (pf < pt && i < from.length) pf *= from[i++];
      else if (j < to.length) pt *= to[j++];
      else if (i < from.length) pf *= from[i++];
      else break;
    }
    // Trailing unit dims join the current group.
    while (i < from.length && from[i] === 1 && (j >= to.length || to[j] !== 1)) i++;
    while (j < to.length && to[j] === 1 && (i >= from.length || from[i] !== 1)) j++;
    const fs = from.slice(fi, i), ts = to.slice(tj, j);
    const flat = linearIndex(idx.slice(tj, j), ts);
    out.push(...(fs.length === 1 ? [flat] : unflatten(flat, fs)));
  }
  return out;
}

/** x clamped to [lo, hi] where it can leave that range; reads guarded by a condition use it. */
export function clampIndex(x: Expr, lo: number | undefined, hi: number | undefined): Expr {
  let e = x;
  if (lo !== undefined) e = max(e, int(lo));
  if (hi !== undefined) e = min(e, int(hi));
  return e;
}

/** select(cond, a, b), or a when there is no condition. */
export function guard(cond: Expr | undefined, a: Expr, b: Expr): Expr {
  return cond ? select(cond, a, b) : a;
}

export function prod(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
