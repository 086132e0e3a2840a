// The com.tscc MX ops in the graph: shape rules, reference kernels (= src/quant numerics), an ONNX
// model round trip, and the Tensor IR lowering run on the TIR interpreter, bit-exact.
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../models/builder.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { Graph, type NodeSpec } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { lowerKernel } from '../../src/lower/lower.ts';
import { rng } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { dequantize, type MxElement, mxFakeQuantize, quantizeWeight, toTensors } from '../../src/quant/index.ts';

const FORMATS: MxElement[] = ['e4m3', 'e5m2', 'e2m3', 'e3m2', 'e2m1', 'int8'];
const PRECISION = { e4m3: 'mxfp8', e5m2: 'mxfp8', e2m3: 'mxfp6', e3m2: 'mxfp6', e2m1: 'mxfp4', int8: 'mxint8' } as const;

/** Activations with blocks of very different magnitudes, a zero block, a tiny (subnormal) block and a NaN. */
function activations(shape: number[], seed: number, nan = true): Float32Array {
  const r = rng(seed), n = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, i) => (r() * 2 - 1) * 2 ** (Math.floor(i / 32) % 9 * 5 - 20));
  x.fill(0, 32, 64);
  for (let i = 64; i < 96 && i < n; i++) x[i] *= 2 ** -110; // a block whose max is an f32 subnormal
  if (nan && n > 100) x[100] = NaN;
  return x;
}

function oneNode(node: Omit<NodeSpec, 'name' | 'outputs'>, inputs: { name: string; t: Tensor; constant?: boolean }[], out: { dtype: 'f32' | 'f16'; shape: number[] }): Graph {
  return Graph.build({
    name: 'g', opsets: { '': 21, 'com.tscc': 1 },
    inputs: inputs.filter((v) => !v.constant).map((v) => ({ name: v.name, type: { dtype: v.t.dtype, shape: v.t.shape } })),
    constants: inputs.filter((v) => v.constant).map((v) => ({ name: v.name, type: { dtype: v.t.dtype, shape: v.t.shape }, constant: v.t })),
    nodes: [{ ...node, name: 'mx', outputs: ['y'] }],
    outputs: ['y'], types: new Map([['y', out]]),
  });
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) expect(`[${i}] ${a[i]}`).toBe(`[${i}] ${b[i]}`);
};

/** Lowers the graph's node, checks the text round trip, runs it on the TIR interpreter. */
function lowered(g: Graph, args: Tensor[]): Tensor {
  const call = lowerKernel(g.nodes[0]);
  verifyFunc(call.func);
  const text = printFunc(call.func);
  expect(printFunc(parseFunc(text))).toBe(text);
  return runFunc(call.func, call.inputs.map((v) => v.constant ?? args.shift()!))[0];
}

