import { describe, expect, it } from 'vitest';
import { checkModel, checkOp, oneOpModel } from '../helpers/check.ts';
import { OnnxBuilder } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { randomTensor } from '../../src/runtime/random.ts';

const i64 = (v: number[]) => Tensor.i64(v);
const REDUCE = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
  'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
// LogSum needs a positive sum; Prod stays well-scaled near 1.
const range = (op: string): [number, number] => (op === 'ReduceLogSum' ? [0.1, 2] : op === 'ReduceProd' ? [0.5, 1.5] : [-2, 2]);

describe('reductions match onnxruntime', () => {
  for (const op of REDUCE) {
    it(`${op}: axes input (18), keepdims, all axes, noop_with_empty_axes`, async () => {
      const opts = { range: range(op) };
      const x: ['f32', number[]] = ['f32', [2, 3, 4, 5]];
      await checkOp({ op, inputs: [x, i64([1])], opset: 18 }, opts);
      await checkOp({ op, inputs: [x, i64([0, -1])], attrs: { keepdims: 0 }, opset: 18 }, opts);
      await checkOp({ op, inputs: [x, i64([3, 1, 2])], opset: 18 }, opts);
      await checkOp({ op, inputs: [x], attrs: { keepdims: 0 }, opset: 18 }, opts);
      await checkOp({ op, inputs: [x], opset: 18 }, opts);
      await checkOp({ op, inputs: [x, i64([])], attrs: { noop_with_empty_axes: 1 }, opset: 18 }, opts);
      await checkOp({ op, inputs: [['f32', [2, 0, 3]], i64([1])], opset: 18 }, opts); // empty reduction: the identity
    });
    it(`${op}: axes attribute (opset 11/13)`, async () => {
      const opset = op === 'ReduceSum' ? 11 : 13;
      await checkOp({ op, inputs: [['f32', [3, 4, 5]]], attrs: { axes: [0, 2], keepdims: 0 }, opset }, { range: range(op) });
      await checkOp({ op, inputs: [['f32', [3, 4, 5]]], attrs: { axes: [-2] }, opset }, { range: range(op) });
    });
  }
  it('ReduceSum (13) takes axes as an input', async () => {
    await checkOp({ op: 'ReduceSum', inputs: [['f32', [3, 4, 5]], i64([1])], attrs: { keepdims: 0 }, opset: 13 });
  });
  it('integer reductions on int64 and int32 (shape vectors)', async () => {
    for (const op of ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd']) {
      await checkOp({ op, inputs: [['i64', [3, 4]], i64([1])], opset: 18 }, { range: [-9, 9] });
      await checkOp({ op, inputs: [['i64', [5]]], attrs: { keepdims: 0 }, opset: 18 }, { range: [1, 9] });
      await checkOp({ op, inputs: [['i32', [3, 4]], i64([0])], opset: 18 }, { range: [-9, 9] });
    }
    await checkOp({ op: 'ReduceMean', inputs: [['i32', [3, 4]], i64([1])], opset: 18 }, { range: [-9, 9] });
    await checkOp({ op: 'ReduceSumSquare', inputs: [['i64', [3, 4]], i64([1])], opset: 18 }, { range: [-9, 9] });
  });
  it('a large reduction stays accurate and fast', async () => {
    await checkOp({ op: 'ReduceMean', inputs: [['f32', [8, 256, 28, 28]], i64([2, 3])], opset: 18 });
  });
  it('symbolic dims: kept axes keep their symbols; ReduceProd of a shape vector names the product', () => {
    // Reshape(x, [-1, ReduceProd(Shape(x)[1:])]): the flatten export of some converters.
    const flatten = (dims: (number | string)[]) => {
      const b = new OnnxBuilder({ opset: 18 });
      const x = b.input('x', 'f32', dims);
      const p = b.op('ReduceProd', [b.op('Slice', [b.op('Shape', [x]), b.initializer(i64([1])), b.initializer(i64([3]))])], { keepdims: 1 });
      b.output(b.op('Reshape', [x, b.op('Concat', [b.initializer(i64([-1])), p], { axis: 0 })]));
      b.output(b.op('ReduceMean', [x, b.initializer(i64([-1]))], { keepdims: 0 }));
      return loadOnnxBytes(b.toBytes()).graph;
    };
    const numeric = flatten(['N', 4, 8]);
    expect(numeric.outputs.map((o) => o.type.shape)).toEqual([['N', 32], ['N', 4]]);
    expect(numeric.nodes.map((n) => n.op)).toEqual(['Reshape', 'ReduceMean']);
    const symbolic = flatten(['N', 'T', 1]);
    expect(symbolic.outputs.map((o) => o.type.shape)).toEqual([['N', 'T'], ['N', 'T']]);
  });
});

