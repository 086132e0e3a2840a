// Reference kernel of QLinearMatMul in onnxruntime's integer arithmetic (QLinearConv: qconv.ts): products
// of zero-point-adjusted 8-bit values accumulate in int32 (wrapping), then requantize through the f32
// multiplier (a_scale · b_scale) / y_scale, rounding half to even, and saturate.
import { Tensor, sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { MAX_OUTPUT, multiplier, numbers, requantize, scalar } from './quant-util.ts';
import { broadcastShape, fail } from './util.ts';

/** b's scales and zero points: one pair, one per column (N), or one per column of each b matrix. */
interface BParams { readonly per: number; readonly scales: ArrayLike<number>; readonly zps: ArrayLike<number> }

function bParams(node: KernelNode, bs: Tensor | null, bzp: Tensor | null, N: number, matrices: number): BParams {
  if (!bs) fail(node, 'b_scale is required');
  if (bzp && bzp.size !== bs.size) fail(node, 'b_scale and b_zero_point must have the same number of values');
  if (bs.size !== 1 && bs.size !== N && bs.size !== matrices * N) fail(node, `b_scale has ${bs.size} values, expected 1, ${N} or ${matrices * N}`);
  return { per: bs.size, scales: numbers(bs), zps: bzp ? numbers(bzp) : new Array<number>(bs.size).fill(0) };
}

/** Index of the parameter for column n of b matrix `matrix`. */
const paramAt = (p: BParams, N: number, matrix: number, n: number) => (p.per === 1 ? 0 : p.per === N ? n : matrix * N + n);

/** For each batch index of `out`, the flat batch index into an operand of batch shape `shape`. */
function batchOffsets(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = sizeOf(out), res = new Int32Array(n), rank = out.length;
  const st = stridesOf(shape), pad = rank - shape.length;
  for (let i = 0; i < n; i++) {
    let rem = i, off = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rem % out[d];
      rem = Math.floor(rem / out[d]);
      if (d >= pad && shape[d - pad] !== 1) off += c * st[d - pad];
    }
    res[i] = off;
  }
  return res;
}

/** acc[M×N] = a[M×K] · b[K×N] on adjusted values. */
function gemm(acc: Int32Array, a: Int32Array, ao: number, b: Int32Array, bo: number, M: number, K: number, N: number): void {
  acc.fill(0);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      const v = a[ao + m * K + k];
      if (v === 0) continue;
      const row = bo + k * N, out = m * N;
      for (let n = 0; n < N; n++) acc[out + n] += v * b[row + n];
    }
  }
}

defineKernel('QLinearMatMul', ([a, as, azp, b, bs, bzp, ys, yzp], node) => {
  if (!a || !b || !yzp) fail(node, 'needs a, b and y_zero_point');
  if (a.rank === 0 || b.rank === 0) fail(node, 'inputs must have rank ≥ 1');
  const A = a.rank === 1 ? [1, a.shape[0]] : a.shape, B = b.rank === 1 ? [b.shape[0], 1] : b.shape;
  const [M, K, K2, N] = [A[A.length - 2], A[A.length - 1], B[B.length - 2], B[B.length - 1]];
  if (K !== K2) fail(node, `inner dimensions differ: [${a.shape}] × [${b.shape}]`);
  const batch = broadcastShape(node, [A.slice(0, -2), B.slice(0, -2)]);
  if (sizeOf(batch) * M * N > MAX_OUTPUT) fail(node, 'output is too large');
  const bp = bParams(node, bs, bzp, N, sizeOf(B.slice(0, -2)));
  const av = numbers(a), azv = scalar(node, azp, 'a_zero_point'), aAdj = new Int32Array(a.size);
  for (let i = 0; i < aAdj.length; i++) aAdj[i] = av[i] - azv;
  const bv = numbers(b), bAdj = new Int32Array(b.size);
  for (let i = 0; i < bAdj.length; i++) bAdj[i] = bv[i] - bp.zps[paramAt(bp, N, Math.floor(i / (K * N)), i % N)];
  const [asv, ysv, yzv] = [scalar(node, as, 'a_scale'), scalar(node, ys, 'y_scale'), scalar(node, yzp, 'y_zero_point')];
  const y = new Tensor(yzp.dtype, [...batch, ...(a.rank > 1 ? [M] : []), ...(b.rank > 1 ? [N] : [])]);
  const aIdx = batchOffsets(A.slice(0, -2), batch), bIdx = batchOffsets(B.slice(0, -2), batch);
  const acc = new Int32Array(M * N), col = new Int32Array(M);
  for (let p = 0; p < aIdx.length; p++) {
    gemm(acc, aAdj, aIdx[p] * M * K, bAdj, bIdx[p] * K * N, M, K, N);
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) col[m] = acc[m * N + n];
      const mult = multiplier(asv, bp.scales[paramAt(bp, N, bIdx[p], n)], ysv);
      requantize(col, M, mult, yzv, y.data as Uint8Array, p * M * N + n, N);
    }
  }
  return [y];
}, 'any');
