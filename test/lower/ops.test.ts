// Each element-wise, data-movement, indexing and creation rule on random inputs: the lowered kernel
// run by the Tensor IR interpreter equals the reference kernel within 1e-5 · max|ref|.
import { describe, it } from 'vitest';
import { float } from '../../models/builder.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { UNARY_OPS } from '../../src/ir/graph/ops/elementwise.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { checkGraphKernels, checkOpLowering, nodeGraph } from './compare.ts';

const f32 = (...shape: number[]): [DType, number[]] => ['f32', shape];
const i64 = (v: number[], shape = [v.length]) => Tensor.i64(v, shape);
const scalar = (v: number) => Tensor.scalar('f32', v);

describe('unary ops and activations', () => {
  const positive = new Set(['Log', 'Sqrt', 'Acosh', 'Reciprocal']);
  const unit = new Set(['Asin', 'Acos', 'Atanh']);
  for (const op of UNARY_OPS.filter((o) => o !== 'Clip')) {
    it(op, () => {
      const range: [number, number] = op === 'Acosh' ? [1, 4] : positive.has(op) ? [0.1, 3] : unit.has(op) ? [-0.9, 0.9] : [-3, 3];
      checkOpLowering({ op, inputs: [f32(3, 4, 5)], range });
    });
  }
  it('activations with attributes', () => {
    checkOpLowering({ op: 'LeakyRelu', inputs: [f32(2, 7)], attrs: { alpha: float(0.3) } });
    checkOpLowering({ op: 'Elu', inputs: [f32(2, 7)], attrs: { alpha: float(0.7) } });
    checkOpLowering({ op: 'Celu', inputs: [f32(2, 7)], attrs: { alpha: float(1.5) } });
    checkOpLowering({ op: 'HardSigmoid', inputs: [f32(2, 7)], attrs: { alpha: float(0.25), beta: float(0.4) }, range: [-6, 6] });
    checkOpLowering({ op: 'ThresholdedRelu', inputs: [f32(2, 7)], attrs: { alpha: float(0.5) } });
    checkOpLowering({ op: 'Gelu', inputs: [f32(2, 7)], attrs: { approximate: 'tanh' }, opset: 20 });
    checkOpLowering({ op: 'Gelu', inputs: [f32(2, 7)], opset: 20 });
    checkOpLowering({ op: 'Softplus', inputs: [f32(40)], range: [-30, 30] });
  });
  it('Clip with both, one and no bounds', () => {
    checkOpLowering({ op: 'Clip', inputs: [f32(3, 5), scalar(-0.5), scalar(0.7)] });
    checkOpLowering({ op: 'Clip', inputs: [f32(3, 5), null, scalar(0.7)] });
    checkOpLowering({ op: 'Clip', inputs: [f32(3, 5)] });
    checkOpLowering({ op: 'Clip', inputs: [f32(3, 5)], attrs: { min: float(-0.2), max: float(6) }, opset: 9 });
  });
  it('Not, IsNaN, IsInf', () => {
    checkOpLowering({ op: 'Not', inputs: [['bool', [3, 4]]] });
    const v = Tensor.fromNumbers('f32', [6], [1, NaN, Infinity, -Infinity, 0, -2]);
    checkOpLowering({ op: 'IsNaN', inputs: [f32(6)], values: { 0: v } });
    checkOpLowering({ op: 'IsInf', inputs: [f32(6)], values: { 0: v } });
    checkOpLowering({ op: 'IsInf', inputs: [f32(6)], values: { 0: v }, attrs: { detect_negative: 0 } });
  });
});