describe('MxQuantizeDequantize', () => {
  for (const format of FORMATS) {
    it(`${format}: reference kernel = src/quant, lowering bit-exact, axis -1 and 0 with a ragged block`, () => {
      for (const [shape, axis] of [[[4, 80], -1], [[70, 3], 0]] as const) {
        const x = new Tensor('f32', shape, activations([...shape], 3));
        const g = oneNode({ op: 'MxQuantizeDequantize', domain: 'com.tscc', inputs: ['x'], attrs: { format: { kind: 'string', value: format }, axis: { kind: 'int', value: axis } } }, [{ name: 'x', t: x }], { dtype: 'f32', shape: [...shape] });
        const ref = runGraph(g, { x }).y;
        sameBits(ref.data as Float32Array, mxFakeQuantize(x.data as Float32Array, shape, axis < 0 ? axis + shape.length : axis, format));
        sameBits(lowered(g, [x]).data as Float32Array, ref.data as Float32Array);
      }
    });
  }
  it('f16 activations compute in f32 and round back', () => {
    const x = Tensor.fromNumbers('f16', [2, 64], activations([2, 64], 5, false));
    const g = oneNode({ op: 'MxQuantizeDequantize', domain: 'com.tscc', inputs: ['x'], attrs: { format: { kind: 'string', value: 'e2m1' } } }, [{ name: 'x', t: x }], { dtype: 'f16', shape: [2, 64] });
    const ref = runGraph(g, { x }).y;
    expect(ref.dtype).toBe('f16');
    sameBits(lowered(g, [x]).data as Uint16Array, ref.data as Uint16Array);
  });
  it('rejects an unknown format and a bad axis with coded shape errors', () => {
    const load = (attrs: Record<string, string | number>) => () => {
      const b = new OnnxBuilder({ opset: 21, extraOpsets: { 'com.tscc': 1 } });
      b.output(b.node('MxQuantizeDequantize', [b.input('x', 'f32', [2, 32])], attrs, 1, { domain: 'com.tscc' })[0], 'f32');
      return loadOnnxBytes(b.toBytes());
    };
    expect(load({ format: 'e4m3' })).not.toThrow();
    expect(load({ format: 'e4m4' })).toThrow(expect.objectContaining({ code: 'E_SHAPE', message: expect.stringMatching(/format "e4m4" is not an MX element type/) }));
    expect(load({ format: 'e4m3', axis: 2 })).toThrow(/axis 2 is out of range/);
  });
});

describe('MxDequantize (packed weights)', () => {
  for (const format of FORMATS) {
    it(`${format}: packed bytes + E8M0 scales decode like src/quant; lowering bit-exact`, () => {
      const shape = [6, 72];
      const w = activations(shape, 7, false);
      const q = quantizeWeight(w, shape, { precision: PRECISION[format], mxElement: format, blockAxis: 1 });
      const t = toTensors(q);
      const g = oneNode({ op: 'MxDequantize', domain: 'com.tscc', inputs: ['el', 'sc'], attrs: { format: { kind: 'string', value: format }, shape: { kind: 'ints', value: shape } } },
        [{ name: 'el', t: t.codes, constant: true }, { name: 'sc', t: t.scale!, constant: true }], { dtype: 'f32', shape });
      const ref = runGraph(g, {}).y;
      sameBits(ref.data as Float32Array, dequantize(q));
      sameBits(lowered(g, []).data as Float32Array, ref.data as Float32Array);
    });
  }
  it('decodes the NaN scale 0xff and every element code (lowering = reference)', () => {
    for (const format of ['e4m3', 'e5m2'] as const) {
      const el = Tensor.fromNumbers('u8', [256], Array.from({ length: 256 }, (_, i) => i));
      const sc = Tensor.fromNumbers('u8', [8, 1], [127, 0, 1, 254, 255, 100, 130, 127]);
      const g = oneNode({ op: 'MxDequantize', domain: 'com.tscc', inputs: ['el', 'sc'], attrs: { format: { kind: 'string', value: format }, shape: { kind: 'ints', value: [8, 32] }, axis: { kind: 'int', value: 1 } } },
        [{ name: 'el', t: el }, { name: 'sc', t: sc }], { dtype: 'f32', shape: [8, 32] });
      const ref = runGraph(g, { el, sc }).y.data as Float32Array;
      expect(Number.isNaN(ref[4 * 32 + 5])).toBe(true);
      sameBits(lowered(g, [el, sc]).data as Float32Array, ref);
    }
  });
  it('shape rule checks the packed length and the scale shape', () => {
    const load = (bytes: number, scales: number[]) => () => {
      const b = new OnnxBuilder({ opset: 21, extraOpsets: { 'com.tscc': 1 } });
      const ins = [b.input('el', 'u8', [bytes]), b.input('sc', 'u8', scales)];
      b.output(b.node('MxDequantize', ins, { format: 'e2m3', shape: [4, 40] }, 1, { domain: 'com.tscc' })[0], 'f32');
      return loadOnnxBytes(b.toBytes());
    };
    expect(load(120, [4, 2])).not.toThrow();
    expect(load(160, [4, 2])).toThrow(/elements must be 1-D with 120 bytes/);
    expect(load(120, [4, 1])).toThrow(/scales has shape \[4,1\], expected \[4,2\]/);
  });
  it('loads from an ONNX model with a com.tscc node and runs', () => {
    const w = activations([4, 64], 9, false);
    const q = quantizeWeight(w, [4, 64], { precision: 'mxfp4' });
    const t = toTensors(q);
    const b = new OnnxBuilder({ opset: 21, extraOpsets: { 'com.tscc': 1 } });
    const x = b.input('x', 'f32', [4, 64]);
    const [wq] = b.node('MxDequantize', [b.initializer(t.codes, 'el'), b.initializer(t.scale!, 'sc')], { format: 'e2m1', shape: [4, 64] }, 1, { domain: 'com.tscc' });
    const [y] = b.node('MxQuantizeDequantize', [x], { format: 'e4m3' }, 1, { domain: 'com.tscc' });
    b.output(b.op('Add', [wq, y]), 'f32');
    const m = loadOnnxBytes(b.toBytes());
    const xin = new Tensor('f32', [4, 64], activations([4, 64], 10, false));
    const out = Object.values(runGraph(m.graph, { x: xin }))[0].data as Float32Array;
    const wd = dequantize(q), xd = mxFakeQuantize(xin.data as Float32Array, [4, 64], 1, 'e4m3');
    sameBits(out, wd.map((v, i) => v + xd[i]));
  });
});

