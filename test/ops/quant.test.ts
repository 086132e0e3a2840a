import { describe, expect, it } from 'vitest';
import { checkModel, checkOp } from '../helpers/check.ts';
import { OnnxBuilder, type AttrInput } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { TsccError } from '../../src/util/errors.ts';

const exact = { tol: 0 };
const f32 = (shape: number[], values: number[]) => Tensor.fromNumbers('f32', shape, values);
const q = (dtype: DType, shape: number[], values: number[]) => Tensor.fromNumbers(dtype, shape, values);
const rand = (dtype: DType, shape: number[], lo: number, hi: number, seed = 7) => randomTensor(dtype, shape, seed, lo, hi);

/** Values on and around rounding ties, to pin down round-half-to-even and saturation. */
const TIES = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.49, -3.51, 126.5, 127.5, 128.5, -128.5, 254.5, 255.5, 300, -300];

describe('QuantizeLinear matches onnxruntime bit for bit', () => {
  it('per tensor, uint8 and int8, rounding ties to even and saturating', async () => {
    for (const zp of [q('u8', [], [3]), q('i8', [], [-2])]) {
      await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [16]], f32([], [1]), zp] }, { ...exact, inputs: { in0: f32([16], TIES) } });
      await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [2, 3, 4]], f32([], [0.02]), zp] }, { ...exact, range: [-4, 4] });
    }
  });
  it('default uint8 when the zero point is omitted', async () => {
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [3, 5]], f32([], [0.01])] }, { ...exact, range: [-1, 3] });
  });
  it('per axis, positive and negative axes', async () => {
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [2, 3, 4]], f32([3], [0.01, 0.02, 0.05]), q('u8', [3], [0, 128, 255])], opset: 13 }, { ...exact, range: [-3, 3] });
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [2, 3, 4]], f32([4], [0.01, 0.02, 0.05, 0.1]), q('i8', [4], [0, 5, -5, 1])], attrs: { axis: -1 }, opset: 13 }, { ...exact, range: [-3, 3] });
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [2, 3]], f32([2], [0.03, 0.07]), q('i8', [2], [1, -1])], attrs: { axis: 0 }, opset: 13 }, { ...exact, range: [-3, 3] });
  });
  it('blocked (opset 21), including a ragged last block', async () => {
    const scale = rand('f32', [2, 3, 4], 0.01, 0.05);
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [2, 5, 4]], scale, rand('i8', [2, 3, 4], -10, 10)], attrs: { axis: 1, block_size: 2 }, opset: 21 }, { ...exact, range: [-3, 3] });
  });
  it('output_dtype without a zero point, and 16-bit types (opset 21)', async () => {
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [10]], f32([], [0.05])], attrs: { output_dtype: 3 }, opset: 21 }, { ...exact, range: [-8, 8] });
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [10]], f32([], [0.001]), q('u16', [], [30000])], opset: 21 }, { ...exact, range: [-40, 40] });
    await checkOp({ op: 'QuantizeLinear', inputs: [['f32', [10]], f32([], [0.001]), q('i16', [], [-7])], opset: 21 }, { ...exact, range: [-40, 40] });
  });
  it('float16 input and scale', async () => {
    await checkOp({ op: 'QuantizeLinear', inputs: [['f16', [12]], Tensor.fromNumbers('f16', [], [0.03]), q('i8', [], [4])], opset: 19 }, { ...exact, range: [-3, 3] });
  });
});

