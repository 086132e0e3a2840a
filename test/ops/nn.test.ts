import { describe, expect, it } from 'vitest';
import { checkModel, checkOp, oneOpModel } from '../helpers/check.ts';
import { OnnxBuilder, float } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { TsccError } from '../../src/util/errors.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';

type Attrs = Record<string, number | string | number[] | ReturnType<typeof float>>;
const f32 = (...shape: number[]): [DType, number[]] => ['f32', shape];

describe('Conv matches onnxruntime', () => {
  const conv = (x: number[], w: number[], attrs: Attrs = {}, bias = true, opset = 17) =>
    checkOp({ op: 'Conv', inputs: [f32(...x), f32(...w), ...(bias ? [f32(w[0])] : [])], attrs, opset });
  it('2-D with bias, and without', async () => {
    await conv([2, 3, 9, 8], [4, 3, 3, 3]);
    await conv([1, 3, 9, 8], [4, 3, 3, 3], {}, false);
  });
  it('strides, asymmetric pads, dilations, explicit kernel_shape', async () => {
    await conv([1, 3, 11, 10], [5, 3, 3, 2], { strides: [2, 3], pads: [1, 0, 2, 1], kernel_shape: [3, 2] });
    await conv([1, 2, 12, 12], [3, 2, 3, 3], { dilations: [2, 3], pads: [2, 2, 2, 2] });
    await conv([1, 2, 13, 12], [3, 2, 3, 3], { strides: [2, 2], dilations: [2, 1], pads: [1, 1, 1, 1] });
  });
  it('groups and depthwise', async () => {
    await conv([2, 6, 7, 7], [4, 3, 3, 3], { group: 2, pads: [1, 1, 1, 1] });
    await conv([1, 8, 10, 10], [8, 1, 3, 3], { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] });
    await conv([1, 4, 9, 9], [8, 1, 5, 5], { group: 4, pads: [2, 2, 2, 2] }); // depth multiplier 2
  });
  it('auto_pad SAME_UPPER / SAME_LOWER / VALID', async () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      await conv([1, 2, 9, 8], [3, 2, 4, 3], { auto_pad, strides: [2, 2] });
      await conv([1, 2, 7, 7], [3, 2, 3, 3], { auto_pad });
    }
  });
  it('1-D and 3-D', async () => {
    await conv([2, 3, 20], [4, 3, 5], { strides: [2], pads: [2, 1], dilations: [2] });
    await conv([1, 2, 6, 7, 5], [3, 2, 3, 3, 2], { strides: [1, 2, 1], pads: [1, 1, 0, 1, 0, 1] });
  });
  it('1×1 pointwise (no im2col), and a pointwise with strides', async () => {
    await conv([2, 16, 7, 7], [8, 16, 1, 1]);
    await conv([1, 16, 7, 7], [8, 16, 1, 1], { strides: [2, 2] });
  });
});

describe('ConvTranspose matches onnxruntime', () => {
  const convT = (x: number[], w: number[], attrs: Attrs = {}, bias = true) => {
    const m = w[1] * (typeof attrs.group === 'number' ? attrs.group : 1);
    return checkOp({ op: 'ConvTranspose', inputs: [f32(...x), f32(...w), ...(bias ? [f32(m)] : [])], attrs });
  };
  it('basic, strides, pads, output_padding', async () => {
    await convT([2, 3, 5, 4], [3, 2, 3, 3]);
    await convT([1, 3, 5, 4], [3, 2, 3, 3], { strides: [2, 3], pads: [1, 0, 1, 2] }, false);
    await convT([1, 2, 4, 4], [2, 3, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] });
  });
  it('dilations and groups', async () => {
    await convT([1, 4, 5, 5], [4, 2, 3, 3], { group: 2, dilations: [2, 2] });
    await convT([1, 6, 4, 5], [6, 1, 3, 3], { group: 6, strides: [2, 2] });
  });
  it('output_shape, larger and smaller than the natural size', async () => {
    await convT([1, 1, 3, 3], [1, 2, 3, 3], { strides: [3, 2], output_shape: [10, 8] });
    await convT([1, 2, 4, 3], [2, 2, 3, 3], { strides: [2, 2], output_shape: [8, 6] });
  });
  it('auto_pad SAME_UPPER / SAME_LOWER / VALID', async () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) await convT([1, 2, 4, 5], [2, 3, 4, 3], { auto_pad, strides: [2, 2] });
  });
  it('1-D and 3-D', async () => {
    await convT([2, 3, 7], [3, 2, 4], { strides: [2], pads: [1, 1] });
    await convT([1, 2, 3, 4, 3], [2, 2, 3, 3, 2], { strides: [2, 1, 2] });
  });
});

