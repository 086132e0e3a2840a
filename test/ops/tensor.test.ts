import { describe, expect, it } from 'vitest';
import { checkModel, checkOp } from '../helpers/check.ts';
import { OnnxBuilder, float } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import type { Graph } from '../../src/ir/graph/graph.ts';

const i64 = (v: number[], shape?: number[]) => Tensor.i64(v, shape ?? [v.length]);
// Exact int64 extremes: Tensor.i64 goes through doubles, which cannot hold INT64_MAX.
const I64_MAX = new Tensor('i64', [1], BigInt64Array.from([2n ** 63n - 1n]));
const I64_MIN = new Tensor('i64', [1], BigInt64Array.from([-(2n ** 63n)]));

describe('shape ops match onnxruntime', () => {
  it('Shape with start/end (opset 15) and Size', async () => {
    await checkOp({ op: 'Shape', inputs: [['f32', [2, 3, 4, 5]]] });
    await checkOp({ op: 'Shape', inputs: [['f32', [2, 3, 4, 5]]], attrs: { start: 1, end: -1 }, opset: 15 });
    await checkOp({ op: 'Shape', inputs: [['f32', [2, 3, 4, 5]]], attrs: { start: -2 }, opset: 15 });
    await checkOp({ op: 'Size', inputs: [['f32', [2, 3, 4]]] });
  });
  it('Reshape with 0 (copy), -1 (inferred) and allowzero', async () => {
    await checkOp({ op: 'Reshape', inputs: [['f32', [2, 3, 4]], i64([0, -1])] });
    await checkOp({ op: 'Reshape', inputs: [['f32', [2, 3, 4]], i64([4, 0, 2])] });
    await checkOp({ op: 'Reshape', inputs: [['i64', [2, 3, 4]], i64([-1])] }, { range: [-9, 9] });
    await checkOp({ op: 'Reshape', inputs: [['f32', [2, 0, 3]], i64([0, 3])], attrs: { allowzero: 1 }, opset: 14 });
  });
  it('Flatten at several axes', async () => {
    for (const axis of [0, 1, 2, -1, 3]) await checkOp({ op: 'Flatten', inputs: [['f32', [2, 3, 4]]], attrs: { axis } });
  });
  it('Transpose: default reverse, explicit perm, int64 and f16', async () => {
    await checkOp({ op: 'Transpose', inputs: [['f32', [2, 3, 4]]] });
    await checkOp({ op: 'Transpose', inputs: [['f32', [2, 3, 4, 5]]], attrs: { perm: [0, 2, 3, 1] } });
    await checkOp({ op: 'Transpose', inputs: [['f32', [1, 64, 7, 7]]], attrs: { perm: [0, 2, 3, 1] } });
    await checkOp({ op: 'Transpose', inputs: [['i64', [3, 5]]] }, { range: [-100, 100] });
    await checkOp({ op: 'Transpose', inputs: [['f16', [3, 5, 2]]], attrs: { perm: [1, 0, 2] } });
  });
  it('Squeeze / Unsqueeze with axes inputs (13) and attributes (11)', async () => {
    await checkOp({ op: 'Squeeze', inputs: [['f32', [1, 3, 1, 4]], i64([0, -2])], opset: 13 });
    await checkOp({ op: 'Squeeze', inputs: [['f32', [1, 3, 1, 4]]], opset: 13 });
    await checkOp({ op: 'Squeeze', inputs: [['f32', [1, 3, 1, 4]]], attrs: { axes: [2] }, opset: 11 });
    await checkOp({ op: 'Unsqueeze', inputs: [['f32', [3, 4]], i64([0, -1])], opset: 13 });
    await checkOp({ op: 'Unsqueeze', inputs: [['f32', [3, 4]], i64([1, 3])], opset: 13 });
    await checkOp({ op: 'Unsqueeze', inputs: [['f32', [3, 4]]], attrs: { axes: [0, 3] }, opset: 11 });
  });
  it('Concat on several axes and dtypes', async () => {
    await checkOp({ op: 'Concat', inputs: [['f32', [2, 3, 4]], ['f32', [2, 1, 4]], ['f32', [2, 5, 4]]], attrs: { axis: 1 } });
    await checkOp({ op: 'Concat', inputs: [['f32', [2, 3]], ['f32', [2, 7]]], attrs: { axis: -1 } });
    await checkOp({ op: 'Concat', inputs: [['i64', [2]], i64([5, 6, 7])], attrs: { axis: 0 } }, { range: [0, 9] });
    await checkOp({ op: 'Concat', inputs: [['bool', [2, 2]], ['bool', [1, 2]]], attrs: { axis: 0 } });
  });
  it('Split: split input, equal parts, num_outputs (18) and split attribute (11)', async () => {
    await checkOp({ op: 'Split', inputs: [['f32', [2, 10]], i64([3, 5, 2])], attrs: { axis: 1 }, outputs: 3, opset: 13 });
    await checkOp({ op: 'Split', inputs: [['f32', [6, 4]]], outputs: 3, opset: 13 });
    await checkOp({ op: 'Split', inputs: [['f32', [2, 7]]], attrs: { axis: -1, num_outputs: 3 }, outputs: 3, opset: 18 });
    await checkOp({ op: 'Split', inputs: [['f32', [2, 6]]], attrs: { axis: 1, split: [1, 5] }, outputs: 2, opset: 11 });
  });
  it('Slice: negative steps, omitted axes, huge bounds (clamping), attributes (opset 9)', async () => {
    const x: ['f32', number[]] = ['f32', [5, 6, 7]];
    await checkOp({ op: 'Slice', inputs: [x, i64([1, 0]), i64([4, -1]), i64([0, 2])] });
    await checkOp({ op: 'Slice', inputs: [x, i64([-1]), I64_MIN, i64([1]), i64([-1])] });
    await checkOp({ op: 'Slice', inputs: [x, i64([4, 1]), i64([0, 7]), i64([0, -1]), i64([-2, 3])] });
    await checkOp({ op: 'Slice', inputs: [x, i64([2, 1]), new Tensor('i64', [2], BigInt64Array.from([2n ** 63n - 1n, 100n]))] });
    await checkOp({ op: 'Slice', inputs: [x, i64([10]), i64([20]), i64([1])] });
    await checkOp({ op: 'Slice', inputs: [x, i64([-100]), i64([100]), i64([2]), i64([3])] });
    await checkOp({ op: 'Slice', inputs: [x], attrs: { starts: [1], ends: [3], axes: [1] }, opset: 9 });
    await checkOp({ op: 'Slice', inputs: [['i64', [6]], i64([5]), i64([-7]), i64([0]), i64([-2])] }, { range: [0, 50] });
  });
  it('Expand and Tile', async () => {
    await checkOp({ op: 'Expand', inputs: [['f32', [3, 1]], i64([2, 3, 4])] });
    await checkOp({ op: 'Expand', inputs: [['f32', [2, 1, 4]], i64([1, 3, 1])] });
    await checkOp({ op: 'Expand', inputs: [['i64', [1]], i64([5])] }, { range: [1, 9] });
    await checkOp({ op: 'Tile', inputs: [['f32', [2, 3]], i64([2, 3])] });
    await checkOp({ op: 'Tile', inputs: [['f32', [2, 1, 3]], i64([1, 4, 1])] });
  });
});

