import { describe, expect, it } from 'vitest';
import { checkModel } from '../helpers/check.ts';
import { OnnxBuilder } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { TsccError } from '../../src/util/errors.ts';

const f32 = (shape: number[], values: number[]) => Tensor.fromNumbers('f32', shape, values);
const bool = (v: boolean) => Tensor.fromNumbers('bool', [], [v ? 1 : 0]);
const ops = (bytes: Uint8Array) => loadOnnxBytes(bytes).graph.nodes.map((n) => n.op);

/** then: x + 1 (shape [2,3]); else: concat(x, x) (shape [4,3]) — the outputs differ in dim 0. */
function ifModel(cond: (b: OnnxBuilder, x: string) => string): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', 'f32', [2, 3]);
  const y = b.op('Mul', [x, x]); // an outer node output the branches read
  const then = new OnnxBuilder({ opset: 17, name: 'then' });
  then.output(then.op('Add', [y, then.initializer(f32([], [1]), 'one')]), 'f32', [2, 3]);
  const els = new OnnxBuilder({ opset: 17, name: 'else' });
  els.output(els.op('Concat', [x, y], { axis: 0 }), 'f32', [4, 3]);
  b.output(b.op('If', [cond(b, x)], { then_branch: then, else_branch: els }), 'f32');
  return b.toBytes();
}

describe('If matches onnxruntime', () => {
  it('a condition folded from shapes is inlined: no If node remains', async () => {
    for (const size of [6, 7]) {
      const bytes = ifModel((b, x) => b.op('Equal', [b.op('Size', [x]), b.initializer(Tensor.i64([size], []))]));
      expect(ops(bytes)).not.toContain('If');
      await checkModel(bytes);
    }
  });
  it('a runtime condition runs either branch; the output dim they disagree on is symbolic', async () => {
    const bytes = ifModel((b) => b.input('c', 'bool', []));
    const g = loadOnnxBytes(bytes).graph;
    const shape = g.outputs[0].type.shape;
    expect(typeof shape[0]).toBe('string');
    expect(shape[1]).toBe(3);
    for (const c of [true, false]) await checkModel(bytes, { inputs: { c: bool(c) } });
  });
  it('rejects branches of different ranks with a coded error', () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [2, 3]);
    const then = new OnnxBuilder({ opset: 17 });
    then.output(then.op('Identity', [x]), 'f32', [2, 3]);
    const els = new OnnxBuilder({ opset: 17 });
    els.output(els.op('ReduceSum', [x], { keepdims: 0 }), 'f32', []);
    b.output(b.op('If', [b.input('c', 'bool', [])], { then_branch: then, else_branch: els }));
    expect(() => loadOnnxBytes(b.toBytes())).toThrow(TsccError);
  });
});

describe('If + LSTM (a Silero-VAD-style stateful model)', () => {
  it('a runtime If selects the features that feed an LSTM whose states are graph inputs', async () => {
    const T = 5, B = 1, I = 4, H = 3;
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [T, B, I]), flag = b.input('is_16k', 'bool', []);
    const h0 = b.input('h', 'f32', [1, B, H]), c0 = b.input('c', 'f32', [1, B, H]);
    const w = b.initializer(Tensor.fromNumbers('f32', [1, 4 * H, I], Array.from({ length: 4 * H * I }, (_, i) => Math.sin(i) * 0.5)), 'W');
    const r = b.initializer(Tensor.fromNumbers('f32', [1, 4 * H, H], Array.from({ length: 4 * H * H }, (_, i) => Math.cos(i) * 0.5)), 'R');
    const bias = b.initializer(Tensor.fromNumbers('f32', [1, 8 * H], Array.from({ length: 8 * H }, (_, i) => 0.1 * (i % 5) - 0.2)), 'B');
    // Each branch is its own small network over the outer input and weights, as in Silero's per-rate paths.
    const then = new OnnxBuilder({ opset: 17, name: 'rate16k' });
    then.output(then.op('Tanh', [then.op('Mul', [x, then.initializer(f32([], [2]), 'two')])]), 'f32', [T, B, I]);
    const els = new OnnxBuilder({ opset: 17, name: 'rate8k' });
    const [, yh8] = els.node('LSTM', [x, w, r, bias, '', h0, c0], { hidden_size: H }, 3);
    els.output(els.op('Add', [x, els.op('ReduceMean', [yh8], { keepdims: 0, axes: [0, 1, 2] })]), 'f32', [T, B, I]);
    const feats = b.op('If', [flag], { then_branch: then, else_branch: els });
    const [y, yh, yc] = b.node('LSTM', [feats, w, r, bias, '', h0, c0], { hidden_size: H }, 3);
    b.output(b.op('Sigmoid', [b.op('ReduceMean', [y], { keepdims: 0, axes: [0, 1, 3] })]), 'f32');
    b.output(yh, 'f32'); b.output(yc, 'f32');
    const bytes = b.toBytes();
    for (const is16k of [true, false]) await checkModel(bytes, { inputs: { is_16k: bool(is16k) } });
  });
});

