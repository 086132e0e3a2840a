// QuantizeLinear / DequantizeLinear (float8, int4/uint4 blocked) lowered to the Tensor IR: the interpreter's kernel
// equals the reference kernel (itself bit-exact with onnxruntime, test/ops/quant.test.ts) bit for
// bit, standalone (f8 buffers) and fused Q → DQ (no f8 value in the kernel at all).
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { lowerKernel } from '../../src/lower/lower.ts';
import { rng } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { decodeF8 } from '../../src/util/float8.ts';

/** Ties, just-off-ties, overflow, subnormals, ±0, NaN and ±Inf for both formats, plus random values. */
function values(n: number): Float32Array {
  const special = [0, -0, 1, 1.0625, 1.1875, 1.0624, 464, 465, 480, 500, -448, 1e6, NaN, Infinity, -Infinity, 2 ** -9, 3 * 2 ** -10, 2 ** -10, -(2 ** -12),
    57344, 61440, 61439, 65536, 2 ** -16, 3 * 2 ** -17, 0.3, -7.7];
  const r = rng(3);
  return Float32Array.from({ length: n }, (_, i) => (i < special.length ? special[i] : (r() * 2 - 1) * 2 ** (r() * 40 - 20)));
}

/** Bit-equal, except that any two NaNs are equal (a NaN's sign is not kept through f32 arithmetic). */
const bitsEqual = (a: Tensor, b: Tensor) => {
  expect(a.dtype).toBe(b.dtype);
  const x = a.data as ArrayLike<number>, y = b.data as ArrayLike<number>;
  const nan = (v: number) => (a.dtype === 'f32' ? Number.isNaN(v) : Number.isNaN(decodeF8(v, a.dtype as 'f8e4m3')));
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i]) && !(nan(x[i]) && nan(y[i]))) expect(`[${i}] ${x[i]}`).toBe(`[${i}] ${y[i]}`);
};

function graph(nodes: NodeSpec[], inputs: [string, TensorType][], constants: [string, Tensor][], out: string, types: [string, TensorType][]): Graph {
  return Graph.build({
    name: 'g', opsets: { '': 21 },
    inputs: inputs.map(([name, type]) => ({ name, type })),
    constants: constants.map(([name, t]) => ({ name, type: { dtype: t.dtype, shape: t.shape }, constant: t })),
    nodes, outputs: [out], types: new Map(types),
  });
}

function lowered(g: Graph, node = g.nodes[0], args: Record<string, Tensor>): Tensor {
  const call = lowerKernel(node);
  verifyFunc(call.func);
  const text = printFunc(call.func);
  expect(printFunc(parseFunc(text))).toBe(text);
  return runFunc(call.func, call.inputs.map((v) => v.constant ?? args[v.name]))[0];
}

const attrs = (a: Record<string, number>): NodeSpec['attrs'] => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, { kind: 'int' as const, value: v }]));