describe('binary, variadic, comparison and logic ops broadcast', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'PRelu']) {
    it(op, () => {
      checkOpLowering({ op, inputs: [f32(2, 3, 4), f32(3, 1)] });
      checkOpLowering({ op, inputs: [f32(1, 4), f32(3, 1)] });
    });
  }
  it('Pow with tensor and scalar exponents', () => {
    checkOpLowering({ op: 'Pow', inputs: [f32(3, 4), f32(4)], range: [0.5, 2] });
    checkOpLowering({ op: 'Pow', inputs: [f32(3, 4), scalar(2)] });
    checkOpLowering({ op: 'Pow', inputs: [f32(3, 4), scalar(3)] });
    checkOpLowering({ op: 'Pow', inputs: [f32(3, 4), scalar(0.5)], range: [0, 3] });
  });
  it('integer Div truncates and Mod follows the divisor or the dividend (fmod)', () => {
    const a = Tensor.fromNumbers('i32', [6], [7, -7, 7, -7, 0, 9]), b = Tensor.fromNumbers('i32', [6], [2, 2, -2, -2, 3, 4]);
    checkOpLowering({ op: 'Div', inputs: [['i32', [6]], ['i32', [6]]], values: { 0: a, 1: b } });
    checkOpLowering({ op: 'Mod', inputs: [['i32', [6]], ['i32', [6]]], values: { 0: a, 1: b } });
    checkOpLowering({ op: 'Mod', inputs: [f32(3, 4), f32(4)], attrs: { fmod: 1 }, range: [-5, 5] });
  });
  it('Sum, Mean, Max, Min of three inputs', () => {
    for (const op of ['Sum', 'Mean', 'Max', 'Min']) checkOpLowering({ op, inputs: [f32(2, 3), f32(3), f32(2, 1)] });
  });
  it('comparisons and logic', () => {
    for (const op of ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']) {
      checkOpLowering({ op, inputs: [['i32', [3, 4]], ['i32', [4]]], range: [-2, 2] });
    }
    for (const op of ['And', 'Or', 'Xor']) checkOpLowering({ op, inputs: [['bool', [3, 4]], ['bool', [1, 4]]] });
  });
  it('Where and Cast', () => {
    checkOpLowering({ op: 'Where', inputs: [['bool', [3, 1]], f32(3, 4), f32(4)] });
    checkOpLowering({ op: 'Cast', inputs: [f32(3, 4)], attrs: { to: 6 }, range: [-5, 5] });
    checkOpLowering({ op: 'Cast', inputs: [f32(3, 4)], attrs: { to: 9 } });
    checkOpLowering({ op: 'Cast', inputs: [['i32', [3, 4]]], attrs: { to: 1 }, range: [-9, 9] });
    checkOpLowering({ op: 'Cast', inputs: [f32(3, 4)], attrs: { to: 10 } });
    checkOpLowering({ op: 'CastLike', inputs: [f32(3, 4), ['i32', [1]]], range: [-5, 5] });
  });
});