describe('pools match onnxruntime', () => {
  const pool = (op: string, x: number[], attrs: Attrs, opset = 19, outputs = 1) =>
    checkOp({ op, inputs: [f32(...x)], attrs, opset, outputs });
  it('MaxPool: strides, pads, ceil_mode, dilations', async () => {
    await pool('MaxPool', [2, 3, 9, 8], { kernel_shape: [3, 3], strides: [2, 2] });
    await pool('MaxPool', [1, 3, 9, 8], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] });
    await pool('MaxPool', [1, 2, 10, 9], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
    await pool('MaxPool', [1, 2, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 });
    await pool('MaxPool', [1, 2, 11, 10], { kernel_shape: [3, 2], dilations: [2, 3], strides: [1, 2] });
  });
  it('MaxPool: auto_pad, 1-D and 3-D', async () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      await pool('MaxPool', [1, 2, 9, 8], { kernel_shape: [3, 2], strides: [2, 2], auto_pad });
      await pool('MaxPool', [1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], dilations: [2, 2], auto_pad });
    }
    await pool('MaxPool', [2, 3, 15], { kernel_shape: [3], strides: [2], pads: [1, 1] });
    await pool('MaxPool', [1, 2, 6, 5, 7], { kernel_shape: [2, 3, 2], strides: [2, 1, 2], pads: [0, 1, 1, 1, 1, 0] });
  });
  it('MaxPool: Indices output, row- and column-major, 1-D to 3-D', async () => {
    for (const storage_order of [0, 1]) {
      await pool('MaxPool', [2, 3, 7, 6], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], storage_order }, 19, 2);
      await pool('MaxPool', [1, 2, 5, 4, 6], { kernel_shape: [2, 2, 3], strides: [1, 2, 2], storage_order }, 19, 2);
    }
    await pool('MaxPool', [2, 3, 11], { kernel_shape: [3], strides: [2], dilations: [2] }, 19, 2);
  });
  it('MaxPool on int8 and uint8', async () => {
    await checkOp({ op: 'MaxPool', inputs: [['i8', [1, 2, 6, 6]]], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, opset: 12 }, { range: [-128, 128] });
    await checkOp({ op: 'MaxPool', inputs: [['u8', [1, 2, 6, 6]]], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, opset: 12 }, { range: [0, 256] });
  });
  it('AveragePool: count_include_pad, pads, strides', async () => {
    for (const count_include_pad of [0, 1]) {
      await pool('AveragePool', [2, 3, 9, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad });
      await pool('AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 2], pads: [2, 0, 1, 1], count_include_pad });
      await pool('AveragePool', [1, 2, 13], { kernel_shape: [4], strides: [3], pads: [1, 2], count_include_pad });
      await pool('AveragePool', [1, 2, 5, 6, 7], { kernel_shape: [2, 3, 3], pads: [1, 1, 1, 1, 1, 1], strides: [2, 2, 2], count_include_pad });
    }
  });
  it('AveragePool: ceil_mode (with and without padding), auto_pad', async () => {
    for (const count_include_pad of [0, 1]) {
      await pool('AveragePool', [1, 2, 10, 9], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, count_include_pad });
      await pool('AveragePool', [1, 2, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad });
    }
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      await pool('AveragePool', [1, 2, 9, 8], { kernel_shape: [3, 2], strides: [2, 2], auto_pad });
    }
  });
  it('AveragePool: dilations (opset 19)', async () => {
    await pool('AveragePool', [1, 2, 11, 10], { kernel_shape: [3, 2], dilations: [2, 3] });
    await pool('AveragePool', [1, 2, 11, 10], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 });
  });
  it('LpPool: p = 1, 2, 3, with pads and strides', async () => {
    for (const p of [1, 2, 3]) await pool('LpPool', [1, 3, 8, 7], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], p }, 18);
    await pool('LpPool', [2, 2, 9], { kernel_shape: [3], strides: [2] }, 11);
  });
  it('global pools', async () => {
    for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
      await pool(op, [2, 3, 5, 4], {});
      await pool(op, [2, 3, 7], {});
      await pool(op, [1, 2, 3, 4, 5], {});
    }
    await pool('GlobalLpPool', [2, 3, 5, 4], {});
    await pool('GlobalLpPool', [2, 3, 5, 4], { p: 3 });
  });
});

