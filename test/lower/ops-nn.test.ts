// The reduction-based rules (convolutions, pools, products, normalizations, reductions, quantized
// kernels) on random inputs, and the errors lowering gives for what it cannot lower.
import { describe, expect, it } from 'vitest';
import { float } from '../../models/builder.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { Graph } from '../../src/ir/graph/graph.ts';
import { lowerNode, NOT_LOWERED } from '../../src/lower/lower.ts';
import { TsccError } from '../../src/util/errors.ts';
import { checkOpLowering, type OpCase } from './compare.ts';

const f32 = (...shape: number[]): [DType, number[]] => ['f32', shape];
const i64 = (v: number[], shape = [v.length]) => Tensor.i64(v, shape);
type Attrs = OpCase['attrs'];

describe('convolutions', () => {
  const conv = (x: number[], w: number[], attrs: Attrs = {}, bias = true) =>
    checkOpLowering({ op: 'Conv', inputs: [f32(...x), f32(...w), ...(bias ? [f32(w[0])] : [])], attrs });
  it('strides, asymmetric pads, dilations', () => {
    conv([2, 3, 9, 8], [4, 3, 3, 3]);
    conv([1, 3, 11, 10], [5, 3, 3, 2], { strides: [2, 3], pads: [1, 0, 2, 1] }, false);
    conv([1, 2, 13, 12], [3, 2, 3, 3], { strides: [2, 2], dilations: [2, 1], pads: [1, 1, 1, 1] });
  });
  it('groups, depthwise and depth multiplier', () => {
    conv([2, 6, 7, 7], [4, 3, 3, 3], { group: 2, pads: [1, 1, 1, 1] });
    conv([1, 8, 10, 10], [8, 1, 3, 3], { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] });
    conv([1, 4, 9, 9], [8, 1, 5, 5], { group: 4, pads: [2, 2, 2, 2] });
  });
  it('auto_pad, 1-D, 3-D and pointwise', () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) conv([1, 2, 9, 8], [3, 2, 4, 3], { auto_pad, strides: [2, 2] });
    conv([2, 3, 20], [4, 3, 5], { strides: [2], pads: [2, 1], dilations: [2] });
    conv([1, 2, 6, 7, 5], [3, 2, 3, 3, 2], { strides: [1, 2, 1], pads: [1, 1, 0, 1, 0, 1] });
    conv([2, 16, 7, 7], [8, 16, 1, 1]);
  });
  const convT = (x: number[], w: number[], attrs: Attrs = {}, bias = true) => {
    const m = w[1] * (typeof attrs?.group === 'number' ? attrs.group : 1);
    return checkOpLowering({ op: 'ConvTranspose', inputs: [f32(...x), f32(...w), ...(bias ? [f32(m)] : [])], attrs });
  };
  it('ConvTranspose: strides, pads, output_padding, output_shape, dilations, groups', () => {
    convT([2, 3, 5, 4], [3, 2, 3, 3]);
    convT([1, 3, 5, 4], [3, 2, 3, 3], { strides: [2, 3], pads: [1, 0, 1, 2] }, false);
    convT([1, 2, 4, 4], [2, 3, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] });
    convT([1, 1, 3, 3], [1, 2, 3, 3], { strides: [3, 2], output_shape: [10, 8] });
    convT([1, 4, 5, 5], [4, 2, 3, 3], { group: 2, dilations: [2, 2] });
    convT([1, 6, 4, 5], [6, 1, 3, 3], { group: 6, strides: [2, 2] });
    convT([2, 3, 7], [3, 2, 4], { strides: [2], pads: [1, 1] });
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER']) convT([1, 2, 4, 5], [2, 3, 4, 3], { auto_pad, strides: [2, 2] });
  });
});

