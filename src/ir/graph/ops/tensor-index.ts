// Shape rules of indexing ops: Gather, GatherElements, GatherND, ScatterND, ScatterElements,
// Compress, NonZero, OneHot.
import { isFloat } from '../dtype.ts';
import type { Dim } from '../graph.ts';
import { defineOp, normAxis, tt, type InferCtx } from './registry.ts';
import { defineValueOp, intsArg, scalarArg } from './shape-args.ts';
import { MAX_ELEMENTS } from './tensor-math.ts';

function checkIndices(c: InferCtx, i: number): void {
  const d = c.input(i).dtype;
  if (d !== 'i64' && d !== 'i32') c.fail(`indices (input ${i}) must be int32 or int64, got ${d}`);
}

defineValueOp({
  name: 'Gather',
  infer: (c) => {
    const x = c.input(0), idx = c.input(1);
    checkIndices(c, 1);
    const axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
    return [tt(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)])];
  },
  // Gather of a shape vector with constant indices: the usual `Shape → Gather(0)` for the batch size.
  values: (c) => {
    const v = c.dims(0), idx = intsArg(c, 1);
    if (!v || !idx || c.input(0).shape.length !== 1 || c.input(1).shape.length > 1) return [undefined];
    const out: Dim[] = [];
    for (const i of idx) {
      const k = i < 0 ? i + v.length : i;
      if (k < 0 || k >= v.length) c.fail(`index ${i} is out of range for a vector of ${v.length}`);
      out.push(v[k]);
    }
    return [out];
  },
});

defineOp({
  name: 'GatherElements',
  infer: (c) => {
    const x = c.input(0), idx = c.input(1);
    checkIndices(c, 1);
    if (idx.shape.length !== x.shape.length) c.fail(`indices have rank ${idx.shape.length}, data rank ${x.shape.length}`);
    normAxis(c, c.attr.int('axis', 0), x.shape.length);
    return [tt(x.dtype, idx.shape)];
  },
});

defineOp({
  name: 'GatherND',
  infer: (c) => {
    const x = c.input(0), idx = c.input(1);
    checkIndices(c, 1);
    const b = c.attr.int('batch_dims', 0), q = idx.shape.length, r = x.shape.length;
    if (q < 1) c.fail('indices must have rank ≥ 1');
    const l = idx.shape[q - 1];
    const last = typeof l === 'number' ? l : c.fail('the last dim of indices must be known');
    if (b < 0 || b >= Math.min(q, r)) c.fail(`batch_dims ${b} must be below the ranks of data and indices`);
    if (last < 1 || b + last > r) c.fail(`indices address ${last} dims after ${b} batch dims of rank-${r} data`);
    return [tt(x.dtype, [...idx.shape.slice(0, q - 1), ...x.shape.slice(b + last)])];
  },
});

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'];
function scatterType(c: InferCtx) {
  const x = c.input(0), u = c.input(2);
  checkIndices(c, 1);
  const red = c.attr.string('reduction', 'none');
  if (!REDUCTIONS.includes(red)) c.fail(`reduction "${red}" is not one of ${REDUCTIONS.join(', ')}`);
  if (u.dtype !== x.dtype) c.fail(`updates are ${u.dtype}, data ${x.dtype}`);
  return x;
}

defineOp({
  name: 'ScatterND',
  infer: (c) => {
    const x = scatterType(c), idx = c.input(1), u = c.input(2);
    const q = idx.shape.length, last = idx.shape[q - 1];
    if (q < 1) c.fail('indices must have rank ≥ 1');
    if (typeof last === 'number') {
      if (last > x.shape.length) c.fail(`indices address ${last} dims of rank-${x.shape.length} data`);
      const want = q - 1 + x.shape.length - last;
      if (u.shape.length !== want) c.fail(`updates have rank ${u.shape.length}, expected ${want}`);
    }
    return [x];
  },
});

defineOp({
  name: 'ScatterElements',
  infer: (c) => {
    const x = scatterType(c), idx = c.input(1), u = c.input(2);
    if (idx.shape.length !== x.shape.length || u.shape.length !== x.shape.length) c.fail('data, indices and updates must have the same rank');
    normAxis(c, c.attr.int('axis', 0), x.shape.length);
    return [x];
  },
});

defineOp({
  name: 'Compress',
  infer: (c) => {
    const x = c.input(0), cond = c.input(1);
    if (cond.shape.length !== 1) c.fail(`condition must be 1-D, got rank ${cond.shape.length}`);
    const k = c.constant(1);
    const count = k ? k.toNumbers().filter((v) => v !== 0).length : c.fresh();
    if (!c.attr.has('axis')) return [tt(x.dtype, [count])];
    const axis = normAxis(c, c.attr.int('axis'), x.shape.length);
    return [tt(x.dtype, x.shape.map((d, i) => (i === axis ? count : d)))];
  },
});

defineOp({
  name: 'NonZero',
  infer: (c) => {
    const x = c.input(0), k = c.constant(0);
    const count = k ? k.toNumbers().filter((v) => v !== 0).length : c.fresh();
    // onnxruntime treats a scalar as a 1-element vector.
    return [tt('i64', [Math.max(1, x.shape.length), count])];
  },
});

defineOp({
  name: 'OneHot',
  infer: (c) => {
    const idx = c.input(0), vals = c.input(2);
    const r = idx.shape.length;
    let axis = c.attr.int('axis', -1);
    if (axis < 0) axis += r + 1;
    if (axis < 0 || axis > r) c.fail(`axis ${c.attr.int('axis', -1)} is out of range for rank ${r + 1}`);
    if (vals.shape.length !== 1 || (typeof vals.shape[0] === 'number' && vals.shape[0] !== 2)) c.fail('values must be [off_value, on_value]');
    const depth = scalarArg(c, 1);
    let d: Dim = c.fresh();
    if (depth !== undefined) {
      d = isFloat(c.input(1).dtype) ? Math.trunc(depth) : depth;
      if (!(d >= 1 && d <= MAX_ELEMENTS)) c.fail(`depth ${depth} must be a positive size`);
    }
    return [tt(vals.dtype, [...idx.shape.slice(0, axis), d, ...idx.shape.slice(axis)])];
  },
});