describe('matrix products match onnxruntime', () => {
  it('MatMul: 2-D, 1-D operands, batched with broadcasting', async () => {
    const cases: [number[], number[]][] = [
      [[5, 7], [7, 3]], [[7], [7, 3]], [[5, 7], [7]], [[7], [7]],
      [[2, 1, 4, 6], [3, 6, 5]], [[3, 4, 6], [6, 5]], [[6], [2, 6, 5]], [[2, 3, 4, 6], [6]],
      [[33, 130], [130, 1030]], // crosses the k and j blocking
    ];
    for (const [a, b] of cases) await checkOp({ op: 'MatMul', inputs: [f32(...a), f32(...b)] });
  });
  it('MatMul on int32, int64 and f64', async () => {
    await checkOp({ op: 'MatMul', inputs: [['i32', [3, 4]], ['i32', [4, 5]]] }, { range: [-20, 20] });
    await checkOp({ op: 'MatMul', inputs: [['i64', [2, 3, 4]], ['i64', [4, 2]]] }, { range: [-20, 20] });
    await checkOp({ op: 'MatMul', inputs: [['f64', [3, 4]], ['f64', [4, 5]]] });
  });
  it('Gemm: transA, transB, alpha, beta and every C shape', async () => {
    const gemm = (a: number[], b: number[], c: number[] | null, attrs: Attrs) =>
      checkOp({ op: 'Gemm', inputs: [f32(...a), f32(...b), ...(c ? [f32(...c)] : [])], attrs, opset: 13 });
    for (const [transA, transB] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      const a = transA ? [6, 4] : [4, 6], b = transB ? [5, 6] : [6, 5];
      await gemm(a, b, [4, 5], { transA, transB, alpha: float(0.5), beta: float(2) });
    }
    for (const c of [[5], [1, 5], [4, 1], [1], []]) await gemm([4, 6], [6, 5], c, { beta: float(-1.5) });
    await gemm([4, 6], [6, 5], null, { alpha: float(3) });
  });
  it('MatMulInteger: uint8 and int8 with zero points', async () => {
    const mmi = (ad: DType, bd: DType, az: Tensor | null, bz: Tensor | null) =>
      checkOp({ op: 'MatMulInteger', inputs: [[ad, [2, 4, 7]], [bd, [7, 5]], az, ...(bz ? [bz] : [])] }, { range: ad === 'u8' ? [0, 256] : [-128, 128] });
    await mmi('u8', 'u8', Tensor.scalar('u8', 12), Tensor.scalar('u8', 140));
    await mmi('u8', 'u8', Tensor.scalar('u8', 3), Tensor.fromNumbers('u8', [5], [1, 130, 7, 255, 0]));
    await mmi('u8', 'i8', Tensor.scalar('u8', 128), Tensor.scalar('i8', -3));
    await mmi('i8', 'i8', null, null);
  });
  it('ConvInteger: uint8 with zero points', async () => {
    const attrs = { pads: [1, 1, 1, 1], strides: [2, 1] };
    await checkOp({ op: 'ConvInteger', inputs: [['u8', [1, 3, 7, 6]], ['u8', [4, 3, 3, 3]], Tensor.scalar('u8', 100), Tensor.scalar('u8', 120)], attrs }, { range: [0, 256] });
    await checkOp({ op: 'ConvInteger', inputs: [['u8', [2, 2, 5, 5]], ['u8', [2, 2, 2, 2]]] }, { range: [0, 256] });
    await checkOp({ op: 'ConvInteger', inputs: [['u8', [1, 2, 5, 5]], ['i8', [3, 2, 2, 2]], Tensor.scalar('u8', 7)] }, { range: [0, 128] });
  });
});