describe('pools', () => {
  const pool = (op: string, x: number[], attrs: Attrs, opset = 19) => checkOpLowering({ op, inputs: [f32(...x)], attrs, opset });
  it('MaxPool: pads, ceil_mode, dilations, auto_pad, 1-D and 3-D', () => {
    pool('MaxPool', [1, 3, 9, 8], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] });
    pool('MaxPool', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 });
    pool('MaxPool', [1, 2, 11, 10], { kernel_shape: [3, 2], dilations: [2, 3], strides: [1, 2] });
    pool('MaxPool', [1, 2, 9, 8], { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'SAME_LOWER' });
    pool('MaxPool', [2, 3, 15], { kernel_shape: [3], strides: [2], pads: [1, 1] });
    pool('MaxPool', [1, 2, 6, 5, 7], { kernel_shape: [2, 3, 2], strides: [2, 1, 2], pads: [0, 1, 1, 1, 1, 0] });
    checkOpLowering({ op: 'MaxPool', inputs: [['i8', [1, 2, 6, 6]]], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, opset: 12, range: [-128, 128] });
  });
  it('AveragePool: count_include_pad, ceil_mode, dilations', () => {
    for (const count_include_pad of [0, 1]) {
      pool('AveragePool', [2, 3, 9, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad });
      pool('AveragePool', [1, 2, 13], { kernel_shape: [4], strides: [3], pads: [1, 2], count_include_pad });
      pool('AveragePool', [1, 2, 10, 9], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, count_include_pad });
      pool('AveragePool', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad });
      pool('AveragePool', [1, 2, 11, 10], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1], count_include_pad });
    }
  });
  it('LpPool and global pools', () => {
    for (const p of [1, 2, 3]) pool('LpPool', [1, 3, 8, 7], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], p }, 18);
    for (const op of ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']) {
      pool(op, [2, 3, 5, 4], {});
      pool(op, [2, 3, 7], {});
    }
  });
});

describe('matrix products', () => {
  it('MatMul: 2-D, 1-D operands, batched with broadcasting', () => {
    checkOpLowering({ op: 'MatMul', inputs: [f32(3, 4), f32(4, 5)] });
    checkOpLowering({ op: 'MatMul', inputs: [f32(4), f32(4, 5)] });
    checkOpLowering({ op: 'MatMul', inputs: [f32(2, 3, 4), f32(4)] });
    checkOpLowering({ op: 'MatMul', inputs: [f32(2, 1, 3, 4), f32(3, 4, 2)] });
  });
  it('Gemm: transposes, alpha, beta, broadcast C', () => {
    checkOpLowering({ op: 'Gemm', inputs: [f32(3, 4), f32(5, 4), f32(5)], attrs: { transB: 1 } });
    checkOpLowering({ op: 'Gemm', inputs: [f32(4, 3), f32(4, 5), f32(3, 1)], attrs: { transA: 1, alpha: float(0.5), beta: float(2) } });
    checkOpLowering({ op: 'Gemm', inputs: [f32(3, 4), f32(4, 5)] });
  });
  it('Einsum: contraction, batch, transpose, diagonal', () => {
    checkOpLowering({ op: 'Einsum', inputs: [f32(2, 3, 4), f32(2, 4, 5)], attrs: { equation: 'bij,bjk->bik' } });
    checkOpLowering({ op: 'Einsum', inputs: [f32(3, 4)], attrs: { equation: 'ij->ji' } });
    checkOpLowering({ op: 'Einsum', inputs: [f32(4, 4)], attrs: { equation: 'ii->i' } });
    checkOpLowering({ op: 'Einsum', inputs: [f32(2, 3), f32(3)], attrs: { equation: 'ij,j->' } });
  });
});

