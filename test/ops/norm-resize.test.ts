// Resize (and Upsample / Resize-10 through the opset adapters) against onnxruntime.
import { describe, expect, it } from 'vitest';
import { checkModel, checkOp, oneOpModel, type OneOp } from '../helpers/check.ts';
import { float, floats, OnnxBuilder } from '../../models/builder.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { TsccError } from '../../src/util/errors.ts';

const scales = (...v: number[]) => Tensor.fromNumbers('f32', [v.length], v);
const sizes = (...v: number[]) => Tensor.i64(v);
const roi = (...v: number[]) => Tensor.fromNumbers('f32', [v.length], v);
type Attrs = OneOp['attrs'];

const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];

/** Resize of a graph input with constant scales (or sizes when `bySize`). */
/** Resize of a graph input with constant scales (or sizes when `bySize`); opset 11–12 need roi and scales present. */
function resize(shape: number[], target: Tensor, attrs: Attrs, opset = 13, bySize = false, r: Tensor | null = null): OneOp {
  const empty = opset < 13 ? Tensor.fromNumbers('f32', [0], []) : null;
  return { op: 'Resize', inputs: [['f32', shape], r ?? empty, bySize ? empty : target, bySize ? target : null], attrs, opset };
}

function errorCode(op: OneOp): string {
  try { loadOnnxBytes(oneOpModel(op)); } catch (e) { if (e instanceof TsccError) return e.code; throw e; }
  return 'no error';
}

describe('Resize nearest matches onnxruntime', () => {
  it('2x upsampling as in PP-OCR (asymmetric + floor) and the default modes', async () => {
    await checkOp(resize([1, 3, 5, 7], scales(1, 1, 2, 2), { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, 11));
    await checkOp(resize([1, 3, 5, 7], scales(1, 1, 2, 2), {}));
  });
  for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
    it(`nearest_mode ${nearest} with every coordinate mode, up and down`, async () => {
      for (const coord of [...COORDS, 'tf_half_pixel_for_nn']) {
        const attrs = { mode: 'nearest', coordinate_transformation_mode: coord, nearest_mode: nearest };
        await checkOp(resize([2, 2, 5, 6], scales(1, 1, 2.5, 1.5), attrs, coord === 'tf_half_pixel_for_nn' ? 11 : 13));
        await checkOp(resize([2, 2, 9, 8], scales(1, 1, 0.5, 0.7), attrs, coord === 'tf_half_pixel_for_nn' ? 11 : 13));
        await checkOp(resize([1, 2, 4, 5], sizes(1, 2, 7, 3), attrs, coord === 'tf_half_pixel_for_nn' ? 11 : 13, true));
      }
    });
  }
  it('half_pixel_symmetric (opset 19)', async () => {
    await checkOp(resize([1, 2, 5, 6], scales(1, 1, 1.7, 2.3), { coordinate_transformation_mode: 'half_pixel_symmetric' }, 19));
  });
  it('integer data (int32, int8, uint8) and 1-D / 5-D tensors', async () => {
    for (const dt of ['i32', 'i8', 'u8'] as const) {
      await checkOp({ op: 'Resize', inputs: [[dt, [1, 2, 3, 4]], null, scales(1, 1, 2, 1.5)], opset: 13 }, { range: [0, 100] });
    }
    await checkOp(resize([7], scales(2.2), { nearest_mode: 'floor' }));
    await checkOp(resize([1, 2, 3, 4, 5], scales(1, 1, 2, 0.5, 1.5), { coordinate_transformation_mode: 'asymmetric' }));
  });
});