describe('indexing ops match onnxruntime', () => {
  it('Gather: axes, negative, scalar and 2-D indices', async () => {
    await checkOp({ op: 'Gather', inputs: [['f32', [5, 4]], i64([0, 4, -1, 2])] });
    await checkOp({ op: 'Gather', inputs: [['f32', [3, 5, 4]], i64([1, -2, 0, 3], [2, 2])], attrs: { axis: 1 } });
    await checkOp({ op: 'Gather', inputs: [['f32', [3, 5]], i64([2], [])], attrs: { axis: -1 } });
    await checkOp({ op: 'Gather', inputs: [['i64', [6]], Tensor.fromNumbers('i32', [2], [5, 0])] }, { range: [0, 99] });
  });
  it('GatherElements and GatherND (batch_dims 0 and 1)', async () => {
    await checkOp({ op: 'GatherElements', inputs: [['f32', [3, 4]], i64([0, 3, -1, 2, 1, 1], [3, 2])], attrs: { axis: 1 } });
    await checkOp({ op: 'GatherElements', inputs: [['f32', [3, 4]], i64([0, 2, 1, 1, 2, 0, -1, 0], [2, 4])], attrs: { axis: 0 } });
    await checkOp({ op: 'GatherND', inputs: [['f32', [3, 4, 5]], i64([0, 1, 2, 3, -1, 0], [3, 2])] });
    await checkOp({ op: 'GatherND', inputs: [['f32', [3, 4, 5]], i64([1, 2], [2, 1])] });
    await checkOp({ op: 'GatherND', inputs: [['f32', [2, 4, 5]], i64([1, 2, 3, 0], [2, 1, 2])], attrs: { batch_dims: 1 } });
  });
  it('ScatterND with every reduction', async () => {
    const idx = i64([0, 2, 1, 0, 2, 3], [3, 2]);
    await checkOp({ op: 'ScatterND', inputs: [['f32', [3, 4]], idx, ['f32', [3]]] });
    await checkOp({ op: 'ScatterND', inputs: [['f32', [4, 3]], i64([3, 1], [2, 1]), ['f32', [2, 3]]] });
    for (const reduction of ['add', 'mul', 'max', 'min']) {
      const dup = i64([0, 2, 1, 0, 0, 2], [3, 2]);
      await checkOp({ op: 'ScatterND', inputs: [['f32', [3, 4]], dup, ['f32', [3]]], attrs: { reduction }, opset: 18 });
    }
  });
  it('ScatterElements with every reduction', async () => {
    await checkOp({ op: 'ScatterElements', inputs: [['f32', [3, 4]], i64([1, 0, -1, 3], [2, 2]), ['f32', [2, 2]]], attrs: { axis: 1 } });
    for (const reduction of ['add', 'mul', 'max', 'min']) {
      const dup = i64([1, 1, 0, 1, 2, 0], [3, 2]);
      await checkOp({ op: 'ScatterElements', inputs: [['f32', [3, 4]], dup, ['f32', [3, 2]]], attrs: { axis: 0, reduction }, opset: 18 });
    }
  });
  it('Scatter (opset 10) runs as ScatterElements', async () => {
    await checkOp({ op: 'Scatter', inputs: [['f32', [3, 4]], i64([1, 0, 2, 3], [2, 2]), ['f32', [2, 2]]], attrs: { axis: 1 }, opset: 10 });
  });
  it('Compress with and without axis, NonZero', async () => {
    const cond = Tensor.fromNumbers('bool', [3], [1, 0, 1]);
    await checkOp({ op: 'Compress', inputs: [['f32', [3, 4]], cond], attrs: { axis: 0 } });
    await checkOp({ op: 'Compress', inputs: [['f32', [2, 3]], cond], attrs: { axis: -1 } });
    await checkOp({ op: 'Compress', inputs: [['f32', [2, 3]], Tensor.fromNumbers('bool', [5], [0, 1, 1, 0, 1])] });
    await checkOp({ op: 'Compress', inputs: [['f32', [2, 3]], ['bool', [3]]], attrs: { axis: 1 } });
    await checkOp({ op: 'NonZero', inputs: [['i64', [3, 4]]] }, { range: [-1, 2] });
    await checkOp({ op: 'NonZero', inputs: [['bool', [2, 3, 2]]] });
  });
  it('OneHot with negative indices and axes', async () => {
    const idx = i64([0, 3, -1, 2, 5, 1], [2, 3]);
    const vals = Tensor.fromNumbers('f32', [2], [-0.5, 2]);
    await checkOp({ op: 'OneHot', inputs: [idx, Tensor.scalar('i64', 4), ['f32', [2]]] });
    const fidx = Tensor.fromNumbers('f32', [2, 3], [0, 4, -1, 2, -5, 9]);
    for (const axis of [0, 1, -1]) await checkOp({ op: 'OneHot', inputs: [['f32', [2, 3]], Tensor.scalar('f32', 5), vals], attrs: { axis } }, { inputs: { in0: fidx } });
    await checkOp({ op: 'OneHot', inputs: [['i64', [4]], Tensor.fromNumbers('i64', [1], [6]), i64([0, 7])] }, { range: [-6, 6] });
  });
});

