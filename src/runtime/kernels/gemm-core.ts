// The matrix-multiply core shared by MatMul, Gemm, Einsum and the convolutions. Operands are packed
// into panels of four rows of A and four columns of B (both k-major, in doubles), so the micro-kernel
// reads eight consecutive values per k step and keeps a 4×4 tile of C in locals; it is blocked over
// k and over column panels so the B block stays in cache. Edges are padded with zeros. V8 does not
// vectorize, so register blocking is what pays: this form is several times faster than a plain
// i-k-j loop, which remains only for thin products (fewer than four rows), where packing B dominates.
import type { DType } from '../../ir/graph/dtype.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import type { KernelNode } from '../kernel.ts';
import { broadcastIndex, fail } from './util.ts';

export type FloatArray = Float32Array | Float64Array;

const KC = 256;
const NC = 128;

/** C[cOff + i·N + j] += Σₖ A[aOff + i·K + k] · B[bOff + k·N + j] for i < M, j < N (row-major). */
export function gemmAcc(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number,
): void {
  if (M === 0 || N === 0 || K === 0) return;
  if (M < 4) { thinGemm(M, N, K, A, aOff, B, bOff, C, cOff); return; }
  const Mp = (M + 3) & ~3, Np = (N + 3) & ~3;
  const ap = new Float64Array(Mp * K), bp = new Float64Array(Np * K), cp = new Float64Array(Mp * Np);
  for (let i = 0; i < M; i++) {
    const dst = (i & ~3) * K + (i & 3), src = aOff + i * K;
    for (let k = 0; k < K; k++) ap[dst + 4 * k] = A[src + k];
  }
  for (let k = 0; k < K; k++) {
    const src = bOff + k * N;
    for (let j = 0; j < N; j++) bp[(j & ~3) * K + 4 * k + (j & 3)] = B[src + j];
  }
  panelKernel(Mp, Np, K, ap, bp, cp);
  for (let i = 0; i < M; i++) {
    const c = cOff + i * N, p = i * Np;
    for (let j = 0; j < N; j++) C[c + j] += cp[p + j];
  }
}

/** C += A·B on packed panels; Mp and Np are multiples of four. */
function panelKernel(Mp: number, Np: number, K: number, A: Float64Array, B: Float64Array, C: Float64Array): void {
  for (let j0 = 0; j0 < Np; j0 += NC) {
    const j1 = Math.min(Np, j0 + NC);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const k1 = Math.min(K, k0 + KC);
      for (let i = 0; i < Mp; i += 4) {
        for (let j = j0; j < j1; j += 4) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let k = k0, a = i * K + 4 * k0, b = j * K + 4 * k0; k < k1; k++, a += 4, b += 4) {
            const x0 = B[b], x1 = B[b + 1], x2 = B[b + 2], x3 = B[b + 3];
            let y = A[a]; c00 += y * x0; c01 += y * x1; c02 += y * x2; c03 += y * x3;
            y = A[a + 1]; c10 += y * x0; c11 += y * x1; c12 += y * x2; c13 += y * x3;
            y = A[a + 2]; c20 += y * x0; c21 += y * x1; c22 += y * x2; c23 += y * x3;
            y = A[a + 3]; c30 += y * x0; c31 += y * x1; c32 += y * x2; c33 += y * x3;
          }
          const r0 = i * Np + j, r1 = r0 + Np, r2 = r1 + Np, r3 = r2 + Np;
          C[r0] += c00; C[r0 + 1] += c01; C[r0 + 2] += c02; C[r0 + 3] += c03;
          C[r1] += c10; C[r1 + 1] += c11; C[r1 + 2] += c12; C[r1 + 3] += c13;
          C[r2] += c20; C[r2 + 1] += c21; C[r2 + 2] += c22; C[r2 + 3] += c23;
          C[r3] += c30; C[r3 + 1] += c31; C[r3 + 2] += c32; C[r3 + 3] += c33;
        }
      }
    }
  }
}

/** i-k-j product for M < 4, accumulating each row of C in doubles. */
function thinGemm(
  M: number, N: number, K: number,
  A: FloatArray, aOff: number, B: FloatArray, bOff: number, C: FloatArray, cOff: number,
): void {
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const a = A[aOff + i * K + k], b0 = bOff + k * N;
      for (let j = 0; j < N; j++) acc[j] += a * B[b0 + j];
    }
    const c = cOff + i * N;
    for (let j = 0; j < N; j++) C[c + j] += acc[j];
  }
}

/** A new array of the same kind as `like`. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** The transpose of the rows × cols matrix at src[off …], as a new contiguous array. */
export function transpose2d(src: FloatArray, off: number, rows: number, cols: number): FloatArray {
  const out = allocLike(src, rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = off + r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[s + c];
  }
  return out;
}

/**
 * numpy.matmul on operands of rank ≥ 2 whose leading (batch) dims broadcast:
 * [..., M, K] × [..., K, N] → [..., M, N]. Shapes are assumed checked by the caller.
 */
export function batchedMatmul(
  a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[], batch: readonly number[],
): FloatArray {
  const M = aShape[aShape.length - 2], K = aShape[aShape.length - 1], N = bShape[bShape.length - 1];
  const nb = sizeOf(batch);
  const out = allocLike(a, nb * M * N);
  const ai = broadcastIndex(aShape.slice(0, -2), batch), bi = broadcastIndex(bShape.slice(0, -2), batch);
  for (let t = 0; t < nb; t++) {
    const at = ai ? ai[t] : t, bt = bi ? bi[t] : t;
    gemmAcc(M, N, K, a, at * M * K, b, bt * K * N, out, t * M * N);
  }
  return out;
}

/** Largest tensor (in elements) an nn kernel will allocate; beyond it the model is malformed. */
export const MAX_ELEMENTS = 2 ** 28;

export function guardSize(node: KernelNode, shape: readonly number[], what = 'output'): number {
  const n = sizeOf(shape);
  if (!(n <= MAX_ELEMENTS)) fail(node, `${what} of shape [${shape}] is too large (${n} elements)`);
  return n;
}

/** A tensor's values as a float array: f32/f64 storage is shared, anything else widened to f64. */
export function floatData(t: Tensor): FloatArray {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return t.data;
  return Float64Array.from(t.toNumbers());
}

/** Wraps a float result as a tensor of `dtype` (integers wrap or truncate as the dtype stores them). */
export function fromFloat(dtype: DType, shape: readonly number[], data: FloatArray): Tensor {
  if ((dtype === 'f32' && data instanceof Float32Array) || (dtype === 'f64' && data instanceof Float64Array)) {
    return new Tensor(dtype, shape, data);
  }
  return Tensor.fromNumbers(dtype, shape, data);
}
