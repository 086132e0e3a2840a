// `--quantize` with `--target hetero`: the fused placement graph is quantized once, each group is
// costed and placed in its own precision, and every device runs its groups' precision natively or
// reports a substitution. Reference: the reference runtime on the same quantized graph. Tolerance
// 1e-2 of the output's max magnitude, as in hetero.test.ts (NPU tpuv4's vector unit is fp16; the
// int8 layers use the graph's scales).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes, loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { compileModel } from '../../src/driver/compile.ts';
import { prepareHetero } from '../../src/driver/hetero/index.ts';
import { compileSegment } from '../../src/driver/hetero/segment.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { main, type Io } from '../../src/cli/main.ts';
import { randomInputs } from '../helpers/check.ts';
import { gpt2Decode, GPT2_TINY } from '../../models/zoo/gpt2-decode.ts';

const MODEL = 'models/tiny-cnn.onnx';
const bytes = readFileSync(MODEL);
const dir = mkdtempSync(join(tmpdir(), 'tscc-hetero-q-'));

interface QSection { layers: { group: string; compute: string; precision: string; refusedByTarget?: string }[]; substituted: Record<string, string>[] }

describe('hetero:npu,pim --quantize', () => {
  for (const precision of ['int8', 'fp16']) {
    it(`${precision}: tiny-cnn on both devices matches the reference runtime on the quantized graph`, async () => {
      const c = await compileModel(loadOnnxFile(MODEL), { target: 'hetero:npu,pim', quantize: { precision } });
      const q = c.quantization as unknown as QSection;
      expect(q.layers.length).toBeGreaterThanOrEqual(4);
      for (const l of q.layers) { expect(l.precision).toBe(precision); expect(l.refusedByTarget).toBeUndefined(); }
      expect(q.substituted).toEqual([]); // hbm3's PU has int8 and fp16; the NPU runs both
      // The placed graph is the quantized one, and both devices run part of it.
      expect(c.plan.graph.nodes.filter((n) => n.quant?.precision === precision).length).toBe(q.layers.length);
      const nodes = (c.artifact.report as { hetero: { placement: { nodes: Record<string, string> } } }).hetero.placement.nodes;
      expect(new Set(Object.values(nodes))).toEqual(new Set(['npu', 'pim']));
      // Each device compiled its groups in the planned precision.
      const word = precision === 'int8' ? /^int8/ : /^(f16|fp16)/;
      const computeKernels = c.artifact.kernels.filter((k) => /\/(Conv|Gemm)_\d+$|\/fused_Gemm_\d+$/.test(k.name));
      expect(computeKernels.length).toBe(q.layers.length);
      for (const k of computeKernels) expect(k.precision, k.name).toMatch(word);
      const inputs = randomInputs(bytes, { seed: 7 });
      const r = await c.target.run!(c.artifact, inputs);
      for (const [k, ref] of Object.entries(runGraph(c.plan.graph, inputs))) {
        const d = compareTensors(k, r.outputs[k], ref, 1e-2);
        expect(d.ok, `${k}: max|a-b| ${d.maxAbs} vs max|ref| ${d.maxRef}`).toBe(true);
      }
    }, 60_000);
  }

  it('a quantized group is costed in its own precision (the cost is its int8 compile on each device)', async () => {
    const prep = await prepareHetero(loadOnnxFile(MODEL), { target: 'hetero:npu,pim', quantize: { precision: 'int8' } });
    const gemm = prep.graph.nodes.find((n) => n.quant && n.body!.nodes.some((m) => m.op === 'Gemm'))!;
    const conv = prep.graph.nodes.find((n) => n.quant && n.body!.nodes.some((m) => m.op === 'Conv'))!;
    for (const [node, id] of [[gemm, 'pim'], [gemm, 'npu'], [conv, 'npu']] as const) {
      const dev = prep.devices.find((d) => d.spec.id === id)!;
      const a = (await compileSegment(prep.graph, [node], dev.spec.target, dev.target, `check_${node.name}`)).compiled.artifact;
      const compute = a.kernels.find((k) => k.ops.some((o) => /(^|\/)(Conv|Gemm)_\d+$/.test(o)))!;
      expect(compute.precision, `${node.name} on ${id}`).toMatch(/^int8/);
      const cost = prep.costs.get(node.name)!.get(id)!;
      expect(cost.source).toBe('simulated');
      expect(cost.ms).toBeCloseTo(a.latencyMs!, 12);
    }
  }, 60_000);

  it('a PIM without int8 (hbm2) reports the substitution under its device', async () => {
    const sys = JSON.parse(readFileSync('src/driver/hetero/systems/npu-pim.json', 'utf8'));
    sys.name = 'npu-pim-hbm2';
    sys.devices.find((d: { id: string }) => d.id === 'pim').target = 'pim:hbm2';
    const file = join(dir, 'hbm2.json');
    writeFileSync(file, JSON.stringify(sys));
    const c = await compileModel(loadOnnxFile(MODEL), { target: 'hetero:npu,pim', system: file, quantize: { precision: 'int8' } });
    const subs = (c.quantization as unknown as QSection).substituted;
    expect(subs.length).toBe(1);
    expect(subs[0]).toMatchObject({ planned: 'int8', device: 'pim', target: 'pim:hbm2' });
    expect(subs[0].ran).toMatch(/^fp16/);
    const inputs = randomInputs(bytes, { seed: 8 });
    const r = await c.target.run!(c.artifact, inputs);
    for (const [k, ref] of Object.entries(runGraph(c.plan.graph, inputs))) expect(compareTensors(k, r.outputs[k], ref, 1e-2).ok).toBe(true);
  }, 60_000);

  it('int4w: the NPU runs int4 weights in f16 and says so per group, under its device', async () => {
    const c = await compileModel(loadOnnxFile(MODEL), { target: 'hetero:npu,pim', quantize: { precision: 'int4w' } });
    const q = c.quantization as unknown as QSection;
    const onNpu = q.substituted.filter((s) => s.device === 'npu');
    const convGroups = q.layers.filter((l) => l.compute.startsWith('Conv_')).map((l) => l.group); // PIM runs no Conv
    expect(convGroups.length).toBe(3);
    expect(onNpu.map((s) => s.group)).toEqual(expect.arrayContaining(convGroups));
    for (const s of onNpu) expect(s).toMatchObject({ planned: 'int4w', target: 'npu', ran: expect.stringMatching(/^f16 .*i4 weights dequantized/) });
  }, 60_000);
});