describe('fill and scan ops match onnxruntime', () => {
  it('Pad: constant, reflect, edge, wrap, axes (18), negative pads, attributes (opset 7)', async () => {
    const x: ['f32', number[]] = ['f32', [2, 3, 4]];
    await checkOp({ op: 'Pad', inputs: [x, i64([0, 1, 2, 1, 0, 3]), Tensor.scalar('f32', 1.5)] });
    for (const mode of ['reflect', 'edge']) await checkOp({ op: 'Pad', inputs: [x, i64([0, 2, 3, 0, 1, 2])], attrs: { mode } });
    await checkOp({ op: 'Pad', inputs: [x, i64([0, 2, 3, 0, 1, 4])], attrs: { mode: 'wrap' }, opset: 19 });
    await checkOp({ op: 'Pad', inputs: [x, i64([1, 2, 0, 3]), null, i64([0, -1])], opset: 18 });
    await checkOp({ op: 'Pad', inputs: [x, i64([0, -1, 1, 0, 0, -2])] });
    for (const mode of ['reflect', 'edge', 'wrap']) {
      await checkOp({ op: 'Pad', inputs: [['f32', [3, 6]], i64([-1, 2, 1, -2])], attrs: { mode }, opset: 19 }); // crop, then pad
    }
    await checkOp({ op: 'Pad', inputs: [x], attrs: { pads: [0, 0, 1, 0, 0, 1], value: float(-2) }, opset: 7 });
    await checkOp({ op: 'Pad', inputs: [['i64', [3, 3]], i64([1, 1, 1, 1]), Tensor.scalar('i64', 7)] }, { range: [0, 9] });
  });
  it('ConstantOfShape, Range, EyeLike', async () => {
    await checkOp({ op: 'ConstantOfShape', inputs: [i64([2, 3])] });
    await checkOp({ op: 'ConstantOfShape', inputs: [i64([4])], attrs: { value: Tensor.fromNumbers('i64', [1], [7]) } });
    await checkOp({ op: 'Range', inputs: [Tensor.scalar('f32', 0.5), Tensor.scalar('f32', 4), Tensor.scalar('f32', 0.75)] });
    await checkOp({ op: 'Range', inputs: [Tensor.scalar('i64', 10), Tensor.scalar('i64', -3), Tensor.scalar('i64', -4)] });
    await checkOp({ op: 'Range', inputs: [['i32', []], Tensor.scalar('i32', 20), Tensor.scalar('i32', 3)] }, { range: [0, 5] });
    await checkOp({ op: 'EyeLike', inputs: [['f32', [3, 5]]], attrs: { k: 1 } });
    await checkOp({ op: 'EyeLike', inputs: [['f32', [4, 3]]], attrs: { k: -2, dtype: 7 } });
  });
  it('Trilu upper/lower with k', async () => {
    for (const upper of [0, 1]) {
      await checkOp({ op: 'Trilu', inputs: [['f32', [2, 4, 5]]], attrs: { upper }, opset: 14 });
      await checkOp({ op: 'Trilu', inputs: [['f32', [4, 5]], Tensor.scalar('i64', -1)], attrs: { upper }, opset: 14 });
      await checkOp({ op: 'Trilu', inputs: [['f32', [5, 3]], Tensor.scalar('i64', 2)], attrs: { upper }, opset: 14 });
    }
  });
  it('CumSum exclusive/reverse on floats and int64', async () => {
    for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      await checkOp({ op: 'CumSum', inputs: [['f32', [3, 4, 5]], Tensor.scalar('i64', 1)], attrs: { exclusive, reverse } });
    }
    await checkOp({ op: 'CumSum', inputs: [['i64', [2, 6]], Tensor.scalar('i32', -1)] }, { range: [-50, 50] });
  });
});