describe('Einsum matches onnxruntime', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk->ik', [[4, 5], [5, 3]]],
    ['bhid,bhjd->bhij', [[2, 3, 4, 8], [2, 3, 5, 8]]],
    ['bhij,bhjd->bhid', [[2, 3, 4, 5], [2, 3, 5, 8]]],
    ['bij->bji', [[2, 3, 4]]],
    ['bij,bjk->bik', [[3, 4, 5], [3, 5, 2]]],
    ['ij,jk', [[4, 5], [5, 3]]],
    ['ii->i', [[5, 5]]],
    ['ii', [[5, 5]]],
    ['ij->', [[4, 5]]],
    ['ij->j', [[4, 5]]],
    ['i,i->', [[7], [7]]],
    ['i,j->ij', [[3], [4]]],
    ['...ij,...jk->...ik', [[2, 3, 4, 5], [2, 3, 5, 2]]],
    ['...ij,...jk', [[2, 1, 4, 5], [2, 3, 5, 2]]],
    ['...ij->...ji', [[2, 3, 4]]],
    ['ij,jk,kl->il', [[3, 4], [4, 5], [5, 2]]],
    ['bn,anm,bm->ba', [[2, 3], [4, 3, 5], [2, 5]]],
    ['nchw,oc->nohw', [[2, 3, 4, 5], [6, 3]]],
  ];
  for (const [equation, shapes] of cases) {
    it(equation, async () => { await checkOp({ op: 'Einsum', inputs: shapes.map((s) => f32(...s)), attrs: { equation }, opset: 12 }); });
  }
});

describe('nn ops from older opsets match onnxruntime', () => {
  it('Conv / ConvTranspose at opset 7 and 10', async () => {
    await checkOp({ op: 'Conv', inputs: [f32(1, 2, 7, 7), f32(3, 2, 3, 3), f32(3)], attrs: { pads: [1, 1, 1, 1] }, opset: 7 });
    await checkOp({ op: 'ConvTranspose', inputs: [f32(1, 2, 4, 4), f32(2, 3, 3, 3)], attrs: { strides: [2, 2] }, opset: 10 });
  });
  it('MaxPool at opset 7, 8 (Indices) and 10 (ceil_mode)', async () => {
    await checkOp({ op: 'MaxPool', inputs: [f32(1, 2, 7, 7)], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, opset: 7 });
    await checkOp({ op: 'MaxPool', inputs: [f32(1, 2, 7, 7)], attrs: { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, opset: 8, outputs: 2 });
    await checkOp({ op: 'MaxPool', inputs: [f32(1, 2, 7, 7)], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, opset: 10 });
  });
  it('AveragePool at opset 7 (count_include_pad) and 10 (ceil_mode), LpPool at opset 7', async () => {
    await checkOp({ op: 'AveragePool', inputs: [f32(1, 2, 7, 7)], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, opset: 7 });
    await checkOp({ op: 'AveragePool', inputs: [f32(1, 2, 7, 7)], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, opset: 10 });
    await checkOp({ op: 'LpPool', inputs: [f32(1, 2, 7, 7)], attrs: { kernel_shape: [2, 2], p: 3 }, opset: 7 });
  });
  it('Gemm at opset 7 and 9 (C required), MatMul at opset 7', async () => {
    await checkOp({ op: 'Gemm', inputs: [f32(3, 4), f32(5, 4), f32(5)], attrs: { transB: 1, beta: float(0.5) }, opset: 7 });
    await checkOp({ op: 'Gemm', inputs: [f32(4, 3), f32(4, 5), f32(3, 1)], attrs: { transA: 1 }, opset: 9 });
    await checkOp({ op: 'MatMul', inputs: [f32(2, 3, 4), f32(4, 5)], opset: 7 });
  });
});

describe('nn ops with a symbolic batch, bound at run time', () => {
  it('Conv → MaxPool → GlobalAveragePool → Gemm with batch N = 3', async () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', ['N', 3, 12, 12]);
    const w = b.initializer(randomTensor('f32', [8, 3, 3, 3], 7));
    const fc = b.initializer(randomTensor('f32', [5, 8], 8));
    const c = b.op('Conv', [x, w], { pads: [1, 1, 1, 1], strides: [2, 2] });
    const p = b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] });
    const g = b.op('GlobalAveragePool', [p]);
    const flat = b.op('Flatten', [g]);
    b.output(b.op('Gemm', [flat, fc], { transB: 1 }));
    await checkModel(b.toBytes(), { shapes: { x: [3, 3, 12, 12] } });
  });
});