describe('hetero:npu,pim --quantize int8 on the GPT-2 decode step', () => {
  it('fusion keeps every weight MatMul runnable on PIM once quantized, and the plan matches the reference', async () => {
    const dec = gpt2Decode(GPT2_TINY);
    const c = await compileModel(loadOnnxBytes(dec.bytes), { target: 'hetero:npu,pim', quantize: { precision: 'int8' } });
    const report = c.artifact.report as { hetero: { placement: { nodes: Record<string, string> } } };
    // A MatMul+Add group quantized is one QDQ node PIM refuses (it runs QDQ around a lone GEMV), so
    // fusion splits it when quantizing: each quantized weight MatMul/Gemm is QDQ around it alone.
    const weightGroups = c.plan.graph.nodes.filter((n) => n.quant && n.body!.nodes.some((m) => m.op === 'MatMul' || m.op === 'Gemm'));
    expect(weightGroups.length).toBeGreaterThanOrEqual(5);
    for (const n of weightGroups) expect(n.body!.nodes.filter((m) => !['QuantizeLinear', 'DequantizeLinear'].includes(m.op)), n.name).toHaveLength(1);
    expect(weightGroups.filter((n) => report.hetero.placement.nodes[n.name] === 'pim').length).toBeGreaterThan(0);
    const inputs = randomInputs(dec.bytes, { seed: 3, inputs: dec.inputs });
    const r = await c.target.run!(c.artifact, inputs);
    // 2e-2: the NPU's fp16 vector unit moves some u8 activation codes by one step (the NPU alone on
    // this quantized graph: 1.10e-2 of max|ref| on logits; this plan 1.08e-2).
    for (const [k, ref] of Object.entries(runGraph(c.plan.graph, inputs))) {
      const d = compareTensors(k, r.outputs[k], ref, 2e-2);
      expect(d.ok, `${k}: max|a-b| ${d.maxAbs} vs max|ref| ${d.maxRef}`).toBe(true);
    }
  }, 60_000);
});

describe('tscc compile --target hetero --quantize', () => {
  const capture = () => { const out: string[] = [], err: string[] = []; return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } as Io }; };

  it('prints the placement and the quantize summary; report.json has both sections', async () => {
    const o = capture();
    expect(await main(['compile', MODEL, '--target', 'hetero:npu,pim', '--quantize', 'int8', '-o', join(dir, 'a')], o.io)).toBe(0);
    const text = o.out.join('\n');
    expect(text).toMatch(/system npu-pim: \d+ nodes on npu, \d+ nodes on pim/);
    expect(text).toMatch(/quantize int8: 4×int8/);
    const report = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8'));
    expect(report.quantization.layers.map((l: { precision: string }) => l.precision)).toEqual(['int8', 'int8', 'int8', 'int8']);
    expect(report.quantization.substituted).toEqual([]);
    expect(report.hetero.placement.nodes).toBeDefined();
  }, 60_000);

  it('--quantize auto --latency is refused with hetero, naming the flag; auto with an accuracy floor runs', async () => {
    const o = capture();
    expect(await main(['compile', MODEL, '--target', 'hetero:npu,pim', '--quantize', 'auto', '--latency', '1000'], o.io)).toBe(1);
    expect(o.err.join('\n')).toMatch(/^tscc: error \[E_USAGE\]: --latency .*hetero/);
    const a = capture();
    expect(await main(['compile', MODEL, '--target', 'hetero:npu,pim', '--quantize', 'auto', '--accuracy', 'sqnr>=30', '-o', join(dir, 'b')], a.io)).toBe(0);
    const q = JSON.parse(readFileSync(join(dir, 'b', 'report.json'), 'utf8')).quantization;
    expect(q.met).toBe(true);
    expect(q.metrics.sqnr).toBeGreaterThanOrEqual(30);
  }, 120_000);
});
