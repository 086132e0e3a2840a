// Softmax, LogSoftmax and Hardmax with opset-13 semantics: one axis (default -1). Older forms,
// which flatten to 2-D at `axis`, are rewritten to this form by the ONNX adapters.
import { sizeOf } from '../../ir/graph/tensor.ts';
import { defineKernel } from '../kernel.ts';
import { floatTensor, readFloats } from './float-io.ts';
import { normAxis } from './util.ts';

type RowOp = (X: Float32Array, Y: Float32Array, base: number, len: number, stride: number) => void;

/** Softmax of one row (elements base, base+stride, …), shifted by its max for stability. */
const softmaxRow: RowOp = (X, Y, base, len, stride) => {
  const end = base + len * stride;
  let max = -Infinity;
  for (let i = base; i < end; i += stride) if (X[i] > max) max = X[i];
  let sum = 0;
  for (let i = base; i < end; i += stride) { const e = Math.exp(X[i] - max); Y[i] = e; sum += e; }
  for (let i = base; i < end; i += stride) Y[i] /= sum;
};

const logSoftmaxRow: RowOp = (X, Y, base, len, stride) => {
  const end = base + len * stride;
  let max = -Infinity;
  for (let i = base; i < end; i += stride) if (X[i] > max) max = X[i];
  let sum = 0;
  for (let i = base; i < end; i += stride) sum += Math.exp(X[i] - max);
  const shift = max + Math.log(sum);
  for (let i = base; i < end; i += stride) Y[i] = X[i] - shift;
};

/** 1 at the first maximum of the row, 0 elsewhere (Y starts zeroed). */
const hardmaxRow: RowOp = (X, Y, base, len, stride) => {
  if (len === 0) return;
  let best = base;
  for (let i = base + stride; i < base + len * stride; i += stride) if (X[i] > X[best]) best = i;
  Y[best] = 1;
};

const ROWS: Record<string, RowOp> = { Softmax: softmaxRow, LogSoftmax: logSoftmaxRow, Hardmax: hardmaxRow };

for (const [op, row] of Object.entries(ROWS)) {
  defineKernel(op, ([x], node) => {
    const shape = x!.shape, axis = normAxis(node, node.attr.int('axis', -1), shape.length);
    const len = shape[axis], inner = sizeOf(shape.slice(axis + 1)), outer = sizeOf(shape.slice(0, axis));
    const X = readFloats(x!), Y = new Float32Array(X.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) row(X, Y, o * len * inner + i, len, inner);
    }
    return [floatTensor(x!.dtype, shape, Y)];
  }, 'any');
}
