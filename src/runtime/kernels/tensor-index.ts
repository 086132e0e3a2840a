// Reference kernels of gathering and selecting ops: Gather, GatherElements, GatherND, Compress,
// NonZero, OneHot (scatters are in tensor-scatter.ts). Data movement on every dtype.
import { Tensor, sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import { defineKernel } from '../kernel.ts';
import { fail, normAxis } from './util.ts';
import { around, axisBases, cells, indexValues, like, ndOffsets, normIndex } from './tensor-util.ts';

defineKernel('Gather', ([x, idx], n) => {
  const axis = normAxis(n, n.attr.int('axis', 0), x!.rank);
  const { outer, dim, inner } = around(x!.shape, axis);
  const I = indexValues(idx!);
  const out = like(n, x!, [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)]);
  const X = cells(x!), O = cells(out);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < I.length; j++) {
      const src = (o * dim + normIndex(n, I[j], dim)) * inner;
      if (inner >= 16) { out.data.set(x!.data.subarray(src, src + inner) as never, p); p += inner; }
      else for (let k = 0; k < inner; k++) O[p++] = X[src + k];
    }
  }
  return [out];
}, 'any');

defineKernel('GatherElements', ([x, idx], n) => {
  const axis = normAxis(n, n.attr.int('axis', 0), x!.rank);
  if (idx!.rank !== x!.rank) fail(n, `indices have rank ${idx!.rank}, data rank ${x!.rank}`);
  if (idx!.shape.some((d, i) => i !== axis && d > x!.shape[i])) fail(n, `indices [${idx!.shape}] exceed data [${x!.shape}]`);
  const out = like(n, x!, idx!.shape);
  const I = indexValues(idx!), X = cells(x!), O = cells(out);
  const xs = stridesOf(x!.shape), dim = x!.shape[axis];
  const bases = axisBases(idx!.shape, xs, axis);
  for (let i = 0; i < I.length; i++) O[i] = X[bases[i] + normIndex(n, I[i], dim) * xs[axis]];
  return [out];
}, 'any');

defineKernel('GatherND', ([x, idx], n) => {
  const b = n.attr.int('batch_dims', 0);
  if (b < 0 || b >= Math.min(x!.rank, idx!.rank)) fail(n, `batch_dims ${b} is out of range`);
  const { offsets, slice } = ndOffsets(n, x!, idx!, b);
  const out = like(n, x!, [...idx!.shape.slice(0, -1), ...x!.shape.slice(b + idx!.shape[idx!.rank - 1])]);
  const X = cells(x!), O = cells(out);
  for (let t = 0, p = 0; t < offsets.length; t++) for (let k = 0; k < slice; k++) O[p++] = X[offsets[t] + k];
  return [out];
}, 'any');

defineKernel('Compress', ([x, cond], n) => {
  const C = cond!.data;
  const hasAxis = n.attr.has('axis');
  const axis = hasAxis ? normAxis(n, n.attr.int('axis'), x!.rank) : 0;
  const shape = hasAxis ? x!.shape : [x!.size];
  const { outer, dim, inner } = around(shape, axis);
  if (C.length > dim) fail(n, `condition has ${C.length} entries for an axis of ${dim}`);
  const keep: number[] = [];
  for (let i = 0; i < C.length; i++) if (C[i]) keep.push(i);
  const out = like(n, x!, shape.map((d, i) => (i === axis ? keep.length : d)));
  const X = cells(x!), O = cells(out);
  let p = 0;
  for (let o = 0; o < outer; o++) for (const j of keep) for (let k = 0, s = (o * dim + j) * inner; k < inner; k++) O[p++] = X[s + k];
  return [out];
}, 'any');

defineKernel('NonZero', ([x]) => {
  const X = x!.data, shape = x!.rank === 0 ? [1] : x!.shape, rank = shape.length;
  const hits: number[] = [];
  for (let i = 0; i < X.length; i++) if (X[i]) hits.push(i);
  const st = stridesOf(shape);
  const out = new Tensor('i64', [rank, hits.length]);
  const O = out.data as BigInt64Array;
  hits.forEach((flat, j) => {
    for (let d = 0; d < rank; d++) O[d * hits.length + j] = BigInt(Math.floor(flat / st[d]) % shape[d]);
  });
  return [out];
}, 'compute'); // compute: f16 inputs are decoded, so -0 counts as zero

defineKernel('OneHot', ([idx, depthT, values], n) => {
  if (depthT!.size !== 1) fail(n, 'depth must hold one value');
  const depth = Math.trunc(depthT!.toNumbers()[0]);
  if (!(depth >= 1)) fail(n, `depth ${depth} must be positive`);
  if (values!.size !== 2) fail(n, 'values must be [off_value, on_value]');
  const r = idx!.rank;
  let axis = n.attr.int('axis', -1);
  if (axis < 0) axis += r + 1;
  if (axis < 0 || axis > r) fail(n, `axis ${n.attr.int('axis', -1)} is out of range for rank ${r + 1}`);
  const out = like(n, values!, [...idx!.shape.slice(0, axis), depth, ...idx!.shape.slice(axis)]);
  const V = cells(values!), O = cells(out);
  for (let i = 0; i < O.length; i++) O[i] = V[0];
  // idx viewed as [outer, inner] split at axis; the depth axis goes between.
  const outer = sizeOf(idx!.shape.slice(0, axis)), inner = sizeOf(idx!.shape.slice(axis));
  const I = indexValues(idx!);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      // Like onnxruntime, a non-integer (float) index matches no position.
      let v = I[o * inner + k];
      if (v < 0) v += depth;
      if (Number.isInteger(v) && v >= 0 && v < depth) O[(o * depth + v) * inner + k] = V[1];
    }
  }
  return [out];
}, 'any');
