import { describe, expect, it } from 'vitest';
import { checkOp, oneOpModel, type OneOp } from '../helpers/check.ts';
import { float, OnnxBuilder } from '../../models/builder.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { TsccError } from '../../src/util/errors.ts';

const f32 = (shape: number[], seed: number, lo = -1, hi = 1) => randomTensor('f32', shape, seed, lo, hi);

function errorCode(op: OneOp): string {
  try { loadOnnxBytes(oneOpModel(op)); } catch (e) { if (e instanceof TsccError) return e.code; throw e; }
  return 'no error';
}

function outShape(bytes: Uint8Array): (number | string)[] {
  const g = loadOnnxBytes(bytes).graph;
  return [...g.nodes[g.nodes.length - 1].outputs[0].type.shape];
}

describe('normalization ops match onnxruntime', () => {
  it('BatchNormalization (opsets 9, 15; rank 2 and 4)', async () => {
    const p = (seed: number) => [f32([3], seed), f32([3], seed + 1), f32([3], seed + 2), f32([3], seed + 3, 0.1, 2)];
    await checkOp({ op: 'BatchNormalization', inputs: [['f32', [2, 3, 4, 5]], ...p(10)], opset: 15 });
    await checkOp({ op: 'BatchNormalization', inputs: [['f32', [2, 3, 4, 5]], ...p(20)], attrs: { epsilon: float(1e-3) }, opset: 9 });
    await checkOp({ op: 'BatchNormalization', inputs: [['f32', [6, 3]], ...p(30)], opset: 14 });
  });
  it('BatchNormalization opset 7 with spatial=0 (per-activation parameters)', async () => {
    const q = [f32([3, 2, 2], 1), f32([3, 2, 2], 2), f32([3, 2, 2], 3), f32([3, 2, 2], 4, 0.1, 2)];
    await checkOp({ op: 'BatchNormalization', inputs: [['f32', [2, 3, 2, 2]], ...q], attrs: { spatial: 0 }, opset: 7 });
  });
  it('BatchNormalization rejects training mode clearly', () => {
    const ins: OneOp['inputs'] = [['f32', [2, 3, 4]], f32([3], 1), f32([3], 2), f32([3], 3), f32([3], 4, 0.1, 1)];
    expect(errorCode({ op: 'BatchNormalization', inputs: ins, attrs: { training_mode: 1 }, outputs: 3, opset: 15 })).toBe('E_UNSUPPORTED');
    expect(errorCode({ op: 'BatchNormalization', inputs: ins, outputs: 5, opset: 9 })).toBe('E_UNSUPPORTED');
  });
  it('InstanceNormalization (rank 3 and 4)', async () => {
    await checkOp({ op: 'InstanceNormalization', inputs: [['f32', [2, 3, 5, 6]], f32([3], 1), f32([3], 2)] });
    await checkOp({ op: 'InstanceNormalization', inputs: [['f32', [2, 4, 7]], f32([4], 3), f32([4], 4)], attrs: { epsilon: float(0.01) } });
  });
  it('LayerNormalization: last axis, inner axes, no bias, Mean/InvStdDev outputs', async () => {
    await checkOp({ op: 'LayerNormalization', inputs: [['f32', [2, 5, 16]], f32([16], 1), f32([16], 2)] });
    await checkOp({ op: 'LayerNormalization', inputs: [['f32', [2, 5, 6]], f32([5, 6], 3), f32([5, 6], 4)], attrs: { axis: 1, epsilon: float(1e-3) } });
    await checkOp({ op: 'LayerNormalization', inputs: [['f32', [3, 8]], f32([8], 5)], outputs: 3 });
    await checkOp({ op: 'LayerNormalization', inputs: [['f32', [2, 3, 8]], f32([8], 6), f32([8], 7)], attrs: { axis: -2 }, outputs: 3 });
  });
  it('LayerNormalization with f16 input keeps f32 statistics (stash_type)', async () => {
    const m = oneOpModel({ op: 'LayerNormalization', inputs: [['f16', [2, 8]], Tensor.fromNumbers('f16', [8], [1, 2, 3, 4, 5, 6, 7, 8])], outputs: 3 });
    const g = loadOnnxBytes(m).graph;
    expect(g.nodes[0].outputs.map((v) => v.type.dtype)).toEqual(['f16', 'f32', 'f32']);
  });
  it('f16 inputs (computed in f32) for batch, instance and layer normalization', async () => {
    const h = (shape: number[], seed: number, lo = -1) => randomTensor('f16', shape, seed, lo, 1);
    await checkOp({ op: 'BatchNormalization', inputs: [['f16', [2, 3, 4]], h([3], 1), h([3], 2), h([3], 3), h([3], 4, 0.1)], opset: 15 }, { tol: 2e-3 });
    await checkOp({ op: 'InstanceNormalization', inputs: [['f16', [2, 3, 4]], h([3], 5), h([3], 6)] }, { tol: 2e-3 });
    await checkOp({ op: 'LayerNormalization', inputs: [['f16', [2, 8]], h([8], 7), h([8], 8)], outputs: 3 }, { tol: 2e-3 });
  });
  it('LayerNormalization statistics keep a symbolic batch', () => {
    const b = new OnnxBuilder({ opset: 17 });
    const outs = b.node('LayerNormalization', [b.input('x', 'f32', ['N', 'T', 16]), b.initializer(f32([16], 1))], {}, 3);
    for (const o of outs) b.output(o);
    const node = loadOnnxBytes(b.toBytes()).graph.nodes[0];
    expect(node.outputs.map((v) => v.type.shape)).toEqual([['N', 'T', 16], ['N', 'T', 1], ['N', 'T', 1]]);
  });
  it('GroupNormalization: opset 18 per-group and opset 21 per-channel scale', async () => {
    await checkOp({ op: 'GroupNormalization', inputs: [['f32', [2, 6, 3, 4]], f32([3], 1), f32([3], 2)], attrs: { num_groups: 3 }, opset: 18 });
    await checkOp({ op: 'GroupNormalization', inputs: [['f32', [2, 6, 3, 4]], f32([6], 3), f32([6], 4)], attrs: { num_groups: 2, epsilon: float(1e-3) }, opset: 21 });
    await checkOp({ op: 'GroupNormalization', inputs: [['f32', [2, 4, 5]], f32([4], 5), f32([4], 6)], attrs: { num_groups: 4 }, opset: 21 });
  });
  it('LRN with odd windows and attributes', async () => {
    await checkOp({ op: 'LRN', inputs: [['f32', [2, 7, 4, 5]]], attrs: { size: 3 } });
    await checkOp({ op: 'LRN', inputs: [['f32', [1, 10, 3, 3]]], attrs: { size: 5, alpha: float(0.01), beta: float(0.5), bias: float(2) } }, { range: [-3, 3] });
  });
  it('MeanVarianceNormalization (default and explicit axes)', async () => {
    await checkOp({ op: 'MeanVarianceNormalization', inputs: [['f32', [2, 3, 4, 5]]] });
    await checkOp({ op: 'MeanVarianceNormalization', inputs: [['f32', [2, 3, 4, 5]]], attrs: { axes: [2, 3] } });
    await checkOp({ op: 'MeanVarianceNormalization', inputs: [['f32', [2, 3, 4, 5]]], attrs: { axes: [1] } });
  });
});