describe('Resize linear and cubic match onnxruntime', () => {
  for (const coord of [...COORDS, 'half_pixel_symmetric']) {
    it(`linear 4-D with ${coord}, up, down, by sizes`, async () => {
      const opset = coord === 'half_pixel_symmetric' ? 19 : 13;
      const attrs = { mode: 'linear', coordinate_transformation_mode: coord };
      await checkOp(resize([2, 3, 5, 6], scales(1, 1, 2, 1.5), attrs, opset));
      await checkOp(resize([2, 3, 9, 8], scales(1, 1, 0.6, 0.3), attrs, opset));
      await checkOp(resize([1, 2, 4, 5], sizes(1, 2, 7, 1), attrs, opset, true));
    });
  }
  it('linear on 2-D, 3-D [N, C, W] (1-D resize), 5-D (trilinear) and NHWC-style inner axes', async () => {
    await checkOp(resize([5, 6], scales(1.5, 2), { mode: 'linear' }));
    await checkOp(resize([2, 3, 7], scales(1, 1, 2.5), { mode: 'linear', coordinate_transformation_mode: 'align_corners' }));
    await checkOp(resize([1, 2, 3, 4, 5], scales(1, 1, 2, 1.5, 0.6), { mode: 'linear' }));
    await checkOp(resize([1, 5, 6, 3], scales(1, 2, 1.5, 1), { mode: 'linear' }));
  });
  it('cubic with coefficient and exclude_outside variants', async () => {
    for (const coord of COORDS) {
      await checkOp(resize([1, 2, 5, 6], scales(1, 1, 2, 1.6), { mode: 'cubic', coordinate_transformation_mode: coord }));
    }
    await checkOp(resize([1, 2, 8, 9], scales(1, 1, 0.6, 0.5), { mode: 'cubic', cubic_coeff_a: float(-0.5) }));
    await checkOp(resize([1, 2, 5, 6], scales(1, 1, 1.8, 2.5), { mode: 'cubic', exclude_outside: 1 }));
    await checkOp(resize([5, 6], scales(2.5, 1.5), { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: float(-0.5) }));
  });
  it('tf_crop_and_resize with roi and extrapolation_value, every mode', async () => {
    const r = roi(0, 0, 0.2, -0.1, 1, 1, 0.9, 1.3);
    for (const mode of ['nearest', 'linear', 'cubic']) {
      const attrs = { mode, coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: float(7.5) };
      await checkOp(resize([1, 2, 5, 6], scales(1, 1, 1.6, 1.5), attrs, 13, false, r));
      await checkOp(resize([1, 2, 5, 6], sizes(1, 2, 1, 4), attrs, 13, true, r));
    }
  });
});

describe('Resize edge cases match onnxruntime', () => {
  it('f16 data (linear computes in f32; nearest copies bits)', async () => {
    for (const mode of ['linear', 'nearest']) {
      await checkOp({ op: 'Resize', inputs: [['f16', [1, 2, 3, 4]], null, scales(1, 1, 2, 1.5)], attrs: { mode }, opset: 13 }, { tol: 2e-3 });
    }
  });
  it('outputs and inputs of size 1 on the resized axes', async () => {
    await checkOp(resize([1, 2, 4, 5], sizes(1, 2, 1, 1), { mode: 'linear' }, 13, true));
    await checkOp(resize([1, 2, 4, 5], sizes(1, 2, 1, 3), { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, 13, true));
    await checkOp(resize([1, 2, 1, 1], scales(1, 1, 3, 2), { mode: 'cubic' }));
  });
  it('sizes computed from the input shape (symbolic batch), bound and run', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', ['N', 3, 'H', 'W']);
    const nc = b.op('Slice', [b.op('Shape', [x]), b.initializer(Tensor.i64([0])), b.initializer(Tensor.i64([2]))]);
    b.output(b.op('Resize', [x, '', '', b.op('Concat', [nc, b.initializer(sizes(16, 24))], { axis: 0 })], { mode: 'linear' }));
    const g = loadOnnxBytes(b.toBytes()).graph;
    expect(g.nodes[g.nodes.length - 1].outputs[0].type.shape).toEqual(['N', 3, 16, 24]);
    await checkModel(b.toBytes(), { shapes: { x: [2, 3, 5, 7] } });
  });
});

describe('Resize opset 18 attributes match onnxruntime', () => {
  it('axes with scales and sizes', async () => {
    await checkOp(resize([1, 2, 5, 6], scales(2, 1.5), { mode: 'linear', axes: [2, 3] }, 18));
    await checkOp(resize([1, 2, 5, 6], sizes(3, 9), { axes: [-1, 2] }, 18, true));
    const tf = { mode: 'linear', axes: [2, 3], coordinate_transformation_mode: 'tf_crop_and_resize' };
    await checkOp(resize([1, 2, 5, 6], sizes(4, 4), tf, 18, true, roi(0.1, 0.2, 0.8, 0.9)));
  });
  it('keep_aspect_ratio_policy not_larger / not_smaller', async () => {
    for (const policy of ['not_larger', 'not_smaller']) {
      await checkOp(resize([1, 2, 5, 6], sizes(1, 2, 9, 9), { keep_aspect_ratio_policy: policy }, 18, true));
      await checkOp(resize([1, 2, 5, 6], sizes(7, 4), { axes: [2, 3], keep_aspect_ratio_policy: policy }, 18, true));
    }
  });
  it('antialias for linear and cubic downscaling (and upscaling)', async () => {
    for (const mode of ['linear', 'cubic']) {
      await checkOp(resize([1, 2, 12, 10], scales(1, 1, 0.5, 0.35), { mode, antialias: 1 }, 18));
      await checkOp(resize([1, 2, 12, 10], scales(1, 1, 0.4, 0.6), { mode, antialias: 1, exclude_outside: 1 }, 18));
      await checkOp(resize([1, 2, 12, 10], sizes(1, 2, 5, 7), { mode, antialias: 1, coordinate_transformation_mode: 'align_corners' }, 18, true));
      await checkOp(resize([1, 2, 4, 5], scales(1, 1, 2, 1.5), { mode, antialias: 1 }, 18));
    }
  });
});