describe('ArgMax / ArgMin / TopK match onnxruntime', () => {
  for (const op of ['ArgMax', 'ArgMin']) {
    it(`${op}: axis, keepdims, select_last_index with ties`, async () => {
      await checkOp({ op, inputs: [['f32', [3, 4, 5]]], attrs: { axis: 1 } });
      await checkOp({ op, inputs: [['f32', [3, 4, 5]]], attrs: { axis: -1, keepdims: 0 } });
      for (const last of [0, 1]) {
        await checkOp({ op, inputs: [['i32', [4, 6]]], attrs: { axis: 1, select_last_index: last }, opset: 12 }, { range: [0, 3] });
        await checkOp({ op, inputs: [['i64', [6, 3]]], attrs: { axis: 0, select_last_index: last, keepdims: 0 }, opset: 13 }, { range: [0, 3] });
      }
    });
  }
  it('TopK: largest/smallest, axes, ties by lower index, opset 1 attribute k', async () => {
    for (const largest of [0, 1]) {
      await checkOp({ op: 'TopK', inputs: [['f32', [3, 10]], i64([4])], attrs: { largest }, outputs: 2, opset: 11 });
      await checkOp({ op: 'TopK', inputs: [['f32', [5, 4, 3]], i64([2])], attrs: { axis: 1, largest }, outputs: 2, opset: 11 });
      await checkOp({ op: 'TopK', inputs: [['i64', [4, 12]], i64([5])], attrs: { largest }, outputs: 2, opset: 11 }, { range: [0, 3] });
      await checkOp({ op: 'TopK', inputs: [['f32', [2, 6]], i64([6])], attrs: { largest }, outputs: 2, opset: 11 });
    }
    await checkOp({ op: 'TopK', inputs: [['f32', [3, 10]], i64([3])], outputs: 2, opset: 10 });
    await checkOp({ op: 'TopK', inputs: [['f32', [3, 10]]], attrs: { k: 3, axis: 0 }, outputs: 2, opset: 9 });
  });
  it('TopK sorted=0 selects the same elements as onnxruntime (their order is unspecified)', async () => {
    for (const largest of [0, 1]) {
      const bytes = oneOpModel({ op: 'TopK', inputs: [['f32', [4, 9]], i64([3])], attrs: { sorted: 0, largest }, outputs: 2, opset: 11 });
      const x = randomTensor('f32', [4, 9], 7);
      const ours = Object.values(runGraph(loadOnnxBytes(bytes).graph, { in0: x }));
      const ref = Object.values(await runOrt(bytes, { in0: x }, { optimization: 'disabled' }));
      const rows = (t: Tensor) => Array.from({ length: 4 }, (_, r) => t.toNumbers().slice(r * 3, r * 3 + 3).sort((a, b) => a - b));
      expect(rows(ours[1])).toEqual(rows(ref[1]));
      expect(rows(ours[0])).toEqual(rows(ref[0]));
    }
  });
  it('TopK with a symbolic axis and constant k', async () => {
    const b = new OnnxBuilder({ opset: 11 });
    const [v, i] = b.node('TopK', [b.input('x', 'f32', ['N', 'L']), b.initializer(i64([3]))], {}, 2);
    b.output(v);
    b.output(i);
    const bytes = b.toBytes();
    const g = loadOnnxBytes(bytes).graph;
    expect(g.outputs.map((o) => o.type)).toEqual([{ dtype: 'f32', shape: ['N', 3] }, { dtype: 'i64', shape: ['N', 3] }]);
    await checkModel(bytes, { shapes: { x: [2, 7] } });
  });
  it('TopK with k = Shape(x)[1] keeps the symbol (a full sort)', async () => {
    const b = new OnnxBuilder({ opset: 11 });
    const x = b.input('x', 'f32', ['N', 'L']);
    const k = b.op('Slice', [b.op('Shape', [x]), b.initializer(i64([1])), b.initializer(i64([2]))]);
    const [v, i] = b.node('TopK', [x, k], { largest: 0 }, 2);
    b.output(v);
    b.output(i);
    const bytes = b.toBytes();
    expect(loadOnnxBytes(bytes).graph.outputs[0].type.shape).toEqual(['N', 'L']);
    await checkModel(bytes, { shapes: { x: [3, 5] }, fold: false });
  });
});
