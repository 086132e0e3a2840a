// Shape rules of ops that create or fill tensors: Pad, ConstantOfShape, Range, EyeLike, Trilu, CumSum.
import { castTarget } from './elementwise.ts';
import type { Dim } from '../graph.ts';
import { defineOp, normAxis, tt } from './registry.ts';
import { MAX_ELEMENTS } from './tensor-math.ts';
import { checkDim, freshDims, intsArg, scalarArg, shapeArg, shapeVector, vectorLength } from './shape-args.ts';

export const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'];

/** Pads as [begins, ends] per axis of the input, from the pads and (opset 18) axes inputs. */
export function padAmounts(rank: number, pads: readonly number[], axes: readonly number[] | undefined): { begin: number[]; end: number[] } | string {
  const ax = axes ? axes.map((a) => (a < 0 ? a + rank : a)) : Array.from({ length: rank }, (_, i) => i);
  if (ax.some((a) => a < 0 || a >= rank)) return `axes [${axes}] are out of range for rank ${rank}`;
  if (new Set(ax).size !== ax.length) return `axes [${axes}] repeat an axis`;
  if (pads.length !== 2 * ax.length) return `pads has ${pads.length} values, expected ${2 * ax.length}`;
  const begin = new Array<number>(rank).fill(0), end = new Array<number>(rank).fill(0);
  ax.forEach((a, k) => { begin[a] = pads[k]; end[a] = pads[k + ax.length]; });
  return { begin, end };
}

defineOp({
  name: 'Pad',
  infer: (c) => {
    const x = c.input(0), rank = x.shape.length;
    const mode = c.attr.string('mode', 'constant');
    if (!PAD_MODES.includes(mode)) c.fail(`mode "${mode}" is not one of ${PAD_MODES.join(', ')}`);
    const value = c.inputs[2];
    if (value && (value.dtype !== x.dtype || value.shape.length > 1)) c.fail(`constant_value must be a ${x.dtype} scalar`);
    const pads = intsArg(c, 1);
    const axes = c.inputs[3] ? intsArg(c, 3) : undefined;
    if (!pads || (c.inputs[3] && !axes)) return [tt(x.dtype, freshDims(c, rank))];
    const r = padAmounts(rank, pads, axes);
    const p = typeof r === 'string' ? c.fail(r) : r;
    return [tt(x.dtype, x.shape.map((d, i) => {
      const add = p.begin[i] + p.end[i];
      if (typeof d !== 'number') return add === 0 ? d : c.fresh();
      if (d + add < 0) c.fail(`pads [${pads}] remove more than dim ${i} (${d}) holds`);
      return d + add;
    }))];
  },
});

defineOp({
  name: 'ConstantOfShape',
  infer: (c) => {
    const value = c.attr.tensorOpt('value');
    if (value && value.size !== 1) c.fail(`value must hold one element, got ${value.size}`);
    const shape = shapeVector(c, 0) ?? freshDims(c, vectorLength(c, 0));
    shape.forEach((d, i) => checkDim(c, d, `shape dim ${i}`));
    return [tt(value?.dtype ?? 'f32', shape)];
  },
});

/** Element count of Range, when start, limit and delta are known. */
export function rangeCount(start: number, limit: number, delta: number): number {
  return Math.max(0, Math.ceil((limit - start) / delta));
}

defineOp({
  name: 'Range',
  infer: (c) => {
    const t = c.input(0);
    for (const i of [1, 2]) if (c.input(i).dtype !== t.dtype) c.fail(`inputs must share a type: ${t.dtype} and ${c.input(i).dtype}`);
    const start = scalarArg(c, 0), limit = scalarArg(c, 1), delta = scalarArg(c, 2);
    let n: Dim = c.fresh();
    if (start !== undefined && limit !== undefined && delta !== undefined) {
      if (delta === 0) c.fail('delta is zero');
      n = rangeCount(start, limit, delta);
      if (!(n <= MAX_ELEMENTS)) c.fail(`the range [${start}, ${limit}) by ${delta} has ${n} elements`);
    } else if (start === 0 && delta === 1) {
      // Range(0, N, 1) over a symbolic N: the common "arange(seq_len)" of exported models.
      const lim = shapeArg(c, 1);
      if (lim && lim.length === 1 && typeof lim[0] === 'string') n = lim[0];
    }
    return [tt(t.dtype, [n])];
  },
});

defineOp({
  name: 'EyeLike',
  infer: (c) => {
    const x = c.input(0);
    if (x.shape.length !== 2) c.fail(`input must be 2-D, got rank ${x.shape.length}`);
    return [tt(c.attr.has('dtype') ? castTarget(c.node, c.attr.int('dtype')) : x.dtype, x.shape)];
  },
});

defineOp({
  name: 'Trilu',
  infer: (c) => {
    const x = c.input(0);
    if (x.shape.length < 2) c.fail(`input must have rank ≥ 2, got ${x.shape.length}`);
    return [x];
  },
});

defineOp({
  name: 'CumSum',
  infer: (c) => {
    const x = c.input(0), a = c.input(1);
    if (a.shape.length > 1) c.fail('axis must be a scalar');
    const axis = scalarArg(c, 1);
    if (axis !== undefined) normAxis(c, axis, x.shape.length);
    return [x];
  },
});