describe('Upsample and Resize-10 through the opset adapters match onnxruntime', () => {
  it('Upsample-9 nearest and linear (scales input)', async () => {
    await checkOp({ op: 'Upsample', inputs: [['f32', [1, 2, 3, 4]], scales(1, 1, 2, 3)], attrs: { mode: 'nearest' }, opset: 9 });
    await checkOp({ op: 'Upsample', inputs: [['f32', [1, 2, 3, 4]], scales(1, 1, 2.5, 1.5)], attrs: { mode: 'nearest' }, opset: 9 });
    await checkOp({ op: 'Upsample', inputs: [['f32', [1, 2, 3, 4]], scales(1, 1, 2, 2.5)], attrs: { mode: 'linear' }, opset: 9 });
  });
  it('Upsample-7 with the scales attribute', async () => {
    await checkOp({ op: 'Upsample', inputs: [['f32', [1, 2, 3, 4]]], attrs: { mode: 'nearest', scales: floats([1, 1, 2, 2]) }, opset: 7 });
    await checkOp({ op: 'Upsample', inputs: [['f32', [1, 2, 3, 4]]], attrs: { mode: 'linear', scales: floats([1, 1, 1.5, 2]) }, opset: 8 });
  });
  it('Resize-10 nearest (up, down, mixed) and linear', async () => {
    await checkOp({ op: 'Resize', inputs: [['f32', [1, 2, 4, 5]], scales(1, 1, 2, 1.5)], attrs: { mode: 'nearest' }, opset: 10 });
    await checkOp({ op: 'Resize', inputs: [['f32', [1, 2, 9, 8]], scales(1, 1, 0.5, 0.7)], attrs: { mode: 'nearest' }, opset: 10 });
    await checkOp({ op: 'Resize', inputs: [['f32', [1, 2, 9, 5]], scales(1, 1, 0.6, 2.5)], attrs: { mode: 'nearest' }, opset: 10 });
    await checkOp({ op: 'Resize', inputs: [['f32', [1, 2, 4, 5]], scales(1, 1, 0.6, 1.5)], attrs: { mode: 'linear' }, opset: 10 });
  });
});

describe('Resize shape inference', () => {
  it('keeps symbolic dims with scale 1, floors float32 products, and invents dims it cannot compute', () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', ['N', 3, 'H', 10]);
    b.output(b.op('Resize', [x, '', b.initializer(scales(1, 1, 2, 0.7))]));
    const [n, c, h, w] = loadOnnxBytes(b.toBytes()).graph.nodes[0].outputs[0].type.shape;
    expect([n, c, w]).toEqual(['N', 3, 7]); // 0.7f · 10 is exactly 7 in float32
    expect(typeof h === 'string' && h !== 'H').toBe(true);
  });
  it('uses constant sizes, and fresh dims for run-time sizes', () => {
    const b = new OnnxBuilder({ opset: 13 });
    const x = b.input('x', 'f32', ['N', 3, 8, 8]);
    b.output(b.op('Resize', [x, '', '', b.initializer(sizes(1, 3, 16, 4))]));
    b.output(b.op('Resize', [x, '', '', b.input('s', 'i64', [4])]));
    const g = loadOnnxBytes(b.toBytes()).graph;
    expect(g.nodes[0].outputs[0].type.shape).toEqual([1, 3, 16, 4]);
    expect(g.nodes[1].outputs[0].type.shape.every((d) => typeof d === 'string')).toBe(true);
  });
  it('rejects malformed models with coded errors instead of allocating', () => {
    expect(errorCode(resize([1, 3, 4, 4], scales(1, 1, 1e9, 1e9), {}))).toBe('E_SHAPE');
    expect(errorCode(resize([1, 3, 4, 4], scales(1, 1, -2, 2), {}))).toBe('E_SHAPE');
    expect(errorCode(resize([1, 3, 4, 4], scales(1, 2), {}))).toBe('E_SHAPE');
    expect(errorCode({ op: 'Resize', inputs: [['f32', [1, 3, 4, 4]], null, scales(1, 1, 2, 2), sizes(1, 3, 8, 8)], opset: 13 })).toBe('E_SHAPE');
    expect(errorCode(resize([1, 3, 4, 4], scales(1, 1, 2, 2), { mode: 'bicubic' }))).toBe('E_UNSUPPORTED');
    expect(errorCode({ op: 'Resize', inputs: [['i64', [1, 3, 4, 4]], null, scales(1, 1, 2, 2)], attrs: { mode: 'linear' }, opset: 13 })).toBe('E_UNSUPPORTED');
    expect(errorCode(resize([1, 3, 4, 4], scales(2, 2), { axes: [2, 2] }, 18))).toBe('E_SHAPE');
  });
});