describe('data movement', () => {
  it('views: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout', () => {
    checkOpLowering({ op: 'Reshape', inputs: [f32(2, 3, 4), i64([4, -1])] });
    checkOpLowering({ op: 'Reshape', inputs: [f32(2, 3, 4), i64([0, 2, 2, 3])] });
    checkOpLowering({ op: 'Reshape', inputs: [f32(6, 4), i64([2, 3, 1, 4])] });
    checkOpLowering({ op: 'Flatten', inputs: [f32(2, 3, 4, 5)], attrs: { axis: 2 } });
    checkOpLowering({ op: 'Squeeze', inputs: [f32(2, 1, 4, 1), i64([1, 3])] });
    checkOpLowering({ op: 'Unsqueeze', inputs: [f32(2, 4), i64([0, 3])] });
    checkOpLowering({ op: 'Identity', inputs: [f32(2, 4)] });
    checkOpLowering({ op: 'Dropout', inputs: [f32(2, 4)], outputs: 2 });
  });
  it('Transpose, Expand, Tile', () => {
    checkOpLowering({ op: 'Transpose', inputs: [f32(2, 3, 4)], attrs: { perm: [2, 0, 1] } });
    checkOpLowering({ op: 'Transpose', inputs: [f32(2, 3, 4)] });
    checkOpLowering({ op: 'Expand', inputs: [f32(3, 1), i64([2, 3, 4])] });
    checkOpLowering({ op: 'Tile', inputs: [f32(2, 1, 3), i64([2, 3, 1])] });
  });
  it('DepthToSpace (DCR, CRD) and SpaceToDepth', () => {
    checkOpLowering({ op: 'DepthToSpace', inputs: [f32(1, 8, 2, 3)], attrs: { blocksize: 2 } });
    checkOpLowering({ op: 'DepthToSpace', inputs: [f32(2, 8, 2, 3)], attrs: { blocksize: 2, mode: 'CRD' } });
    checkOpLowering({ op: 'SpaceToDepth', inputs: [f32(2, 3, 4, 6)], attrs: { blocksize: 2 } });
  });
  it('Concat, Slice, Split', () => {
    checkOpLowering({ op: 'Concat', inputs: [f32(2, 3), f32(2, 1), f32(2, 4)], attrs: { axis: 1 } });
    checkOpLowering({ op: 'Concat', inputs: [f32(1, 3), f32(2, 3)], attrs: { axis: -2 } });
    checkOpLowering({ op: 'Slice', inputs: [f32(5, 6, 7), i64([1, -1]), i64([4, -7]), i64([0, 2]), i64([2, -2])] });
    checkOpLowering({ op: 'Slice', inputs: [f32(5, 6), i64([0]), i64([1_000_000]), i64([1])] });
    checkOpLowering({ op: 'Split', inputs: [f32(2, 7), i64([3, 4])], attrs: { axis: 1 }, outputs: 2 });
    checkOpLowering({ op: 'Split', inputs: [f32(6, 2)], outputs: 3 });
  });
});

describe('indexing and creation', () => {
  it('Gather with constant, scalar and run-time (negative) indices', () => {
    checkOpLowering({ op: 'Gather', inputs: [f32(5, 4), i64([4, 0, -1, 2], [2, 2])], attrs: { axis: 0 } });
    checkOpLowering({ op: 'Gather', inputs: [f32(3, 5, 2), Tensor.i64([-2], [])], attrs: { axis: 1 } });
    const idx = Tensor.i64([1, -3, 2, 0, -1, 4], [3, 2]);
    checkOpLowering({ op: 'Gather', inputs: [f32(3, 5), ['i64', [3, 2]]], attrs: { axis: 1 }, values: { 1: idx } });
  });
  it('GatherElements and GatherND', () => {
    const idx = Tensor.i64([0, 2, -1, 1, 1, 0], [2, 3]);
    checkOpLowering({ op: 'GatherElements', inputs: [f32(2, 3), ['i64', [2, 3]]], attrs: { axis: 1 }, values: { 1: idx } });
    checkOpLowering({ op: 'GatherND', inputs: [f32(3, 4, 2), i64([0, 1, 2, 3, 1, -1], [3, 2])] });
    checkOpLowering({ op: 'GatherND', inputs: [f32(2, 3, 4), i64([1, 2, 0, 3], [2, 1, 2])], attrs: { batch_dims: 1 } });
  });
  it('Pad in every mode, with negative pads', () => {
    for (const mode of ['constant', 'reflect', 'edge', 'wrap']) {
      checkOpLowering({ op: 'Pad', inputs: [f32(3, 4), i64([1, 2, 2, 1])], attrs: { mode } });
      checkOpLowering({ op: 'Pad', inputs: [f32(3, 5), i64([0, -1, 1, 2])], attrs: { mode } });
    }
    checkOpLowering({ op: 'Pad', inputs: [f32(1, 2, 3, 3), i64([1, 1, 1, 1]), scalar(-7), i64([2, 3])], opset: 18 });
  });
  it('Shape, Size, ConstantOfShape, Range, EyeLike, Trilu, OneHot', () => {
    // The importer folds Shape and Size of static shapes, so their graphs are built directly.
    const x = { name: 'x', type: { dtype: 'f32' as DType, shape: [2, 3, 4] } };
    const xs = { x: randomTensor('f32', [2, 3, 4], 1) };
    checkGraphKernels(nodeGraph('Shape', [x], [{ dtype: 'i64', shape: [3] }]), xs);
    checkGraphKernels(nodeGraph('Shape', [x], [{ dtype: 'i64', shape: [1] }], { start: { kind: 'int', value: -2 }, end: { kind: 'int', value: 2 } }, 15), xs);
    checkGraphKernels(nodeGraph('Size', [x], [{ dtype: 'i64', shape: [] }]), xs);
    checkOpLowering({ op: 'ConstantOfShape', inputs: [i64([2, 3])], attrs: { value: Tensor.fromNumbers('f32', [1], [1.5]) } });
    checkOpLowering({ op: 'Range', inputs: [scalar(1), scalar(4), scalar(0.5)] });
    checkOpLowering({ op: 'EyeLike', inputs: [f32(3, 4)], attrs: { k: 1 } });
    checkOpLowering({ op: 'Trilu', inputs: [f32(2, 4, 5), Tensor.i64([1], [])] });
    checkOpLowering({ op: 'Trilu', inputs: [f32(4, 5)], attrs: { upper: 0 } });
    const idx = Tensor.i64([0, 2, -1, 1], [2, 2]);
    checkOpLowering({ op: 'OneHot', inputs: [['i64', [2, 2]], Tensor.i64([3], []), Tensor.fromNumbers('f32', [2], [0, 5])], attrs: { axis: 1 }, values: { 0: idx } });
  });
});