describe('DequantizeLinear matches onnxruntime', () => {
  it('per tensor: uint8, int8 and int32', async () => {
    await checkOp({ op: 'DequantizeLinear', inputs: [['u8', [4, 6]], f32([], [0.05]), q('u8', [], [128])] }, { range: [0, 256] });
    await checkOp({ op: 'DequantizeLinear', inputs: [['i8', [4, 6]], f32([], [0.05]), q('i8', [], [-3])] }, { range: [-128, 128] });
    await checkOp({ op: 'DequantizeLinear', inputs: [['i32', [4, 6]], f32([], [0.001])] }, { range: [-100000, 100000] });
  });
  it('per axis and blocked', async () => {
    await checkOp({ op: 'DequantizeLinear', inputs: [['i8', [3, 4]], f32([3], [0.1, 0.2, 0.3]), q('i8', [3], [0, 1, -1])], attrs: { axis: 0 }, opset: 13 }, { range: [-128, 128] });
    await checkOp({ op: 'DequantizeLinear', inputs: [['u8', [2, 3, 5]], f32([5], [0.1, 0.2, 0.3, 0.4, 0.5]), q('u8', [5], [0, 1, 2, 3, 4])], attrs: { axis: 2 }, opset: 13 }, { range: [0, 256] });
    await checkOp({ op: 'DequantizeLinear', inputs: [['i8', [6, 4]], rand('f32', [2, 4], 0.01, 0.1), rand('i8', [2, 4], -5, 5)], attrs: { axis: 0, block_size: 3 }, opset: 21 }, { range: [-128, 128] });
  });
  it('float16 scale gives a float16 output', async () => {
    await checkOp({ op: 'DequantizeLinear', inputs: [['u8', [8]], Tensor.fromNumbers('f16', [], [0.0625]), q('u8', [], [100])], opset: 19 }, { range: [0, 256], tol: 1e-3 });
  });
});

describe('sub-byte and 8-bit float quantization, through a QuantizeLinear → DequantizeLinear round trip', () => {
  // tol 1e-9 rather than 0: compareTensors scales it by max|ref|, which is Infinity when values overflow.
  const roundTrip = async (zp: Tensor | null, opset: number, attrs: Record<string, AttrInput> = {}, range: [number, number] = [-3, 3]) => {
    const b = new OnnxBuilder({ opset });
    const x = b.input('x', 'f32', [4, 8]);
    const s = b.initializer(f32([], [0.25]), 's');
    const z = zp ? b.initializer(zp, 'z') : '';
    const qx = b.op('QuantizeLinear', z ? [x, s, z] : [x, s], attrs);
    b.output(b.op('DequantizeLinear', z ? [qx, s, z] : [qx, s]), 'f32');
    await checkModel(b.toBytes(), { range, tol: 1e-9 });
  };
  it('int4 and uint4 (opset 21)', async () => {
    await roundTrip(q('i4', [], [1]), 21);
    await roundTrip(q('u4', [], [8]), 21);
  });
  it('float8 e4m3fn and e5m2 (opset 19), saturating', async () => {
    await roundTrip(q('f8e4m3', [], [0]), 19, {}, [-200, 200]);
    await roundTrip(q('f8e5m2', [], [0]), 19, {}, [-30000, 30000]);
  });
  it('float8 without saturation overflows to infinity (e5m2) or NaN (e4m3fn)', async () => {
    await roundTrip(q('f8e5m2', [], [0]), 19, { saturate: 0 }, [-20000, 20000]);
    await roundTrip(q('f8e4m3', [], [0]), 19, { saturate: 0 }, [-150, 150]);
  });
});

describe('DynamicQuantizeLinear matches onnxruntime', () => {
  it('mixed-sign, positive-only and negative-only inputs', async () => {
    for (const range of [[-2, 3], [0.5, 4], [-6, -1]] as [number, number][]) {
      await checkOp({ op: 'DynamicQuantizeLinear', inputs: [['f32', [5, 7]]], outputs: 3 }, { range, tol: 0 });
    }
  });
});

describe('QLinearMatMul matches onnxruntime bit for bit', () => {
  const mm = (a: DType, b: Tensor, bs: Tensor, bzp: Tensor, y: DType, aShape: number[], opts: { opset?: number } = {}) =>
    checkOp({
      op: 'QLinearMatMul',
      inputs: [[a, aShape], f32([], [0.02]), q(a, [], [a === 'u8' ? 120 : -3]), b, bs, bzp, f32([], [0.15]), q(y, [], [y === 'u8' ? 110 : 5])],
      opset: opts.opset ?? 10,
    }, { range: a === 'u8' ? [0, 256] : [-128, 128], tol: 0 });
  it('uint8 × uint8, uint8 × int8, int8 × int8', async () => {
    await mm('u8', rand('u8', [16, 6], 0, 256), f32([], [0.03]), q('u8', [], [130]), 'u8', [5, 16]);
    await mm('u8', rand('i8', [16, 6], -100, 100), f32([], [0.03]), q('i8', [], [0]), 'u8', [5, 16]);
    await mm('i8', rand('i8', [16, 6], -100, 100), f32([], [0.03]), q('i8', [], [2]), 'i8', [5, 16]);
  });
  it('per-column weight scales, batched and broadcast operands', async () => {
    await mm('u8', rand('i8', [8, 4], -100, 100), rand('f32', [4], 0.01, 0.05), q('i8', [4], [0, 0, 0, 0]), 'u8', [2, 3, 8]);
    await mm('u8', rand('u8', [2, 8, 4], 0, 256), f32([], [0.02]), q('u8', [], [100]), 'u8', [2, 3, 8]);
    await mm('u8', rand('i8', [2, 8, 4], -100, 100), rand('f32', [2, 1, 4], 0.01, 0.05), q('i8', [2, 1, 4], [0, 1, 2, 3, -1, -2, -3, 4]), 'u8', [2, 3, 8]);
  });
});

