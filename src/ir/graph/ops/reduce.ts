// Shape rules of reductions (axes as input 1 for every opset: the adapters move older attributes
// there), ArgMax/ArgMin and TopK.
import type { Dim } from '../graph.ts';
import { defineOp, normAxis, tt, type InferCtx } from './registry.ts';
import { symProduct } from './tensor-math.ts';
import { defineValueOp, freshDims, intsArg, scalarArg, shapeArg } from './shape-args.ts';

export const REDUCE_OPS = [
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
  'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare',
] as const;

/**
 * The reduced axes (normalized, deduplicated), or 'none' for the no-op form
 * (empty axes with noop_with_empty_axes=1), or undefined when axes are not known at compile time.
 */
export function reducedAxes(c: InferCtx, rank: number): Set<number> | 'none' | undefined {
  const given = c.inputs[1] ? intsArg(c, 1) : [];
  if (!given) return undefined;
  if (given.length === 0) {
    if (c.attr.int('noop_with_empty_axes', 0) === 1) return 'none';
    return new Set(Array.from({ length: rank }, (_, i) => i));
  }
  return new Set(given.map((a) => normAxis(c, a, rank)));
}

function reduceShape(c: InferCtx): Dim[] {
  const x = c.input(0), rank = x.shape.length;
  const keep = c.attr.int('keepdims', 1) === 1;
  const axes = reducedAxes(c, rank);
  if (axes === 'none') return [...x.shape];
  if (!axes) {
    if (keep) return freshDims(c, rank);
    const n = c.input(1).shape[0];
    if (typeof n !== 'number' || n > rank) c.fail('axes (input 1) must be a constant when keepdims=0');
    return freshDims(c, rank - n);
  }
  const out: Dim[] = [];
  x.shape.forEach((d, i) => { if (!axes.has(i)) out.push(d); else if (keep) out.push(1); });
  return out;
}

for (const op of REDUCE_OPS) {
  defineValueOp({
    name: op,
    infer: (c) => [tt(c.input(0).dtype, reduceShape(c))],
    // ReduceProd of a shape vector (flattening exporters): a single symbol times numbers stays named.
    values: (c) => {
      const v = c.dims(0);
      if (op !== 'ReduceProd' || !v || reduceShape(c).length > 1) return [undefined];
      const p = symProduct(v);
      return [c.input(0).shape.length === 0 ? v : p === undefined ? undefined : [p]];
    },
  });
}

function argShape(c: InferCtx): Dim[] {
  const x = c.input(0);
  const axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
  const keep = c.attr.int('keepdims', 1) === 1;
  return keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
}

for (const op of ['ArgMax', 'ArgMin']) defineOp({ name: op, infer: (c) => [tt('i64', argShape(c))] });

defineOp({
  name: 'TopK',
  infer: (c) => {
    const x = c.input(0);
    const axis = normAxis(c, c.attr.int('axis', -1), x.shape.length);
    const k = scalarArg(c, 1);
    // A k taken from a shape (e.g. min(L, 5) folded, or Shape(x)[1]) may be a symbol.
    const kd = shapeArg(c, 1);
    const sym = kd?.length === 1 && typeof kd[0] === 'string' ? kd[0] : undefined;
    if (k !== undefined) {
      if (!Number.isInteger(k) || k < 0) c.fail(`k = ${k} must be a non-negative integer`);
      const d = x.shape[axis];
      if (typeof d === 'number' && k > d) c.fail(`k = ${k} exceeds the axis size ${d}`);
    }
    const shape = x.shape.map((d, i) => (i === axis ? k ?? sym ?? c.fresh() : d));
    return [tt(x.dtype, shape), tt('i64', shape)];
  },
});
