// Indexed reads: Gather, GatherElements and GatherND read the data at positions held in an index
// tensor (a constant or computed at run time), OneHot compares against one, Trilu masks by
// position. Negative indices count from the end, as ONNX says.
import { type Expr, add, cast, int, lt, select, sub } from '../../ir/tensor/expr.ts';
import type { Rule } from '../rule.ts';
import { ScalarTensor, type TeTensor } from '../te.ts';
import { eq, ge, k, le, normAxis } from './util.ts';

/** An index read from a tensor as i32, with a negative value wrapped by the axis size. */
function indexAt(t: TeTensor, idx: readonly Expr[], dim: number): Expr {
  const v = cast('i32', t.at(idx));
  return t instanceof ScalarTensor ? int(t.value < 0 ? t.value + dim : t.value) : select(lt(v, int(0)), add(v, int(dim)), v);
}

const gather: Rule = (c) => {
  const x = c.raw(0), ind = c.raw(1);
  const axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
  const q = ind.shape.length;
  return [c.compute('gather', c.outShape(), (i) => {
    const j = indexAt(ind, i.slice(axis, axis + q), x.shape[axis]);
    return x.at([...i.slice(0, axis), j, ...i.slice(axis + q)]);
  })];
};

const gatherElements: Rule = (c) => {
  const x = c.raw(0), ind = c.raw(1);
  const axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
  if (ind.shape.length !== x.shape.length) c.fail(`indices have rank ${ind.shape.length}, data rank ${x.shape.length}`);
  return [c.compute('gather_elements', ind.shape, (i) => x.at(i.map((e, d) => (d === axis ? indexAt(ind, i, x.shape[axis]) : e))))];
};

/** out[b…, p…, t…] = x[b…, idx[b…, p…, 0], …, idx[b…, p…, q−1], t…] (b: batch_dims leading dims). */
const gatherND: Rule = (c) => {
  const x = c.raw(0), ind = c.raw(1);
  const b = c.attr.int('batch_dims', 0);
  if (b < 0 || b >= Math.min(x.shape.length, ind.shape.length)) c.fail(`batch_dims ${b} is out of range`);
  const q = ind.shape[ind.shape.length - 1], lead = ind.shape.length - 1;
  return [c.compute('gather_nd', c.outShape(), (i) => {
    const pos = i.slice(0, lead);
    const picked = Array.from({ length: q }, (_, j) => indexAt(ind, [...pos, int(j)], x.shape[b + j]));
    return x.at([...i.slice(0, b), ...picked, ...i.slice(lead)]);
  })];
};

const oneHot: Rule = (c) => {
  const ind = c.raw(0), values = c.raw(2);
  const out = c.outShape(), axis = normAxis(c, c.attr.int('axis', -1), out.length), depth = out[axis];
  const off = values.at([int(0)]), on = values.at([int(1)]);
  return [c.compute('one_hot', out, (i) => {
    const v = ind.at([...i.slice(0, axis), ...i.slice(axis + 1)]);
    const wrapped = select(lt(v, k(0, v)), add(v, k(depth, v)), v);
    // A non-integer (float) index matches no position, as in onnxruntime.
    return select(eq(wrapped, cast(v.dtype, i[axis])), on, off);
  })];
};

const trilu: Rule = (c) => {
  const x = c.raw(0), r = x.shape.length;
  if (r < 2) c.fail(`input must have rank ≥ 2, got ${r}`);
  const kk = c.ints(1, 'k')?.[0] ?? 0, upper = c.attr.int('upper', 1) === 1;
  return [c.compute('trilu', x.shape, (i) => {
    const diff = sub(i[r - 1], i[r - 2]);
    const keep = upper ? ge(diff, int(kk)) : le(diff, int(kk));
    return select(keep, x.at(i), k(0, x.dtype));
  })];
};

export const GATHER_RULES: Record<string, Rule> = {
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: gatherND,
  OneHot: oneHot,
  Trilu: trilu,
};