function model(build: (b: OnnxBuilder) => string, opset = 17): Uint8Array {
  const b = new OnnxBuilder({ opset });
  b.output(build(b));
  return b.toBytes();
}
const shapeOf = (g: Graph) => g.outputs[0].type.shape;
const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('symbolic shape inference and shape sub-graph folding', () => {
  // Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the flatten-keeping-batch export.
  const flattenBatch = model((b) => {
    const x = b.input('x', 'f32', ['N', 3, 4]);
    const n = b.op('Gather', [b.op('Shape', [x]), b.initializer(Tensor.scalar('i64', 0))]);
    const dims = b.op('Concat', [b.op('Unsqueeze', [n, b.initializer(i64([0]))]), b.initializer(i64([-1]))], { axis: 0 });
    return b.op('Reshape', [x, dims]);
  });
  it('keeps the batch symbol through Shape → Gather → Unsqueeze → Concat → Reshape', () => {
    const g = loadOnnxBytes(flattenBatch).graph;
    expect(shapeOf(g)).toEqual(['N', 12]);
  });
  it('folds the shape sub-graph away when the input shape is bound', async () => {
    const g = loadOnnxBytes(flattenBatch, { shapes: { x: [2, 3, 4] } }).graph;
    expect(ops(g)).toEqual(['Reshape']);
    expect(shapeOf(g)).toEqual([2, 12]);
    await checkModel(flattenBatch, { shapes: { x: [2, 3, 4] } });
    await checkModel(flattenBatch, { shapes: { x: [2, 3, 4] }, fold: false }); // runs the int64 kernels
  });

  it('turns a slice of a symbolic shape into a constant when its entries are known', () => {
    const bytes = model((b) => {
      const x = b.input('x', 'f32', ['N', 3, 4]);
      const tail = b.op('Slice', [b.op('Shape', [x]), b.initializer(i64([1])), b.initializer(I64_MAX)]);
      return b.op('ConstantOfShape', [tail]);
    });
    const g = loadOnnxBytes(bytes).graph;
    expect(ops(g)).toEqual([]);
    expect(shapeOf(g)).toEqual([3, 4]);
  });

  it('Expand to Shape(x), Flatten, Range over a symbolic length, Split of a shape', async () => {
    const bytes = model((b) => {
      const x = b.input('x', 'f32', ['B', 'S', 8]);
      const e = b.op('Expand', [b.input('y', 'f32', [1, 1, 8]), b.op('Shape', [x])]);
      const s = b.op('Gather', [b.op('Shape', [x]), b.initializer(Tensor.scalar('i64', 1))]);
      const r = b.op('Range', [b.initializer(Tensor.scalar('i64', 0)), s, b.initializer(Tensor.scalar('i64', 1))]);
      const rf = b.op('Cast', [b.op('Unsqueeze', [r, b.initializer(i64([1]))])], { to: 1 });
      return b.op('Flatten', [b.op('Add', [e, rf])], { axis: 2 });
    });
    const g = loadOnnxBytes(bytes).graph;
    const byOp = (op: string) => g.nodes.find((n) => n.op === op)!.outputs[0].type.shape;
    expect(byOp('Expand')).toEqual(['B', 'S', 8]);
    expect(byOp('Range')).toEqual(['S']);
    expect(byOp('Add')).toEqual(['B', 'S', 8]);
    expect(byOp('Flatten')[1]).toBe(8);
    await checkModel(bytes, { shapes: { x: [2, 3, 8] } });
    await checkModel(bytes, { shapes: { x: [2, 3, 8] }, fold: false });

    const split = model((b) => {
      const x = b.input('x', 'f32', ['N', 'C', 6]);
      const [, tail] = b.node('Split', [b.op('Shape', [x]), b.initializer(i64([1, 2]))], {}, 2);
      return b.op('Reshape', [x, b.op('Concat', [b.initializer(i64([-1])), tail], { axis: 0 })]);
    }, 13);
    expect(shapeOf(loadOnnxBytes(split).graph)).toEqual(['N', 'C', 6]);
  });

  it('keeps symbols through Squeeze, Transpose, Concat, Slice, Pad and Tile', () => {
    const g = loadOnnxBytes(model((b) => {
      const x = b.input('x', 'f32', ['N', 1, 'T']);
      const t = b.op('Transpose', [b.op('Squeeze', [x, b.initializer(i64([1]))])]);
      const c = b.op('Concat', [t, b.input('e', 'f32', [0, 'N'])], { axis: 0 });
      const s = b.op('Slice', [c, b.initializer(i64([0, 1])), b.initializer(new Tensor('i64', [2], BigInt64Array.from([2n ** 63n - 1n, 3n]))), b.initializer(i64([0, 1]))]);
      const z = b.op('Slice', [b.input('z', 'f32', ['T', 6]), b.initializer(i64([1])), b.initializer(i64([3])), b.initializer(i64([1]))]);
      const p = b.op('Pad', [z, b.initializer(i64([0, 1, 0, 1]))]);
      return b.op('Concat', [s, b.op('Tile', [p, b.initializer(i64([1, 2]))])], { axis: 1 });
    })).graph;
    const shapes = g.nodes.map((n) => n.outputs[0].type.shape);
    expect(shapes.slice(0, 3)).toEqual([['N', 'T'], ['T', 'N'], ['T', 'N']]);
    expect(shapes[3][0]).toBe('T'); // sliced whole; axis 1 of symbolic size N becomes a fresh symbol
    expect(shapes.slice(4, 7)).toEqual([['T', 2], ['T', 4], ['T', 8]]);
    expect(shapes[7][0]).toBe('T');
  });
});