describe('normalizations and softmax', () => {
  it('BatchNormalization, InstanceNormalization, GroupNormalization', () => {
    checkOpLowering({ op: 'BatchNormalization', inputs: [f32(2, 3, 4, 5), f32(3), f32(3), f32(3), ['f32', [3]]], range: [0.1, 2] });
    checkOpLowering({ op: 'InstanceNormalization', inputs: [f32(2, 3, 4, 5), f32(3), f32(3)] });
    checkOpLowering({ op: 'GroupNormalization', inputs: [f32(2, 6, 3, 3), f32(3), f32(3)], attrs: { num_groups: 3 }, opset: 18 });
    checkOpLowering({ op: 'GroupNormalization', inputs: [f32(2, 6, 3, 3), f32(6), f32(6)], attrs: { num_groups: 2 }, opset: 21 });
  });
  it('LayerNormalization: last axis, several axes, optional outputs', () => {
    checkOpLowering({ op: 'LayerNormalization', inputs: [f32(2, 3, 8), f32(8), f32(8)] });
    checkOpLowering({ op: 'LayerNormalization', inputs: [f32(2, 3, 4), f32(3, 4)], attrs: { axis: 1, epsilon: float(1e-3) } });
    checkOpLowering({ op: 'LayerNormalization', inputs: [f32(2, 5), f32(5), f32(5)], outputs: 3 });
  });
  it('Softmax, LogSoftmax, Hardmax on inner and outer axes', () => {
    for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
      checkOpLowering({ op, inputs: [f32(2, 3, 5)], range: [-5, 5] });
      checkOpLowering({ op, inputs: [f32(2, 3, 5)], attrs: { axis: 1 }, range: [-5, 5] });
      checkOpLowering({ op, inputs: [f32(2, 3, 5)], attrs: { axis: 1 }, opset: 11 });
    }
  });
  it('LRN and MeanVarianceNormalization', () => {
    checkOpLowering({ op: 'LRN', inputs: [f32(1, 5, 3, 3)], attrs: { size: 3, alpha: float(0.01) } });
    checkOpLowering({ op: 'LRN', inputs: [f32(1, 6, 2, 2)], attrs: { size: 4 } });
    checkOpLowering({ op: 'MeanVarianceNormalization', inputs: [f32(2, 3, 4, 5)] });
    checkOpLowering({ op: 'MeanVarianceNormalization', inputs: [f32(2, 3, 4)], attrs: { axes: [2] } });
  });
});

describe('reductions', () => {
  const ops = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
  for (const op of ops) {
    it(op, () => {
      const range: [number, number] = op === 'ReduceLogSum' ? [0.1, 2] : [-2, 2];
      checkOpLowering({ op, inputs: [f32(2, 3, 4), i64([1])], opset: 18, range });
      checkOpLowering({ op, inputs: [f32(2, 3, 4), i64([0, -1])], attrs: { keepdims: 0 }, opset: 18, range });
      checkOpLowering({ op, inputs: [f32(2, 3, 4)], opset: 18, range });
      checkOpLowering({ op, inputs: [f32(2, 3)], attrs: { noop_with_empty_axes: 1 }, opset: 18, range });
    });
  }
  it('ArgMax, ArgMin with keepdims and select_last_index', () => {
    const v = Tensor.fromNumbers('f32', [2, 4], [1, 3, 3, 0, 2, 2, -1, 2]);
    for (const op of ['ArgMax', 'ArgMin']) {
      checkOpLowering({ op, inputs: [f32(2, 3, 4)], attrs: { axis: 1 } });
      checkOpLowering({ op, inputs: [f32(2, 3, 4)], attrs: { axis: 2, keepdims: 0 } });
      checkOpLowering({ op, inputs: [f32(2, 4)], attrs: { axis: 1, select_last_index: 1 }, values: { 0: v } });
      checkOpLowering({ op, inputs: [f32(2, 4)], attrs: { axis: 1 }, values: { 0: v } });
    }
  });
  it('CumSum: forward, exclusive, reverse', () => {
    for (const exclusive of [0, 1]) for (const reverse of [0, 1]) {
      checkOpLowering({ op: 'CumSum', inputs: [f32(3, 5), Tensor.i64([1], [])], attrs: { exclusive, reverse } });
    }
  });
});