describe('QLinearConv matches onnxruntime bit for bit', () => {
  interface ConvCase { x: number[]; w: number[]; attrs?: Record<string, AttrInput>; perChannel?: boolean; bias?: boolean; wType?: DType; xType?: DType }
  const conv = async (c: ConvCase) => {
    const xType = c.xType ?? 'u8', wType = c.wType ?? 'i8', M = c.w[0];
    const w = wType === 'i8' ? rand('i8', c.w, -60, 60) : rand('u8', c.w, 0, 256);
    const ws = c.perChannel ? rand('f32', [M], 0.005, 0.03) : f32([], [0.01]);
    const wzp = wType === 'i8' ? q('i8', c.perChannel ? [M] : [], new Array(c.perChannel ? M : 1).fill(0)) : q('u8', [], [128]);
    const inputs: (Tensor | [DType, number[]] | null)[] = [
      [xType, c.x], f32([], [0.05]), q(xType, [], [xType === 'u8' ? 110 : -4]), w, ws, wzp, f32([], [0.4]), q(xType, [], [xType === 'u8' ? 120 : 3]),
    ];
    if (c.bias) inputs.push(rand('i32', [M], -2000, 2000));
    await checkOp({ op: 'QLinearConv', inputs, attrs: c.attrs, opset: 10 }, { range: xType === 'u8' ? [0, 256] : [-128, 128], tol: 0 });
  };
  it('2-D with bias, pads and strides', async () => {
    await conv({ x: [1, 3, 9, 9], w: [4, 3, 3, 3], bias: true, attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } });
  });
  it('per-channel weight scales, dilations, asymmetric pads', async () => {
    await conv({ x: [2, 4, 8, 7], w: [6, 4, 3, 2], perChannel: true, bias: true, attrs: { dilations: [2, 1], pads: [2, 0, 1, 1] } });
  });
  it('grouped and depthwise', async () => {
    await conv({ x: [1, 6, 7, 7], w: [4, 3, 3, 3], attrs: { group: 2, pads: [1, 1, 1, 1] } });
    await conv({ x: [1, 8, 6, 6], w: [8, 1, 3, 3], perChannel: true, bias: true, attrs: { group: 8, pads: [1, 1, 1, 1] } });
  });
  it('auto_pad SAME_UPPER / SAME_LOWER / VALID and a 1x1 kernel', async () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) await conv({ x: [1, 2, 8, 8], w: [3, 2, 4, 4], attrs: { auto_pad, strides: [2, 2] } });
    await conv({ x: [1, 5, 4, 4], w: [7, 5, 1, 1], bias: true });
  });
  it('1-D and 3-D', async () => {
    await conv({ x: [2, 3, 12], w: [4, 3, 3], bias: true, attrs: { pads: [1, 2], strides: [2] } });
    await conv({ x: [1, 2, 4, 5, 5], w: [3, 2, 2, 3, 3], attrs: { pads: [0, 1, 1, 1, 1, 1] } });
  });
  it('int8 activations, and uint8 weights with a zero point', async () => {
    await conv({ x: [1, 3, 6, 6], w: [2, 3, 3, 3], xType: 'i8', bias: true });
    await conv({ x: [1, 3, 6, 6], w: [2, 3, 3, 3], wType: 'u8', attrs: { pads: [1, 1, 1, 1] } });
  });
  it('a ResNet-50-sized layer runs in well under a second', async () => {
    const b = new OnnxBuilder({ opset: 10 });
    const x = b.input('x', 'u8', [1, 256, 14, 14]);
    const ins = [x, b.initializer(f32([], [0.05])), b.initializer(q('u8', [], [0])), b.initializer(rand('i8', [256, 256, 3, 3], -60, 60)),
      b.initializer(f32([], [0.01])), b.initializer(q('i8', [], [0])), b.initializer(f32([], [2])), b.initializer(q('u8', [], [0]))];
    b.output(b.op('QLinearConv', ins, { pads: [1, 1, 1, 1] }));
    const t0 = performance.now();
    await checkModel(b.toBytes(), { range: [0, 256], tol: 0 });
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('quantization shape inference', () => {
  it('QLinearConv and QLinearMatMul keep a symbolic batch', () => {
    const b = new OnnxBuilder({ opset: 10 });
    const x = b.input('x', 'u8', ['N', 3, 10, 10]);
    const c = (t: Tensor) => b.initializer(t);
    const y = b.op('QLinearConv', [x, c(f32([], [1])), c(q('u8', [], [0])), c(rand('u8', [5, 3, 3, 3], 0, 9)), c(f32([], [1])), c(q('u8', [], [0])), c(f32([], [1])), c(q('u8', [], [0]))], { strides: [2, 2] });
    const a = b.input('a', 'i8', ['N', 'T', 4]);
    const z = b.op('QLinearMatMul', [a, c(f32([], [1])), c(q('i8', [], [0])), c(rand('i8', [4, 6], -3, 3)), c(f32([], [1])), c(q('i8', [], [0])), c(f32([], [1])), c(q('i8', [], [0]))]);
    b.output(y); b.output(z);
    const g = loadOnnxBytes(b.toBytes()).graph;
    expect(g.outputs.map((v) => [v.type.dtype, v.type.shape])).toEqual([['u8', ['N', 5, 4, 4]], ['i8', ['N', 'T', 6]]]);
  });
  it('rejects mismatched scales with coded errors', () => {
    const model = (scale: Tensor, attrs: Record<string, AttrInput>, opset = 21) => () => {
      const b = new OnnxBuilder({ opset });
      b.output(b.op('QuantizeLinear', [b.input('x', 'f32', [4, 6]), b.initializer(scale)], attrs));
      return loadOnnxBytes(b.toBytes());
    };
    expect(model(f32([5], [1, 1, 1, 1, 1]), { axis: 1 })).toThrow(TsccError);
    expect(model(f32([4, 2], new Array(8).fill(1)), { axis: 1, block_size: 2 })).toThrow(TsccError);
    expect(model(f32([4, 2], new Array(8).fill(1)), { axis: 1, block_size: 4 })).not.toThrow();
    expect(model(f32([4, 3], new Array(12).fill(1)), { axis: 1, block_size: 2 })).not.toThrow();
    expect(model(f32([], [1]), { output_dtype: 1 })).toThrow(TsccError);
    expect(model(f32([4], [1, 1, 1, 1]), { axis: 7 })).toThrow(TsccError);
  });
  it('rejects malformed QLinearConv attributes with coded errors', () => {
    const conv = (attrs: Record<string, AttrInput>, w = [4, 3, 3, 3]) => () => {
      const b = new OnnxBuilder({ opset: 10 });
      const c = (t: Tensor) => b.initializer(t);
      b.output(b.op('QLinearConv', [b.input('x', 'u8', [1, 3, 8, 8]), c(f32([], [1])), c(q('u8', [], [0])), c(rand('u8', w, 0, 9)), c(f32([], [1])), c(q('u8', [], [0])), c(f32([], [1])), c(q('u8', [], [0]))], attrs));
      return loadOnnxBytes(b.toBytes());
    };
    expect(conv({ strides: [0, 1] })).toThrow(TsccError);
    expect(conv({ pads: [1, 1] })).toThrow(TsccError);
    expect(conv({ group: 2 })).toThrow(TsccError);
    expect(conv({ kernel_shape: [5, 5] })).toThrow(TsccError);
    expect(conv({ dilations: [9, 9] })).toThrow(TsccError);
    expect(conv({ auto_pad: 'SAME' })).toThrow(TsccError);
    expect(conv({ pads: [1, 1, 1, 1] })).not.toThrow();
  });
});