describe('malformed models fail with coded errors', () => {
  const load = (bytes: Uint8Array, shapes?: Record<string, number[]>) => () => loadOnnxBytes(bytes, { shapes });
  it('rejects bad reshape targets, perms, split sizes and huge shapes', () => {
    const one = (op: string, inputs: (b: OnnxBuilder) => string[], attrs = {}) => model((b) => b.op(op, inputs(b), attrs));
    const x = (b: OnnxBuilder) => b.input('x', 'f32', [2, 3]);
    expect(load(one('Reshape', (b) => [x(b), b.initializer(i64([4, -1]))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Reshape', (b) => [x(b), b.initializer(i64([-1, -1]))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Transpose', (b) => [x(b)], { perm: [0, 0] }))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Reshape', (b) => [x(b), b.initializer(i64(new Array(100).fill(1).concat([6])))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Split', (b) => [x(b), b.initializer(i64([2, 2]))], { axis: 1 }))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Concat', (b) => [x(b), b.input('y', 'f32', [3, 3])], { axis: 1 }))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Pad', (b) => [x(b), b.initializer(i64([0, 0, 0]))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Unsqueeze', (b) => [x(b), b.initializer(i64([5]))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Slice', (b) => [x(b), b.initializer(i64([0])), b.initializer(i64([1])), b.initializer(i64([0])), b.initializer(i64([0]))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(load(one('Gather', (b) => [b.op('Shape', [x(b)]), b.initializer(i64([5]))]))).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    // A huge shape computed at run time: the kernel refuses to allocate it.
    const g = loadOnnxBytes(model((b) => b.op('ConstantOfShape', [b.input('s', 'i64', [2])]))).graph;
    expect(() => runGraph(g, { s: i64([1 << 20, 1 << 20]) })).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });
  it('runtime kernels reject out-of-range indices with a coded error', () => {
    const bytes = model((b) => b.op('Gather', [b.input('x', 'f32', [3]), b.input('i', 'i64', [1])]));
    const g = loadOnnxBytes(bytes).graph;
    expect(() => runGraph(g, { x: Tensor.fromNumbers('f32', [3], [1, 2, 3]), i: i64([3]) })).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });
});
