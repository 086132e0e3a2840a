// The op forms exporters write at each opset (what torch.onnx / tf2onnx emit), so that each zoo model
// exercises the frontend's opset adapters the way real files do.
import { float } from '../builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { Net } from './net.ts';

/** Squeeze/Unsqueeze/Split/ReduceSum take axes (split sizes) as an input from opset 13. */
export function squeeze(n: Net, x: string, axes: readonly number[]): string {
  return n.opset >= 13 ? n.op('Squeeze', [x, n.ints(axes)]) : n.op('Squeeze', [x], { axes });
}

export function unsqueeze(n: Net, x: string, axes: readonly number[]): string {
  return n.opset >= 13 ? n.op('Unsqueeze', [x, n.ints(axes)]) : n.op('Unsqueeze', [x], { axes });
}

export function split(n: Net, x: string, sizes: readonly number[], axis: number): string[] {
  if (n.opset >= 13) return n.ops('Split', [x, n.ints(sizes)], { axis }, sizes.length);
  return n.ops('Split', [x], { axis, split: sizes }, sizes.length);
}

/** ReduceMean's axes became an input only at opset 18. */
export function reduceMean(n: Net, x: string, axes: readonly number[], keepdims = 1): string {
  return n.opset >= 18 ? n.op('ReduceMean', [x, n.ints(axes)], { keepdims }) : n.op('ReduceMean', [x], { axes, keepdims });
}

/** Clip bounds are attributes before opset 11, optional inputs after. */
export function clip(n: Net, x: string, lo: number, hi: number): string {
  if (n.opset < 11) return n.op('Clip', [x], { min: float(lo), max: float(hi) });
  return n.op('Clip', [x, n.scalar(lo), n.scalar(hi)]);
}

export const relu6 = (n: Net, x: string) => clip(n, x, 0, 6);

/** torch.nn.Hardswish: the HardSwish op from opset 14, x · HardSigmoid(x) before. */
export function hardSwish(n: Net, x: string): string {
  if (n.opset >= 14) return n.op('HardSwish', [x]);
  return n.op('Mul', [x, hardSigmoid(n, x)]);
}

export function hardSigmoid(n: Net, x: string): string {
  return n.op('HardSigmoid', [x], { alpha: float(1 / 6), beta: float(0.5) });
}

/** SiLU / swish as exported before opset 22's Swish: Sigmoid then Mul. */
export function swish(n: Net, x: string): string { return n.op('Mul', [x, n.op('Sigmoid', [x])]); }

/** Exact GELU as torch.onnx writes it: x · 0.5 · (1 + erf(x / √2)). */
export function gelu(n: Net, x: string): string {
  const e = n.op('Erf', [n.op('Div', [x, n.scalar(Math.SQRT2)])]);
  const half = n.op('Mul', [x, n.op('Add', [e, n.scalar(1)])]);
  return n.op('Mul', [half, n.scalar(0.5)]);
}

/**
 * Softmax over the last axis. Before opset 13 the op flattens at `axis`, so exporters only use it
 * directly on the last axis and write that axis as a positive number.
 */
export function softmaxLast(n: Net, x: string, rank: number): string {
  return n.op('Softmax', [x], { axis: n.opset >= 13 ? -1 : rank - 1 });
}

/** nn.LayerNorm over the last axis: the LayerNormalization op from opset 17, decomposed before. */
export function layerNorm(n: Net, x: string, dim: number, eps = 1e-5): string {
  const gamma = n.init(n.uniform([dim], 0.5, 1.5), 'ln_scale');
  const beta = n.init(n.uniform([dim], -0.2, 0.2), 'ln_bias');
  if (n.opset >= 17) return n.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: float(eps) });
  const mean = reduceMean(n, x, [-1]);
  const d = n.op('Sub', [x, mean]);
  const variance = reduceMean(n, n.op('Pow', [d, n.scalar(2)]), [-1]);
  const std = n.op('Sqrt', [n.op('Add', [variance, n.scalar(eps)])]);
  const y = n.op('Div', [d, std]);
  return n.op('Add', [n.op('Mul', [y, gamma]), beta]);
}

/**
 * A shape vector built at run time from a tensor's dims, the way exporters write `x.view(B, …)`:
 * Shape → Gather(dim) → Unsqueeze per symbolic dim, Concat with the constant parts.
 */
export function dynamicShape(n: Net, x: string, parts: readonly (number | { dim: number })[]): string {
  const shape = n.op('Shape', [x]);
  const pieces = parts.map((p) => {
    if (typeof p === 'number') return n.ints([p]);
    const g = n.op('Gather', [shape, n.constant(scalarI64(p.dim))], { axis: 0 });
    return unsqueeze(n, g, [0]);
  });
  return n.op('Concat', pieces, { axis: 0 });
}

const scalarI64 = (v: number) => Tensor.i64([v], []);
