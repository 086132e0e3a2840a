// Float boundaries with per-channel offsets (passes/quantize/float-offsets.ts, QuantPlan.floatOffsets):
// which values get one, the graph the quantize pass writes (Sub before the producer's Cast, Add after
// each reader's), its numbers against an independent bf16 rounding, onnxruntime, and that it lowers
// the error on activations far from zero.
import { describe, expect, it } from 'vitest';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { toOnnxBytes } from '../../passes/quantize/export.ts';
import { floatOffsets } from '../../passes/quantize/float-offsets.ts';
import { activationInputs, quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph, type QuantPlan } from '../../passes/quantize/quantize.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compileModel } from '../../src/driver/compile.ts';
import { Graph } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { rng } from '../../src/runtime/random.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { bf16BitsToF32, f32ToBf16Bits } from '../../src/util/float16.ts';
import { chainConstants, chainGraph, chainSamples } from './spread-chain.ts';

/** The chain of spread-chain.ts with conv1's bias moved far from zero (b1 += 40): y1 sits on an offset. */
function offsetChain(): Graph {
  const consts = chainConstants(7, rng(3)).map((c) => (c.name !== 'b1' ? c : { ...c, constant: new Tensor('f32', [8], (c.constant.data as Float32Array).map((b, i) => b + 40 * (i % 2 ? 1 : -0.5))) }));
  return optimizeGraph(chainGraph(consts, { relu1: false }));
}

const bf16 = (x: number) => bf16BitsToF32(f32ToBf16Bits(x));

describe('float boundary offsets', () => {
  const g = offsetChain();
  const samples = chainSamples(4, 100);
  const cal = calibrate(g, samples);
  const groups = quantGroups(g);
  const inputs = activationInputs(g);

  it('keeps an offset where the channel mean dominates, none on values centred near zero', () => {
    const off = floatOffsets(g, cal.activations, inputs);
    const y1 = groups[1].compute.input(0)!.name; // conv1 → depthwise: the shifted value
    expect(off.has(y1)).toBe(true);
    const m = off.get(y1)!;
    // The means follow the +40 / −20 shifts of conv1's bias.
    for (let c = 0; c < 8; c++) expect(m[c]).toBeCloseTo(c % 2 ? 40 : -20, -1);
    // x is uniform in [−0.2, 1): mean ≈ 0.4, spread ≈ 0.35 → E[x²]/var ≈ 2.3 (3.6 dB): kept at 1 dB, not at 6.
    expect(floatOffsets(g, cal.activations, ['x']).has('x')).toBe(true);
    expect(floatOffsets(g, cal.activations, ['x'], { minGainDb: 6 }).has('x')).toBe(false);
  });

  it('fits the offset of a Relu output to its nonzero elements (zeros stay exact either way)', () => {
    const consts = chainConstants(7, rng(3)).map((c) => (c.name !== 'b1' ? c : { ...c, constant: new Tensor('f32', [8], (c.constant.data as Float32Array).map((x) => x + 4)) }));
    const gr = optimizeGraph(chainGraph(consts));
    const acts = calibrate(gr, samples).activations;
    const r1 = quantGroups(gr)[1].compute.input(0)!.name;
    const c = floatOffsets(gr, acts, [r1]).get(r1)!;
    expect(c).toBeDefined();
    const [, ch, h, w] = gr.value(r1)!.type.shape as number[];
    for (let k = 0; k < ch; k++) {
      let s = 0, n = 0, zeros = 0;
      for (const env of acts) { const d = env.get(r1)!.data as Float32Array; for (let i = k * h * w; i < (k + 1) * h * w; i++) { if (d[i] !== 0) { s += d[i]; n++; } else zeros++; } }
      expect(c[k]).toBeCloseTo(bf16(s / n), 5);
      if (k === 0) expect(zeros).toBeGreaterThan(0); // the case this is about
    }
  });

  const off = floatOffsets(g, cal.activations, inputs);
  const plan = (offsets?: Map<string, Float32Array>): QuantPlan => ({ precisions: new Map(groups.map((q) => [q.name, 'bf16'])), ranges: cal.ranges, extremes: cal.extremes, floatOffsets: offsets });

  it('writes Sub → Cast(bf16) in the producer and Cast(f32) → Add in the reader; quant info carries the offsets', () => {
    const q = quantizeGraph(g, plan(off));
    const y1 = groups[1].compute.input(0)!.name;
    const producer = q.value(y1)!.producer!, reader = q.value(y1)!.consumers[0];
    expect(q.value(y1)!.type.dtype).toBe('bf16');
    expect(producer.body!.nodes.slice(-2).map((n) => n.op)).toEqual(['Sub', 'Cast']);
    const ops = reader.body!.nodes.map((n) => n.op);
    expect(ops.slice(0, ops.indexOf('Conv'))).toEqual(expect.arrayContaining(['Cast', 'Add']));
    const info = (reader.quant as unknown as { inputs: { dtype: string; offset?: number[] }[] }).inputs[0];
    expect(info.dtype).toBe('bf16');
    expect(info.offset).toEqual([...off.get(y1)!]);
  });

  it('computes bf16(x − c) + c at each boundary: equal to an independent rounding of the fp32 chain', () => {
    const q = quantizeGraph(g, plan(off));
    // Reference: run the float graph one group at a time, rounding each boundary by hand.
    const round = (name: string, t: Tensor): Tensor => {
      const c = off.get(name), [, ch] = t.shape as number[], inner = t.size / ch;
      return new Tensor('f32', t.shape, (t.data as Float32Array).map((x, i) => { const m = c ? c[Math.floor(i / inner) % ch] : 0; return bf16(x - m) + m; }));
    };
    const bf16Weights = (gr: Graph): Graph => {
      const spec = gr.toSpec();
      return Graph.build({ ...spec, constants: spec.constants.map((c) => (c.type.shape.length === 4 ? { ...c, constant: new Tensor('f32', c.constant!.shape, (c.constant!.data as Float32Array).map(bf16)) } : c)) });
    };
    const gw = bf16Weights(g);
    for (const s of samples.slice(0, 2)) {
      let env: TensorMap = { ...s };
      for (const n of gw.nodes) {
        const ins = Object.fromEntries(n.inputs.filter((v) => v && !v.isConstant && !gw.value(v.name)!.isConstant).map((v) => [v!.name, groups.some((q2) => q2.name === n.name) ? round(v!.name, env[v!.name]) : env[v!.name]]));
        const single = Graph.build({ ...gw.toSpec(), inputs: Object.keys(ins).map((k) => ({ name: k, type: gw.value(k)!.type })), nodes: [n.toSpec()], outputs: n.outputs.map((o) => o.name) });
        env = { ...env, ...runGraph(single, ins) };
      }
      const ours = runGraph(q, s);
      const d = compareTensors('y', ours.y, env.y, 1e-5);
      expect(d.ok, `max|a-b| ${d.maxAbs} of ${d.maxRef}`).toBe(true);
    }
  });

  it('runs on onnxruntime as exported (standard Sub / Cast / Add)', async () => {
    const q = quantizeGraph(g, plan(off));
    const s = samples[3];
    const ours = runGraph(q, s), ref = await runOrt(toOnnxBytes(q), s, { optimization: 'disabled' });
    const d = compareTensors('y', ours.y, ref.y, 1e-4);
    expect(d.ok, `max|a-b| ${d.maxAbs} of ${d.maxRef}`).toBe(true);
  });

  it('lowers the bf16 error on held-out inputs of the shifted chain', () => {
    const held = chainSamples(8, 500);
    const refs = held.map((s) => runGraph(g, s));
    const sqnr = (p: QuantPlan) => { const q = quantizeGraph(g, p); return metricsOf(refs, held.map((s) => runGraph(q, s))).sqnr; };
    const plain = sqnr(plan()), centred = sqnr(plan(off));
    expect(centred).toBeGreaterThan(plain + 3);
  });
});

