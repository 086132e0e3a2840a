// Reference kernels of the tensor family's shape ops: Shape, Size, Reshape, Flatten, Squeeze,
// Unsqueeze, Transpose, Concat, Split, Slice, Expand, Tile. All are data movement ('any' dtype), and
// run on int64 shape vectors too, since shape inference folds constant sub-graphs through them.
import { Tensor, sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import { reshapeDims, sliceAxis, sliceSpec, splitSizes } from '../../ir/graph/ops/tensor-math.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { broadcastShape, fail, ints, normAxis } from './util.ts';
import { around, broadcastStrides, checkShape, like, stridedCopy } from './tensor-util.ts';
import './tensor-index.ts';
import './tensor-scatter.ts';
import './tensor-create.ts';

defineKernel('Shape', ([x], n) => {
  const r = x!.rank;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const s = norm(n.attr.int('start', 0)), e = norm(n.attr.int('end', r));
  return [Tensor.i64(x!.shape.slice(s, Math.max(s, e)))];
}, 'any');

defineKernel('Size', ([x]) => [Tensor.scalar('i64', x!.size)], 'any');

defineKernel('Reshape', ([x, s], n) => {
  const r = reshapeDims(x!.shape, ints(s), n.attr.int('allowzero', 0) === 1);
  if (typeof r === 'string') fail(n, r);
  return [x!.reshape(r)];
}, 'any');

defineKernel('Flatten', ([x], n) => {
  let axis = n.attr.int('axis', 1);
  if (axis < 0) axis += x!.rank;
  if (axis < 0 || axis > x!.rank) fail(n, `axis ${n.attr.int('axis', 1)} is out of range for rank ${x!.rank}`);
  return [x!.reshape([sizeOf(x!.shape.slice(0, axis)), sizeOf(x!.shape.slice(axis))])];
}, 'any');

defineKernel('Squeeze', ([x, a], n) => {
  if (!a || a.size === 0) return [x!.reshape(x!.shape.filter((d) => d !== 1))];
  const drop = new Set(ints(a).map((v) => normAxis(n, v, x!.rank)));
  for (const k of drop) if (x!.shape[k] !== 1) fail(n, `cannot squeeze axis ${k} of size ${x!.shape[k]}`);
  return [x!.reshape(x!.shape.filter((_, i) => !drop.has(i)))];
}, 'any');

defineKernel('Unsqueeze', ([x, a], n) => {
  const axes = ints(a);
  const rank = x!.rank + axes.length;
  const at = new Set(axes.map((v) => normAxis(n, v, rank)));
  if (at.size !== axes.length) fail(n, `axes [${axes}] repeat an axis`);
  const out: number[] = [];
  for (let i = 0, k = 0; i < rank; i++) out.push(at.has(i) ? 1 : x!.shape[k++]);
  return [x!.reshape(out)];
}, 'any');

defineKernel('Transpose', ([x], n) => {
  const r = x!.rank;
  const perm = n.attr.intsOpt('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) fail(n, `perm [${perm}] is not a permutation of ${r} axes`);
  const st = stridesOf(x!.shape);
  const out = like(n, x!, perm.map((p) => x!.shape[p]));
  stridedCopy(x!, 0, perm.map((p) => st[p]), out.shape, out);
  return [out];
}, 'any');

defineKernel('Concat', (ins, n) => {
  const xs = ins.map((t) => t!);
  const rank = xs[0].rank;
  const axis = normAxis(n, n.attr.int('axis'), rank);
  const shape = [...xs[0].shape];
  shape[axis] = 0;
  for (const t of xs) {
    if (t.rank !== rank || t.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) {
      fail(n, `cannot concatenate [${xs[0].shape}] and [${t.shape}] on axis ${axis}`);
    }
    shape[axis] += t.shape[axis];
  }
  const out = like(n, xs[0], shape);
  const { outer, inner } = around(shape, axis);
  const row = shape[axis] * inner;
  let at = 0;
  for (const t of xs) {
    const w = t.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * w, o * w + w) as never, o * row + at);
    at += w;
  }
  return [out];
}, 'any');

/** Copies x's range [start, start+len) along axis into a new tensor. */
function sliceAlong(n: KernelNode, x: Tensor, axis: number, start: number, len: number): Tensor {
  const shape = x.shape.map((d, i) => (i === axis ? len : d));
  const out = like(n, x, shape);
  const st = stridesOf(x.shape);
  stridedCopy(x, start * st[axis], st, shape, out);
  return out;
}

defineKernel('Split', ([x, s], n) => {
  const axis = normAxis(n, n.attr.int('axis', 0), x!.rank);
  const num = n.attr.has('num_outputs') ? n.attr.int('num_outputs') : undefined;
  const sizes = splitSizes(x!.shape[axis], n.outputCount, s ? ints(s) : undefined, num);
  if (typeof sizes === 'string') fail(n, sizes);
  let at = 0;
  return sizes.map((len) => { const t = sliceAlong(n, x!, axis, at, len); at += len; return t; });
}, 'any');

defineKernel('Slice', ([x, starts, ends, axes, steps], n) => {
  const spec = sliceSpec(x!.rank, ints(starts), ints(ends), axes ? ints(axes) : undefined, steps ? ints(steps) : undefined);
  if (typeof spec === 'string') fail(n, spec);
  const st = stridesOf(x!.shape);
  const shape = [...x!.shape], strides = [...st];
  let offset = 0;
  spec.axes.forEach((a, k) => {
    const { start, count } = sliceAxis(x!.shape[a], spec.starts[k], spec.ends[k], spec.steps[k]);
    shape[a] = count;
    strides[a] = st[a] * spec.steps[k];
    offset += start * st[a];
  });
  const out = like(n, x!, shape);
  stridedCopy(x!, offset, strides, shape, out);
  return [out];
}, 'any');

defineKernel('Expand', ([x, s], n) => {
  const target = checkShape(n, ints(s));
  const shape = broadcastShape(n, [x!.shape, target]);
  const out = like(n, x!, shape);
  stridedCopy(x!, 0, broadcastStrides(x!.shape, shape), shape, out);
  return [out];
}, 'any');

// Tile is a broadcast copy of x viewed as [1, d0, 1, d1, …] into [r0, d0, r1, d1, …].
defineKernel('Tile', ([x, r], n) => {
  const reps = ints(r);
  if (reps.length !== x!.rank) fail(n, `repeats has ${reps.length} values for rank ${x!.rank}`);
  checkShape(n, x!.shape.map((d, i) => d * reps[i]));
  const st = stridesOf(x!.shape);
  const view = x!.shape.flatMap((d, i) => [reps[i], d]);
  const out = like(n, x!, x!.shape.map((d, i) => d * reps[i]));
  stridedCopy(x!, 0, st.flatMap((s) => [0, s]), view, out);
  return [out];
}, 'any');