describe('nn shape inference', () => {
  const shapeOf = (op: string, inputs: [DType, (number | string)[]][], attrs: Attrs = {}, out = 0) => {
    const b = new OnnxBuilder({ opset: 19 });
    const names = inputs.map(([d, s], i) => b.input(`x${i}`, d, s));
    const outs = b.node(op, names, attrs, out + 1);
    for (const o of outs) b.output(o);
    return loadOnnxBytes(b.toBytes()).graph.nodes[0].outputs[out].type.shape;
  };
  it('passes the batch symbol through and computes concrete spatial sizes', () => {
    expect(shapeOf('Conv', [f32N('N', 3, 224, 224), f32N(64, 3, 7, 7)], { strides: [2, 2], pads: [3, 3, 3, 3] })).toEqual(['N', 64, 112, 112]);
    expect(shapeOf('MaxPool', [f32N('N', 64, 112, 112)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual(['N', 64, 56, 56]);
    expect(shapeOf('MaxPool', [f32N('N', 64, 112, 112)], { kernel_shape: [3, 3], strides: [2, 2] }, 1)).toEqual(['N', 64, 55, 55]);
    expect(shapeOf('ConvTranspose', [f32N('N', 4, 8, 8), f32N(4, 2, 4, 4)], { strides: [2, 2], pads: [1, 1, 1, 1], group: 2 })).toEqual(['N', 4, 16, 16]);
    expect(shapeOf('GlobalAveragePool', [f32N('N', 'C', 'H', 'W')])).toEqual(['N', 'C', 1, 1]);
  });
  it('keeps symbolic spatial dims where the window preserves size, fresh symbols elsewhere', () => {
    expect(shapeOf('Conv', [f32N('N', 3, 'H', 'W'), f32N(8, 3, 3, 3)], { pads: [1, 1, 1, 1] })).toEqual(['N', 8, 'H', 'W']);
    expect(shapeOf('Conv', [f32N('N', 3, 'H', 'W'), f32N(8, 3, 3, 3)], { auto_pad: 'SAME_UPPER' })).toEqual(['N', 8, 'H', 'W']);
    const s = shapeOf('Conv', [f32N('N', 3, 'H', 'W'), f32N(8, 3, 3, 3)], { strides: [2, 2], pads: [1, 1, 1, 1] });
    expect(s.slice(0, 2)).toEqual(['N', 8]);
    expect(s.slice(2).every((d) => typeof d === 'string' && d !== 'H' && d !== 'W')).toBe(true);
  });
  it('ceil_mode and SAME sizes as onnxruntime computes them', () => {
    expect(shapeOf('MaxPool', [f32N(1, 1, 5, 5)], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 })).toEqual([1, 1, 3, 3]);
    expect(shapeOf('AveragePool', [f32N(1, 1, 10, 9)], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })).toEqual([1, 1, 5, 4]);
    expect(shapeOf('Conv', [f32N(1, 1, 7, 8), f32N(1, 1, 4, 4)], { auto_pad: 'SAME_LOWER', strides: [2, 3] })).toEqual([1, 1, 4, 3]);
  });
  it('matrix products with symbolic dims', () => {
    expect(shapeOf('MatMul', [f32N('B', 'S', 64), f32N(64, 32)])).toEqual(['B', 'S', 32]);
    expect(shapeOf('MatMul', [f32N('B', 1, 'S', 64), f32N(8, 64, 'T')])).toEqual(['B', 8, 'S', 'T']);
    expect(shapeOf('MatMul', [f32N(64), f32N('B', 64, 32)])).toEqual(['B', 32]);
    expect(shapeOf('Gemm', [f32N(64, 'N'), f32N('M', 64)], { transA: 1, transB: 1 })).toEqual(['N', 'M']);
    expect(shapeOf('Einsum', [f32N('B', 4, 'S', 16), f32N('B', 4, 'T', 16)], { equation: 'bhid,bhjd->bhij' })).toEqual(['B', 4, 'S', 'T']);
    expect(shapeOf('MatMulInteger', [['u8', ['B', 3, 8]], ['u8', [8, 5]]])).toEqual(['B', 3, 5]);
  });
});

function f32N(...shape: (number | string)[]): [DType, (number | string)[]] { return ['f32', shape]; }

describe('nn rejects malformed models with coded errors', () => {
  const load = (op: string, inputs: [DType, number[]][], attrs: Attrs) => () => loadOnnxBytes(oneOpModel({ op, inputs, attrs, opset: 19 }));
  const bad: [string, () => unknown][] = [
    ['unknown auto_pad', load('Conv', [f32(1, 2, 5, 5), f32(3, 2, 3, 3)], { auto_pad: 'FULL' })],
    ['channel mismatch', load('Conv', [f32(1, 4, 5, 5), f32(3, 2, 3, 3)], {})],
    ['group not dividing', load('Conv', [f32(1, 6, 5, 5), f32(4, 2, 3, 3)], { group: 3 })],
    ['kernel_shape disagreeing with W', load('Conv', [f32(1, 2, 5, 5), f32(3, 2, 3, 3)], { kernel_shape: [2, 2] })],
    ['huge pads', load('Conv', [f32(1, 2, 5, 5), f32(3, 2, 3, 3)], { pads: [2 ** 40, 0, 0, 0] })],
    ['zero stride', load('MaxPool', [f32(1, 2, 5, 5)], { kernel_shape: [2, 2], strides: [0, 1] })],
    ['negative dilation', load('MaxPool', [f32(1, 2, 5, 5)], { kernel_shape: [2, 2], dilations: [-1, 1] })],
    ['pool without kernel_shape', load('AveragePool', [f32(1, 2, 5, 5)], {})],
    ['pads list of wrong length', load('MaxPool', [f32(1, 2, 5, 5)], { kernel_shape: [2, 2], pads: [1, 1] })],
    ['window larger than the input', load('MaxPool', [f32(1, 2, 3, 3)], { kernel_shape: [5, 5] })],
    ['huge output_shape', load('ConvTranspose', [f32(1, 2, 3, 3), f32(2, 2, 3, 3)], { output_shape: [2 ** 30, 3] })],
    ['MatMul inner mismatch', load('MatMul', [f32(3, 4), f32(5, 6)], {})],
    ['Gemm C not broadcastable', load('Gemm', [f32(3, 4), f32(4, 6), f32(2, 6)], {})],
    ['Einsum bad equation', load('Einsum', [f32(3, 4)], { equation: 'i1->i' })],
    ['Einsum wrong operand count', load('Einsum', [f32(3, 4)], { equation: 'ij,jk->ik' })],
    ['Einsum label size clash', load('Einsum', [f32(3, 4), f32(5, 6)], { equation: 'ij,jk->ik' })],
    ['5-D convolution', load('Conv', [f32(1, 1, 2, 2, 2, 2, 2), f32(1, 1, 1, 1, 1, 1, 1)], {})],
  ];
  for (const [what, fn] of bad) {
    it(what, () => {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err, what).toBeInstanceOf(TsccError);
    });
  }
});

describe('nn kernel speed', () => {
  it('a ResNet-50 3×3 conv layer (256→256 at 14×14) runs well under a second', () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [1, 256, 14, 14]);
    const w = b.initializer(randomTensor('f32', [256, 256, 3, 3], 2));
    b.output(b.op('Conv', [x, w], { pads: [1, 1, 1, 1] }));
    const g = loadOnnxBytes(b.toBytes()).graph;
    const input = { x: randomTensor('f32', [1, 256, 14, 14], 1) };
    runGraph(g, input); // warm up the JIT
    // CPU time, not wall time: other test workers share the machine.
    const t0 = process.cpuUsage();
    runGraph(g, input);
    const { user, system } = process.cpuUsage(t0);
    expect((user + system) / 1000).toBeLessThan(1000);
  });
});