describe('float8 QuantizeLinear / DequantizeLinear lowering', () => {
  for (const dtype of ['f8e4m3', 'f8e5m2'] as const) {
    for (const saturate of [1, 0]) {
      it(`${dtype} saturate=${saturate}: standalone Q and DQ kernels, per-axis scales`, () => {
        const x = new Tensor('f32', [3, 40], values(120));
        const scale = Tensor.fromNumbers('f32', [3], [1, 0.5, 3]);
        const zp = new Tensor(dtype, [3]);
        const g = graph([
          { name: 'q', op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: attrs({ axis: 0, saturate }) },
          { name: 'dq', op: 'DequantizeLinear', inputs: ['y', 's', 'z'], outputs: ['out'], attrs: attrs({ axis: 0 }) },
        ], [['x', { dtype: 'f32', shape: [3, 40] }]], [['s', scale], ['z', zp]], 'out', [['y', { dtype, shape: [3, 40] }], ['out', { dtype: 'f32', shape: [3, 40] }]]);
        const env: Record<string, Tensor> = { x };
        runGraph(g, { x }, { onNode: (n, outs) => { env[n.outputs[0].name] = outs[0]; } });
        bitsEqual(lowered(g, g.nodes[0], env), env.y);
        bitsEqual(lowered(g, g.nodes[1], env), env.out);
      });
    }
  }
  it('fused Q → DQ: the kernel holds no float8 value and matches the reference', () => {
    const x = new Tensor('f32', [64], values(64));
    const body = graph([
      { name: 'q', op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: {} },
      { name: 'dq', op: 'DequantizeLinear', inputs: ['y', 's', 'z'], outputs: ['out'], attrs: {} },
    ], [['x', { dtype: 'f32', shape: [64] }]], [['s', Tensor.scalar('f32', 0.25)], ['z', Tensor.scalar('f8e4m3', 0)]], 'out',
    [['y', { dtype: 'f8e4m3', shape: [64] }], ['out', { dtype: 'f32', shape: [64] }]]);
    const outer = Graph.build({
      name: 'outer', opsets: { '': 21 }, inputs: [{ name: 'ox', type: { dtype: 'f32', shape: [64] } }], constants: [],
      nodes: [{ name: 'fused_0', op: 'Fused', inputs: ['ox'], outputs: ['o'], body }], outputs: ['o'], types: new Map([['o', { dtype: 'f32', shape: [64] }]]),
    });
    const call = lowerKernel(outer.nodes[0]);
    expect(printFunc(call.func)).not.toMatch(/f8e4m3/);
    const ref = runGraph(body, { x }).out;
    bitsEqual(runFunc(call.func, [x])[0], ref);
  });
});

describe('one-element float8 constants', () => {
  it('lower as their value, not their bit pattern (DequantizeLinear of a scalar e4m3 constant)', () => {
    const xc = Tensor.fromNumbers('f8e4m3', [1], [0x3c]); // 0x3c = 1.5
    const g = graph([{ name: 'dq', op: 'DequantizeLinear', inputs: ['c', 's'], outputs: ['out'], attrs: {} }],
      [], [['c', xc], ['s', Tensor.scalar('f32', 2)]], 'out', [['out', { dtype: 'f32', shape: [1] }]]);
    expect(Array.from(runGraph(g, {}).out.data as Float32Array)).toEqual([3]);
    expect(Array.from(lowered(g, g.nodes[0], {}).data as Float32Array)).toEqual([3]);
  });
});

describe('int4 / uint4 blocked QuantizeLinear / DequantizeLinear lowering (opset 21)', () => {
  it('blocked along axis 0 and 1 with a ragged last block; codes and values bit-exact with the reference', () => {
    for (const [dtype, lo, hi] of [['i4', -8, 7], ['u4', 0, 15]] as const) {
      for (const axis of [0, 1]) {
        const shape = axis === 0 ? [10, 3] : [3, 10], sshape = [3, 3]; // 10 split in blocks of 4: 3 blocks
        const r = rng(axis + 1);
        const scale = Tensor.fromNumbers('f32', sshape, Array.from({ length: 9 }, () => 0.05 + r() * 0.2));
        const zp = Tensor.fromNumbers(dtype, sshape, Array.from({ length: 9 }, () => Math.round(lo + r() * (hi - lo))));
        const x = Tensor.fromNumbers('f32', shape, Array.from({ length: 30 }, () => (r() * 2 - 1) * 2));
        const a = attrs({ axis, block_size: 4 });
        const g = graph([
          { name: 'q', op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: a },
          { name: 'dq', op: 'DequantizeLinear', inputs: ['y', 's', 'z'], outputs: ['out'], attrs: a },
        ], [['x', { dtype: 'f32', shape }]], [['s', scale], ['z', zp]], 'out', [['y', { dtype, shape }], ['out', { dtype: 'f32', shape }]]);
        const env: Record<string, Tensor> = { x };
        runGraph(g, { x }, { onNode: (n, outs) => { env[n.outputs[0].name] = outs[0]; } });
        const codes = Array.from(env.y.data as ArrayLike<number>);
        expect(Math.min(...codes)).toBe(lo); // the data saturates at both ends
        expect(Math.max(...codes)).toBe(hi);
        bitsEqual(lowered(g, g.nodes[0], env), env.y);
        bitsEqual(lowered(g, g.nodes[1], env), env.out);
      }
    }
  });
});