describe('Resize', () => {
  const sizes = (v: number[]) => i64(v);
  const scales = (v: number[]) => Tensor.fromNumbers('f32', [v.length], v);
  const none = Tensor.fromNumbers('f32', [0], []);
  it('nearest in every nearest_mode and coordinate mode', () => {
    for (const nearest_mode of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
      for (const coordinate_transformation_mode of ['half_pixel', 'asymmetric', 'align_corners', 'tf_half_pixel_for_nn', 'pytorch_half_pixel']) {
        checkOpLowering({ op: 'Resize', inputs: [f32(1, 2, 3, 4), none, scales([1, 1, 2.5, 1.5])], attrs: { mode: 'nearest', nearest_mode, coordinate_transformation_mode } });
      }
    }
  });
  it('linear and cubic, upsampling and downsampling, scales and sizes', () => {
    for (const coordinate_transformation_mode of ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']) {
      checkOpLowering({ op: 'Resize', inputs: [f32(1, 2, 4, 5), none, scales([1, 1, 2, 0.6])], attrs: { mode: 'linear', coordinate_transformation_mode }, opset: 19 });
    }
    checkOpLowering({ op: 'Resize', inputs: [f32(1, 2, 4, 5), none, none, sizes([1, 2, 7, 3])], attrs: { mode: 'linear' } });
    checkOpLowering({ op: 'Resize', inputs: [f32(1, 1, 4, 5), none, scales([1, 1, 2, 2])], attrs: { mode: 'cubic' } });
    checkOpLowering({ op: 'Resize', inputs: [f32(1, 1, 4, 5), none, scales([1, 1, 1.5, 0.5])], attrs: { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: float(-0.5) } });
  });
  it('half_pixel_symmetric (its coordinate is computed in f64, rounded once)', () => {
    checkOpLowering({ op: 'Resize', inputs: [f32(1, 2, 4, 5), none, scales([1, 1, 2, 0.6])], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19 });
    checkOpLowering({ op: 'Resize', inputs: [f32(1, 2, 4, 5), none, scales([1, 1, 2, 0.6])], attrs: { mode: 'nearest', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19 });
  });
  it('tf_crop_and_resize extrapolates outside the roi', () => {
    const roi = Tensor.fromNumbers('f32', [8], [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3]);
    checkOpLowering({ op: 'Resize', inputs: [f32(1, 1, 4, 5), roi, none, sizes([1, 1, 5, 6])], attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: float(-3) } });
  });
});
