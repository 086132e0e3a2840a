// Reference kernels of the normalization ops (inference semantics). Statistics are accumulated in
// double precision over contiguous blocks; the family's other ops live in the files imported below.
import { dtypeFromOnnx } from '../../ir/graph/dtype.ts';
import { mvnAxes } from '../../ir/graph/ops/norm-util.ts';
import { sizeOf } from '../../ir/graph/tensor.ts';
import type { Tensor } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { floatTensor, readFloats } from './float-io.ts';
import { broadcastIndex, broadcastShape, fail, normAxis } from './util.ts';
import './softmax.ts';
import './space-depth.ts';
import './resize.ts';

/** Mean and (biased) variance of X[start, start+len), two-pass for accuracy. */
function meanVar(X: Float32Array, start: number, len: number): [number, number] {
  let sum = 0;
  for (let i = start; i < start + len; i++) sum += X[i];
  const mean = sum / len;
  let sq = 0;
  for (let i = start; i < start + len; i++) { const d = X[i] - mean; sq += d * d; }
  return [mean, sq / len];
}

/** A per-channel parameter vector of exactly `n` elements, as f32. */
function param(node: KernelNode, t: Tensor | null, n: number, what: string): Float32Array {
  if (!t) fail(node, `${what} is required`);
  if (t.size !== n) fail(node, `${what} has ${t.size} elements, expected ${n}`);
  return readFloats(t);
}

defineKernel('BatchNormalization', ([x, scale, bias, mean, variance], node, ctx) => {
  const eps = node.attr.float('epsilon', 1e-5);
  const shape = x!.shape;
  const spatial = ctx.opset < 9 ? node.attr.int('spatial', 1) !== 0 : true;
  const channels = spatial ? shape[1] : sizeOf(shape.slice(1));
  const inner = spatial ? sizeOf(shape.slice(2)) : 1;
  const s = param(node, scale, channels, 'scale'), b = param(node, bias, channels, 'bias');
  const m = param(node, mean, channels, 'mean'), v = param(node, variance, channels, 'var');
  const X = readFloats(x!), Y = new Float32Array(X.length);
  for (let n = 0; n < shape[0]; n++) {
    for (let c = 0; c < channels; c++) {
      const a = s[c] / Math.sqrt(v[c] + eps), off = b[c] - m[c] * a;
      const base = (n * channels + c) * inner;
      for (let i = base; i < base + inner; i++) Y[i] = X[i] * a + off;
    }
  }
  return [floatTensor(x!.dtype, shape, Y)];
}, 'any');

defineKernel('InstanceNormalization', ([x, scale, bias], node) => {
  const eps = node.attr.float('epsilon', 1e-5);
  const shape = x!.shape, channels = shape[1], inner = sizeOf(shape.slice(2));
  const s = param(node, scale, channels, 'scale'), b = param(node, bias, channels, 'bias');
  const X = readFloats(x!), Y = new Float32Array(X.length);
  for (let n = 0; n < shape[0]; n++) {
    for (let c = 0; c < channels; c++) {
      const base = (n * channels + c) * inner;
      const [mu, va] = meanVar(X, base, inner);
      const k = s[c] / Math.sqrt(va + eps);
      for (let i = base; i < base + inner; i++) Y[i] = (X[i] - mu) * k + b[c];
    }
  }
  return [floatTensor(x!.dtype, shape, Y)];
}, 'any');

/** Index of each normalized-shape element into a parameter broadcast to it (null: same shape). */
function paramIndex(node: KernelNode, t: Tensor, normShape: readonly number[], what: string): Int32Array | null {
  let shape = [...t.shape];
  while (shape.length > normShape.length && shape[0] === 1) shape = shape.slice(1);
  const b = broadcastShape(node, [shape, normShape]);
  if (b.length !== normShape.length || b.some((d, i) => d !== normShape[i])) {
    fail(node, `${what} of shape [${t.shape}] does not broadcast to [${normShape}]`);
  }
  return broadcastIndex(shape, normShape);
}