/** Loop body: (i, cond, acc) → (cond, acc + x·i, acc + x·i as a scan output). */
function loopModel(trips: number | 'input', cond: 'none' | 'true'): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', 'f32', [2, 3]);
  const m = trips === 'input' ? b.input('m', 'i64', []) : b.initializer(Tensor.i64([trips], []), 'M');
  const c = cond === 'true' ? b.initializer(bool(true), 'C') : '';
  const body = new OnnxBuilder({ opset: 17, name: 'body' });
  const i = body.input('i', 'i64', []), ci = body.input('cond_in', 'bool', []), acc = body.input('acc', 'f32', [2, 3]);
  const next = body.op('Add', [acc, body.op('Mul', [x, body.op('Cast', [i], { to: 1 })])]);
  body.output(body.op('Identity', [ci]), 'bool', []);
  body.output(next, 'f32', [2, 3]);
  body.output(body.op('Identity', [next]), 'f32', [2, 3]);
  const [final, scan] = b.node('Loop', [m, c, b.initializer(f32([2, 3], [1, 2, 3, 4, 5, 6]), 'acc0')], { body }, 2);
  b.output(final, 'f32'); b.output(scan, 'f32');
  return b.toBytes();
}

describe('Loop matches onnxruntime', () => {
  it('a for loop with a constant trip count (shape known statically)', async () => {
    const bytes = loopModel(4, 'true');
    expect(loadOnnxBytes(bytes).graph.outputs[1].type.shape).toEqual([4, 2, 3]);
    await checkModel(bytes);
    await checkModel(loopModel(3, 'none'));
  });
  it('a trip count given at run time, including zero iterations', async () => {
    const bytes = loopModel('input', 'true');
    for (const m of [0, 1, 6]) await checkModel(bytes, { inputs: { m: Tensor.i64([m], []) } });
  });
  it('a while loop whose body ends it, with a carried value that grows each iteration', async () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [1, 3]);
    const body = new OnnxBuilder({ opset: 17, name: 'body' });
    body.input('i', 'i64', []); body.input('cond_in', 'bool', []);
    const k = body.input('k', 'f32', []), rows = body.input('rows', 'f32', ['r', 3]);
    const k1 = body.op('Add', [k, body.initializer(f32([], [1]), 'one')]);
    body.output(body.op('Less', [k1, body.initializer(f32([], [4]), 'limit')]), 'bool', []);
    body.output(k1, 'f32', []);
    body.output(body.op('Concat', [rows, body.op('Mul', [x, k1])], { axis: 0 }), 'f32', ['r', 3]);
    const [kEnd, grown] = b.node('Loop', ['', b.input('go', 'bool', []), b.initializer(f32([], [0]), 'k0'), x], { body }, 2);
    b.output(kEnd, 'f32'); b.output(grown, 'f32');
    const bytes = b.toBytes();
    expect(typeof loadOnnxBytes(bytes).graph.outputs[1].type.shape[0]).toBe('string');
    for (const go of [true, false]) await checkModel(bytes, { inputs: { go: bool(go) } });
  });
});

describe('nested subgraphs', () => {
  it('an If inside a Loop body reads a value of the outermost graph', async () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [2, 3]), flag = b.input('flag', 'bool', []);
    const body = new OnnxBuilder({ opset: 17, name: 'body' });
    body.input('i', 'i64', []);
    const ci = body.input('cond_in', 'bool', []), acc = body.input('acc', 'f32', [2, 3]);
    const then = new OnnxBuilder({ opset: 17, name: 'add' });
    then.output(then.op('Add', [acc, x]), 'f32', [2, 3]);
    const els = new OnnxBuilder({ opset: 17, name: 'sub' });
    els.output(els.op('Sub', [acc, els.op('Mul', [x, x])]), 'f32', [2, 3]);
    body.output(body.op('Identity', [ci]), 'bool', []);
    body.output(body.op('If', [flag], { then_branch: then, else_branch: els }), 'f32', [2, 3]);
    const [final] = b.node('Loop', [b.initializer(Tensor.i64([3], []), 'M'), '', b.initializer(f32([2, 3], [1, 2, 3, 4, 5, 6]), 'acc0')], { body }, 1);
    b.output(final, 'f32');
    for (const v of [true, false]) await checkModel(b.toBytes(), { inputs: { flag: bool(v) } });
  });
});

describe('Scan matches onnxruntime', () => {
  /** Running sum over the sequence: state s, scan output s after each step. */
  function scanModel(attrs: Record<string, number[]>, xShape: number[], sliceShape: number[]): Uint8Array {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', xShape);
    const body = new OnnxBuilder({ opset: 17, name: 'body' });
    const s = body.input('s', 'f32', sliceShape), xt = body.input('xt', 'f32', sliceShape);
    const next = body.op('Add', [s, xt]);
    body.output(next, 'f32', sliceShape);
    body.output(body.op('Mul', [next, xt]), 'f32', sliceShape);
    const [final, seq] = b.node('Scan', [b.initializer(f32(sliceShape, new Array(sliceShape.reduce((p, q) => p * q, 1)).fill(0.5)), 's0'), x], { body, num_scan_inputs: 1, ...attrs }, 2);
    b.output(final, 'f32'); b.output(seq, 'f32');
    return b.toBytes();
  }
  it('forward over axis 0', async () => { await checkModel(scanModel({}, [5, 2, 3], [2, 3])); });
  it('reverse input, input axis 1, output axis 1 reversed', async () => {
    await checkModel(scanModel({ scan_input_directions: [1] }, [5, 2, 3], [2, 3]));
    await checkModel(scanModel({ scan_input_axes: [1], scan_output_axes: [1], scan_output_directions: [1] }, [2, 4, 3], [2, 3]));
  });
});