describe('softmax family matches onnxruntime', () => {
  for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
    it(`${op} on every axis (opset 13) and the legacy flattening form (opset 11)`, async () => {
      for (const axis of [-1, 0, 1, 2]) await checkOp({ op, inputs: [['f32', [3, 4, 5]]], attrs: { axis }, opset: 13 }, { range: [-5, 5] });
      await checkOp({ op, inputs: [['f32', [4, 6]]], opset: 11 }, { range: [-5, 5] });
      await checkOp({ op, inputs: [['f32', [2, 3, 6]]], attrs: { axis: 2 }, opset: 11 }, { range: [-5, 5] });
      await checkOp({ op, inputs: [['f32', [2, 3, 4]]], attrs: { axis: 1 }, opset: 11 }, { range: [-5, 5] });
    });
  }
  it('Softmax on f16', async () => {
    await checkOp({ op: 'Softmax', inputs: [['f16', [2, 3, 4]]], opset: 13 }, { tol: 2e-3 });
  });
  it('Softmax is stable for large inputs', async () => {
    await checkOp({ op: 'Softmax', inputs: [['f32', [2, 10]]], opset: 13 }, { range: [500, 900] });
  });
});

describe('DepthToSpace / SpaceToDepth match onnxruntime', () => {
  it('DepthToSpace DCR and CRD', async () => {
    await checkOp({ op: 'DepthToSpace', inputs: [['f32', [2, 8, 3, 4]]], attrs: { blocksize: 2 } });
    await checkOp({ op: 'DepthToSpace', inputs: [['f32', [1, 18, 2, 3]]], attrs: { blocksize: 3, mode: 'CRD' } });
  });
  it('SpaceToDepth', async () => {
    await checkOp({ op: 'SpaceToDepth', inputs: [['f32', [2, 3, 4, 6]]], attrs: { blocksize: 2 } });
    await checkOp({ op: 'SpaceToDepth', inputs: [['f32', [1, 2, 6, 3]]], attrs: { blocksize: 3 } });
  });
  it('reject indivisible shapes and keep symbolic batch', () => {
    expect(errorCode({ op: 'DepthToSpace', inputs: [['f32', [1, 6, 2, 2]]], attrs: { blocksize: 2 } })).toBe('E_SHAPE');
    expect(errorCode({ op: 'SpaceToDepth', inputs: [['f32', [1, 2, 5, 4]]], attrs: { blocksize: 2 } })).toBe('E_SHAPE');
    const b = new OnnxBuilder({ opset: 13 });
    b.output(b.op('DepthToSpace', [b.input('x', 'f32', ['N', 16, 'H', 5])], { blocksize: 2 }));
    const s = outShape(b.toBytes());
    expect(s.slice(0, 2)).toEqual(['N', 4]);
    expect(typeof s[2]).toBe('string');
    expect(s[3]).toBe(10);
  });
});