describe('on WebGPU (WGSL; Dawn on SwiftShader here)', () => {
  it('MxDequantize, MxQuantizeDequantize and float8 Q → DQ are bit-exact with the reference', async () => {
    const { compileModel } = await import('../../src/driver/compile.ts');
    const r = rng(3);
    // normal-range data: GPUs flush f32 subnormals, which only blocks with |max| < 2^-126 would produce
    const w = Float32Array.from({ length: 4 * 64 }, (_, i) => (r() * 2 - 1) * 2 ** (i % 7 - 3));
    const b = new OnnxBuilder({ opset: 21, extraOpsets: { 'com.tscc': 1 } });
    const x = b.input('x', 'f32', [4, 64]);
    const s = b.initializer(Tensor.scalar('f32', 0.05), 's'), z = b.initializer(Tensor.scalar('f8e4m3', 0), 'z');
    const formats: MxElement[] = ['e4m3', 'e3m2', 'e2m1', 'int8']; // fp8 (with its NaN code), fp6, packed fp4, int8
    for (const format of formats) {
      const t = toTensors(quantizeWeight(w, [4, 64], { precision: PRECISION[format], mxElement: format }));
      const [wq] = b.node('MxDequantize', [b.initializer(t.codes), b.initializer(t.scale!)], { format, shape: [4, 64] }, 1, { domain: 'com.tscc' });
      const [y] = b.node('MxQuantizeDequantize', [x], { format }, 1, { domain: 'com.tscc' });
      const [q8] = b.node('QuantizeLinear', [y, s, z]);
      b.output(b.op('Add', [wq, b.op('DequantizeLinear', [q8, s, z])]), 'f32');
    }
    const m = loadOnnxBytes(b.toBytes());
    const xin = new Tensor('f32', [4, 64], Float32Array.from({ length: 256 }, (_, i) => (r() * 2 - 1) * 2 ** (i % 9 - 4)));
    const ref = runGraph(m.graph, { x: xin });
    const compiled = await compileModel(m, { target: 'wgsl' });
    const got = (await compiled.target.run!(compiled.artifact, { x: xin })).outputs;
    expect(Object.keys(got).length).toBe(formats.length);
    for (const [k, v] of Object.entries(ref)) sameBits(got[k].data as Float32Array, v.data as Float32Array);
  });
});
