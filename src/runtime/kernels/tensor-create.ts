// Reference kernels of ops that create or fill tensors: Pad, ConstantOfShape, Range, EyeLike, Trilu, CumSum.
import { isBigInt } from '../../ir/graph/dtype.ts';
import { Tensor, sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import { castTarget } from '../../ir/graph/ops/elementwise.ts';
import { PAD_MODES, padAmounts, rangeCount } from '../../ir/graph/ops/tensor-create.ts';
import { defineKernel } from '../kernel.ts';
import { fail, ints, normAxis } from './util.ts';
import { around, cells, checkShape, like } from './tensor-util.ts';

/**
 * Source coordinate of output coordinate o on one axis, or -1 for the constant fill. Negative pads
 * crop first; the other side then pads relative to the cropped extent (as onnxruntime does for wrap).
 */
function padSource(mode: string, o: number, begin: number, end: number, dim: number): number {
  const lo = Math.max(0, -begin), d = dim - lo - Math.max(0, -end);
  const i = o - Math.max(0, begin);
  if (i >= 0 && i < d) return lo + i;
  if (mode === 'constant' || d <= 0) return -1;
  if (mode === 'edge') return lo + (i < 0 ? 0 : d - 1);
  if (mode === 'wrap') return lo + (((i % d) + d) % d);
  // reflect: mirror without repeating the edge; the pattern has period 2·(d-1). Pads wider than
  // d-1 keep reflecting (numpy's choice), where onnxruntime refuses them.
  if (d === 1) return lo;
  const period = 2 * (d - 1);
  const m = ((i % period) + period) % period;
  return lo + (m < d ? m : period - m);
}

defineKernel('Pad', ([x, p, v, a], n) => {
  const mode = n.attr.string('mode', 'constant');
  if (!PAD_MODES.includes(mode)) fail(n, `mode "${mode}" is not one of ${PAD_MODES.join(', ')}`);
  const pads = padAmounts(x!.rank, ints(p), a ? ints(a) : undefined);
  if (typeof pads === 'string') fail(n, pads);
  const shape = checkShape(n, x!.shape.map((d, i) => d + pads.begin[i] + pads.end[i]));
  if (mode !== 'constant' && x!.size === 0 && sizeOf(shape) > 0) fail(n, `${mode} padding needs a non-empty input`);
  const out = like(n, x!, shape);
  const O = cells(out), X = cells(x!);
  if (v && v.dtype !== x!.dtype) fail(n, `constant_value is ${v.dtype}, the input ${x!.dtype}`);
  if (v && v.size > 0) { const fill = cells(v)[0]; for (let i = 0; i < O.length; i++) O[i] = fill; }
  const st = stridesOf(x!.shape), rank = shape.length;
  if (O.length === 0) return [out]; // also keeps huge dims of an empty output from sizing the tables below
  if (rank === 0) { O[0] = X[0]; return [out]; }
  // Per axis, the source offset of each output coordinate (-1: constant).
  const src = shape.map((d, ax) => Float64Array.from({ length: d }, (_, o) => {
    const s = padSource(mode, o, pads.begin[ax], pads.end[ax], x!.shape[ax]);
    return s < 0 ? -1 : s * st[ax];
  }));
  // Walk output rows (all axes but the last): a row's base offset is computed once.
  const inner = shape[rank - 1], last = src[rank - 1];
  const counter = new Array<number>(rank - 1).fill(0);
  for (let row = 0; row < O.length; row += inner) {
    let base = 0;
    for (let d = 0; d < rank - 1 && base >= 0; d++) base = src[d][counter[d]] < 0 ? -1 : base + src[d][counter[d]];
    if (base >= 0) for (let j = 0; j < inner; j++) if (last[j] >= 0) O[row + j] = X[base + last[j]];
    for (let d = rank - 2; d >= 0 && ++counter[d] === shape[d]; d--) counter[d] = 0;
  }
  return [out];
}, 'any');

defineKernel('ConstantOfShape', ([s], n) => {
  const value = n.attr.tensorOpt('value') ?? Tensor.scalar('f32', 0);
  if (value.size !== 1) fail(n, `value must hold one element, got ${value.size}`);
  const out = new Tensor(value.dtype, checkShape(n, ints(s)));
  const O = cells(out), fill = cells(value)[0];
  for (let i = 0; i < O.length; i++) O[i] = fill;
  return [out];
}, 'any');

defineKernel('Range', ([s, l, d], n) => {
  const [start, limit, delta] = [s!, l!, d!].map((t) => {
    if (t.size !== 1) fail(n, 'start, limit and delta must be scalars');
    return t.toNumbers()[0];
  });
  if (delta === 0) fail(n, 'delta is zero');
  const count = rangeCount(start, limit, delta);
  const out = like(n, s!, [count]);
  if (isBigInt(out.dtype)) {
    const O = out.data as BigInt64Array, b0 = BigInt(start), bd = BigInt(delta);
    for (let i = 0; i < count; i++) O[i] = b0 + BigInt(i) * bd;
  } else {
    const O = out.data as Float32Array;
    for (let i = 0; i < count; i++) O[i] = start + i * delta;
  }
  return [out];
});

defineKernel('EyeLike', ([x], n) => {
  if (x!.rank !== 2) fail(n, `input must be 2-D, got rank ${x!.rank}`);
  const dtype = n.attr.has('dtype') ? castTarget(n, n.attr.int('dtype')) : x!.dtype;
  const k = n.attr.int('k', 0);
  const [rows, cols] = x!.shape;
  const ones: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) if (i + k >= 0 && i + k < cols) ones[i * cols + i + k] = 1;
  return [Tensor.fromNumbers(dtype, x!.shape, ones)];
}, 'any');

defineKernel('Trilu', ([x, kT], n) => {
  if (x!.rank < 2) fail(n, `input must have rank ≥ 2, got ${x!.rank}`);
  const k = kT ? kT.toNumbers()[0] : 0;
  const upper = n.attr.int('upper', 1) === 1;
  const rows = x!.shape[x!.rank - 2], cols = x!.shape[x!.rank - 1];
  const out = like(n, x!, x!.shape);
  const X = cells(x!), O = cells(out);
  for (let m = 0; m < x!.size; m += rows * cols) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const keep = upper ? j - i >= k : j - i <= k;
        if (keep) O[m + i * cols + j] = X[m + i * cols + j];
      }
    }
  }
  return [out];
}, 'any');

defineKernel('CumSum', ([x, a], n) => {
  if (!a || a.size !== 1) fail(n, 'axis must be a scalar');
  const axis = normAxis(n, a.toNumbers()[0], x!.rank);
  const exclusive = n.attr.int('exclusive', 0) === 1, reverse = n.attr.int('reverse', 0) === 1;
  const { outer, dim, inner } = around(x!.shape, axis);
  const out = like(n, x!, x!.shape);
  // Plain + works on both number and bigint cells; the accumulator starts from the dtype's zero.
  const X = cells(x!), O = cells(out), zero = O.length ? O[0] : 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let acc = zero;
      for (let j = 0; j < dim; j++) {
        const p = (o * dim + (reverse ? dim - 1 - j : j)) * inner + k;
        if (exclusive) { O[p] = acc; acc += X[p]; } else { acc += X[p]; O[p] = acc; }
      }
    }
  }
  return [out];
});