defineKernel('LayerNormalization', ([x, scale, bias], node) => {
  const eps = node.attr.float('epsilon', 1e-5);
  const shape = x!.shape, axis = normAxis(node, node.attr.int('axis', -1), shape.length);
  const stash = dtypeFromOnnx(node.attr.int('stash_type', 1)) ?? fail(node, 'stash_type is not a known type');
  const normShape = shape.slice(axis), len = sizeOf(normShape), rows = sizeOf(shape.slice(0, axis));
  const S = readFloats(scale!), si = paramIndex(node, scale!, normShape, 'scale');
  const B = bias ? readFloats(bias) : null, bi = bias ? paramIndex(node, bias, normShape, 'bias') : null;
  const X = readFloats(x!), Y = new Float32Array(X.length);
  const means = new Float32Array(rows), invStd = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    const [mu, va] = meanVar(X, base, len);
    const inv = 1 / Math.sqrt(va + eps);
    means[r] = mu; invStd[r] = inv;
    for (let i = 0; i < len; i++) {
      const y = (X[base + i] - mu) * inv * S[si ? si[i] : i];
      Y[base + i] = B ? y + B[bi ? bi[i] : i] : y;
    }
  }
  const statShape = [...shape.slice(0, axis), ...normShape.map(() => 1)];
  const outs = [floatTensor(x!.dtype, shape, Y), floatTensor(stash, statShape, means), floatTensor(stash, statShape, invStd)];
  return outs.slice(0, Math.max(1, node.outputCount));
}, 'any');

defineKernel('GroupNormalization', ([x, scale, bias], node, ctx) => {
  const eps = node.attr.float('epsilon', 1e-5), groups = node.attr.int('num_groups');
  const shape = x!.shape, channels = shape[1], inner = sizeOf(shape.slice(2));
  if (groups <= 0 || channels % groups !== 0) fail(node, `${channels} channels do not divide into ${groups} groups`);
  if (x!.size === 0) return [x!];
  // Opset 18: one scale/bias per group; opset 21: per channel.
  const perChannel = ctx.opset >= 21, perGroup = channels / groups;
  const s = param(node, scale, perChannel ? channels : groups, 'scale');
  const b = param(node, bias, perChannel ? channels : groups, 'bias');
  const X = readFloats(x!), Y = new Float32Array(X.length);
  for (let n = 0; n < shape[0]; n++) {
    for (let g = 0; g < groups; g++) {
      const base = (n * channels + g * perGroup) * inner;
      const [mu, va] = meanVar(X, base, perGroup * inner);
      const inv = 1 / Math.sqrt(va + eps);
      for (let c = g * perGroup; c < (g + 1) * perGroup; c++) {
        const p = perChannel ? c : g, k = inv * s[p];
        const cb = (n * channels + c) * inner;
        for (let i = cb; i < cb + inner; i++) Y[i] = (X[i] - mu) * k + b[p];
      }
    }
  }
  return [floatTensor(x!.dtype, shape, Y)];
}, 'any');

defineKernel('LRN', ([x], node) => {
  const size = node.attr.int('size');
  if (size <= 0) fail(node, `size must be positive, got ${size}`);
  const alpha = node.attr.float('alpha', 1e-4), beta = node.attr.float('beta', 0.75), bias = node.attr.float('bias', 1);
  const shape = x!.shape, channels = shape[1], inner = sizeOf(shape.slice(2));
  const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  const X = readFloats(x!), Y = new Float32Array(X.length);
  for (let n = 0; n < shape[0]; n++) {
    const nb = n * channels * inner;
    for (let c = 0; c < channels; c++) {
      const c0 = Math.max(0, c - lo), c1 = Math.min(channels - 1, c + hi);
      for (let i = 0; i < inner; i++) {
        let sq = 0;
        for (let k = c0; k <= c1; k++) { const v = X[nb + k * inner + i]; sq += v * v; }
        const at = nb + c * inner + i;
        Y[at] = X[at] / Math.pow(bias + (alpha / size) * sq, beta);
      }
    }
  }
  return [floatTensor(x!.dtype, shape, Y)];
}, 'any');

// MeanVarianceNormalization follows its ONNX function: (X - E[X]) / (sqrt(Var[X]) + 1e-9).
defineKernel('MeanVarianceNormalization', ([x], node) => {
  const shape = x!.shape;
  const axes = mvnAxes({ fail: (m: string) => fail(node, m) }, node.attr.ints('axes', [0, 2, 3]), shape.length);
  const reduced = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = sizeOf(reduced), count = groups === 0 ? 0 : x!.size / groups;
  const gi = broadcastIndex(reduced, shape);
  const X = readFloats(x!), Y = new Float32Array(X.length);
  const mean = new Float64Array(groups), sq = new Float64Array(groups);
  for (let i = 0; i < X.length; i++) mean[gi ? gi[i] : i] += X[i];
  for (let g = 0; g < groups; g++) mean[g] /= count;
  for (let i = 0; i < X.length; i++) { const d = X[i] - mean[gi ? gi[i] : i]; sq[gi ? gi[i] : i] += d * d; }
  for (let g = 0; g < groups; g++) sq[g] = Math.sqrt(sq[g] / count) + 1e-9;
  for (let i = 0; i < X.length; i++) { const g = gi ? gi[i] : i; Y[i] = (X[i] - mean[g]) / sq[g]; }
  return [floatTensor(x!.dtype, shape, Y)];
}, 'any');
