// Reference kernels of matrix products: MatMul (numpy semantics), Gemm and MatMulInteger.
// Integer products are computed in doubles, which is exact for int8 operands at any realistic depth.
import type { Tensor } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import {
  type FloatArray, allocLike, batchedMatmul, floatData, fromFloat, gemmAcc, guardSize, transpose2d,
} from './gemm-core.ts';
import { broadcastIndex, broadcastShape, fail } from './util.ts';

/** numpy.matmul of two float arrays; returns the result and its shape. */
export function matmul(
  node: KernelNode, a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[],
): { data: FloatArray; shape: number[] } {
  if (aShape.length === 0 || bShape.length === 0) fail(node, 'operands of a matrix product must have rank ≥ 1');
  const a2 = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const b2 = bShape.length === 1 ? [bShape[0], 1] : bShape;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) fail(node, `inner dimensions of [${aShape}] and [${bShape}] differ`);
  const batch = broadcastShape(node, [a2.slice(0, -2), b2.slice(0, -2)]);
  const shape = [...batch];
  if (aShape.length > 1) shape.push(a2[a2.length - 2]);
  if (bShape.length > 1) shape.push(b2[b2.length - 1]);
  guardSize(node, shape);
  return { data: batchedMatmul(a, a2, b, b2, batch), shape };
}

defineKernel('MatMul', ([a, b], node) => {
  const r = matmul(node, floatData(a!), a!.shape, floatData(b!), b!.shape);
  return [fromFloat(a!.dtype, r.shape, r.data)];
});

/** Unidirectional broadcast of `from` onto `to`, failing unless it is one. */
function broadcastOnto(node: KernelNode, from: readonly number[], to: readonly number[], what: string): Int32Array | null {
  const full = broadcastShape(node, [from, to]);
  if (full.length !== to.length || full.some((d, i) => d !== to[i])) fail(node, `${what} of shape [${from}] does not broadcast to [${to}]`);
  return broadcastIndex(from, to);
}

defineKernel('Gemm', ([a, b, c], node) => {
  if (a!.rank !== 2 || b!.rank !== 2) fail(node, `A and B must be 2-D, got [${a!.shape}] and [${b!.shape}]`);
  const transA = node.attr.int('transA', 0) !== 0, transB = node.attr.int('transB', 0) !== 0;
  const alpha = node.attr.float('alpha', 1), beta = node.attr.float('beta', 1);
  const [M, K] = transA ? [a!.shape[1], a!.shape[0]] : a!.shape;
  const [K2, N] = transB ? [b!.shape[1], b!.shape[0]] : b!.shape;
  if (K !== K2) fail(node, `inner dimensions of A [${a!.shape}] and B [${b!.shape}] differ`);
  let A = floatData(a!), B = floatData(b!);
  if (transA) A = transpose2d(A, 0, K, M);
  if (transB) B = transpose2d(B, 0, N, K);
  const out = allocLike(A, guardSize(node, [M, N]));
  gemmAcc(M, N, K, A, 0, B, 0, out, 0);
  if (alpha !== 1) for (let i = 0; i < out.length; i++) out[i] *= alpha;
  if (c && beta !== 0) {
    const idx = broadcastOnto(node, c.shape, [M, N], 'C');
    const cd = floatData(c);
    for (let i = 0; i < out.length; i++) out[i] += beta * cd[idx ? idx[i] : i];
  }
  return [fromFloat(a!.dtype, [M, N], out)];
});

/**
 * x − zero point, in doubles. A 1-D zero point of length M for A is per row ([M] → [M, 1]); anything
 * else broadcasts numpy-style (a 1-D zero point of B is then per column).
 */
function centered(node: KernelNode, x: Tensor, zp: Tensor | null, perRow: boolean): Float64Array {
  const v = Float64Array.from(x.toNumbers());
  if (!zp) return v;
  let zShape = zp.shape;
  if (perRow && zp.rank === 1 && zp.size > 1 && x.rank >= 2) zShape = [zp.size, 1];
  const idx = broadcastOnto(node, zShape, x.shape, 'zero point');
  const z = zp.toNumbers();
  for (let i = 0; i < v.length; i++) v[i] -= z[idx ? idx[i] : i];
  return v;
}

defineKernel('MatMulInteger', ([a, b, az, bz], node) => {
  const r = matmul(node, centered(node, a!, az ?? null, true), a!.shape, centered(node, b!, bz ?? null, false), b!.shape);
  return [fromFloat('i32', r.shape, r.data)];
});