describe('float boundary offsets on every target', () => {
  const graph = chainGraph(chainConstants(7, rng(3)).map((c) => (c.name !== 'b1' ? c : { ...c, constant: new Tensor('f32', [8], (c.constant.data as Float32Array).map((b, i) => b + 40 * (i % 2 ? 1 : -0.5))) })), { relu1: false });
  const model = { graph, file: '<offset chain>', irVersion: 8, producer: 'test', opsets: graph.opsets };
  const input = chainSamples(1, 900)[0];
  // NPU: its float path is f16 (bf16 substituted, reported); WGSL: f32/f16; CUDA: bf16 tensor cores (CPU emulation).
  it.each([['npu', 1e-2], ['wgsl', 1e-2], ['cuda', 1e-2]] as const)('%s runs the Sub / Add of an offset boundary as the reference runtime does', async (target, tol) => {
    const c = await compileModel(model, { target, quantize: { precision: 'bf16', calibSamples: 4, floatOffsets: true } });
    const q = c.quantization as { floatOffsets: { values: number } };
    expect(q.floatOffsets.values).toBeGreaterThan(0);
    const ours = (await c.target.run!(c.artifact, input)).outputs;
    const ref = runGraph(c.plan.graph, input);
    const d = compareTensors('y', ours.y, ref.y, tol);
    expect(d.ok, `max|a-b| ${d.maxAbs} of ${d.maxRef}`).toBe(true);
  }, 240_000);

  it('are the default for bf16 only where the target stores bf16 (CUDA, the reference runtime), not where it substitutes (NPU, WGSL)', async () => {
    const offsets = async (target: string, precision = 'bf16') => (await compileModel(model, { target, quantize: { precision, calibSamples: 2, weightFit: false } })).quantization!.floatOffsets;
    expect(await offsets('cuda')).toMatchObject({ values: expect.any(Number) });
    expect(await offsets('npu')).toBe('off');
    expect(await offsets('wgsl')).toBe('off');
    expect(await offsets('cuda', 'fp16')).toBe('off');
  }, 240_000);
});