describe('quantized kernels', () => {
  const u8 = (...shape: number[]): [DType, number[]] => ['u8', shape];
  const s = (v: number) => Tensor.scalar('f32', v);
  const zp = (v: number, dtype: DType = 'u8') => Tensor.fromNumbers(dtype, [], [v]);
  it('QuantizeLinear and DequantizeLinear, per tensor and per axis', () => {
    checkOpLowering({ op: 'QuantizeLinear', inputs: [f32(3, 4), s(0.02), zp(128)], range: [-4, 4] });
    checkOpLowering({ op: 'QuantizeLinear', inputs: [f32(3, 4), Tensor.fromNumbers('f32', [4], [0.01, 0.02, 0.03, 0.05]), Tensor.fromNumbers('i8', [4], [0, 1, -2, 3])], attrs: { axis: 1 } });
    checkOpLowering({ op: 'DequantizeLinear', inputs: [u8(3, 4), s(0.05), zp(120)], range: [0, 256] });
    checkOpLowering({ op: 'DequantizeLinear', inputs: [u8(3, 4), Tensor.fromNumbers('f32', [3], [0.1, 0.2, 0.3]), Tensor.fromNumbers('u8', [3], [1, 2, 3])], attrs: { axis: 0 }, range: [0, 256] });
  });
  it('DynamicQuantizeLinear: scale, zero point and values', () => {
    checkOpLowering({ op: 'DynamicQuantizeLinear', inputs: [f32(3, 5)], outputs: 3, range: [-3, 2] });
    checkOpLowering({ op: 'DynamicQuantizeLinear', inputs: [f32(4)], outputs: 3, range: [0.5, 2] });
  });
  it('MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv', () => {
    const r: [number, number] = [0, 256];
    checkOpLowering({ op: 'MatMulInteger', inputs: [u8(3, 4), u8(4, 5), zp(100), zp(90)], range: r });
    checkOpLowering({ op: 'ConvInteger', inputs: [u8(1, 2, 5, 5), u8(3, 2, 3, 3), zp(100), zp(90)], attrs: { pads: [1, 1, 1, 1] }, range: r });
    checkOpLowering({ op: 'QLinearMatMul', inputs: [u8(3, 4), s(0.02), zp(100), u8(4, 5), s(0.03), zp(90), s(0.5), zp(128)], range: r });
    checkOpLowering({
      op: 'QLinearConv', range: r, attrs: { pads: [1, 1, 1, 1], strides: [2, 2] },
      inputs: [u8(1, 2, 5, 5), s(0.02), zp(100), u8(4, 2, 3, 3), Tensor.fromNumbers('f32', [4], [0.01, 0.02, 0.03, 0.04]), Tensor.fromNumbers('u8', [4], [90, 91, 92, 93]), s(0.2), zp(128), Tensor.fromNumbers('i32', [4], [5, -7, 100, 0])],
    });
  });
});

describe('what is not lowered fails clearly', () => {
  const single = (op: string, shape: (number | string)[], outShape: (number | string)[]) => Graph.build({
    name: 'g', opsets: { '': 17 }, inputs: [{ name: 'x', type: { dtype: 'f32', shape } }], constants: [],
    nodes: [{ name: 'n0', op, inputs: ['x'], outputs: ['y'] }], outputs: ['y'],
    types: new Map([['y', { dtype: 'f32', shape: outShape }]]),
  }).nodes[0];
  it('ops in NOT_LOWERED raise E_UNSUPPORTED naming the node and the reason', () => {
    expect(Object.keys(NOT_LOWERED)).toContain('NonZero');
    let err: unknown;
    try { lowerNode(single('NonZero', [3], [1, 3])); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TsccError);
    expect((err as TsccError).code).toBe('E_UNSUPPORTED');
    expect((err as Error).message).toMatch(/node "n0" \(NonZero\).*depends on the data/);
  });
  it('an op with no rule is unsupported, a symbolic dim asks for --shape', () => {
    expect(() => lowerNode(single('NoSuchOp', [3], [3]))).toThrow(/no compute rule for NoSuchOp/);
    expect(() => lowerNode(single('Relu', ['N', 3], ['N', 3]))).toThrow(/symbolic dim "N".*--shape/);
  });
});
