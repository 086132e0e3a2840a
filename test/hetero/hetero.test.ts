// Heterogeneous compile and run end to end: placed models executed segment by segment on the NPU and
// PIM simulators (and CUDA's CPU emulation) with explicit copies, compared with onnxruntime-node.
// Tolerance 1e-2 of the output's max magnitude: NPU (tpuv4) and PIM compute in fp16.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { compileModel } from '../../src/driver/compile.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { executePlan } from '../../src/driver/hetero/execute.ts';
import { prepareHetero, realize } from '../../src/driver/hetero/index.ts';
import { fromAssignment } from '../../passes/partition/index.ts';
import { splitMatMuls } from '../../passes/partition/split.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { gpt2Decode, GPT2_TINY } from '../../models/zoo/gpt2-decode.ts';
import { resnetBasic } from '../../models/zoo/cnn.ts';
import { main, type Io } from '../../src/cli/main.ts';
import { randomInputs } from '../helpers/check.ts';
import { OnnxBuilder } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';

interface Case { name: string; bytes: Uint8Array; shapes?: Record<string, number[]>; inputs?: TensorMap }

const decode = gpt2Decode(GPT2_TINY);
const CASES: Case[] = [
  { name: 'tiny-cnn', bytes: readFileSync('models/tiny-cnn.onnx') },
  { name: 'tiny-gpt2', bytes: readFileSync('models/tiny-gpt2.onnx'), shapes: { input_ids: [2, 8] } },
  { name: 'zoo resnet-basic', bytes: resnetBasic(13).bytes },
  { name: 'gpt2-decode (KV cache)', bytes: decode.bytes, inputs: decode.inputs },
  // LSTM: no device runs it whole, so the driver unrolls it before placement.
  { name: 'tiny-vad (LSTM unrolled)', bytes: readFileSync('models/tiny-vad.onnx') },
];

async function expectMatch(c: Case, outputs: TensorMap, inputs: TensorMap): Promise<void> {
  const ref = await runOrt(c.bytes, inputs, { optimization: 'disabled' });
  for (const [k, r] of Object.entries(ref)) {
    const d = compareTensors(k, outputs[k], r, 1e-2);
    expect(d.ok, `${c.name} ${k}: max|a-b| ${d.maxAbs} vs max|ref| ${d.maxRef}`).toBe(true);
  }
}

const devicesOf = (report: unknown) => new Set(Object.values((report as { hetero: { placement: { nodes: Record<string, string> } } }).hetero.placement.nodes));

describe('hetero:npu,pim matches onnxruntime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const model = loadOnnxBytes(c.bytes, { shapes: c.shapes });
      const compiled = await compileModel(model, { target: 'hetero:npu,pim' });
      const inputs = randomInputs(c.bytes, { shapes: c.shapes, inputs: c.inputs });
      const r = await compiled.target.run!(compiled.artifact, inputs);
      await expectMatch(c, r.outputs, inputs);
      expect(compiled.artifact.latencySource).toBe('simulated');
      if (c.name.startsWith('gpt2')) expect([...devicesOf(compiled.artifact.report)].sort()).toEqual(['npu', 'pim']);
    }, 60_000);
  }
});

describe('hetero:npu,pim,cuda', () => {
  it('the chosen placement matches onnxruntime (tiny-gpt2 on gpu-npu-pim)', async () => {
    const c = CASES[1];
    const model = loadOnnxBytes(c.bytes, { shapes: c.shapes });
    const compiled = await compileModel(model, { target: 'hetero:npu,pim,cuda', system: 'gpu-npu-pim' });
    const inputs = randomInputs(c.bytes, { shapes: c.shapes });
    await expectMatch(c, (await compiled.target.run!(compiled.artifact, inputs)).outputs, inputs);
  }, 120_000);

  it('a plan using all three devices copies over PCIe and matches onnxruntime (CUDA on its CPU emulation)', async () => {
    const c = CASES[3];
    const model = loadOnnxBytes(c.bytes);
    const prep = await prepareHetero(model, { target: 'hetero:npu,pim,cuda', system: 'gpu-npu-pim' });
    const p = prep.result.dp.problem;
    const dev = (id: string) => p.devices.indexOf(id);
    // Softmax and the final LayerNormalization on CUDA, what PIM runs on PIM, the rest on the NPU.
    const assign = prep.graph.nodes.map((n, i) => {
      if (n.op === 'Softmax' || n.name === prep.graph.outputs.find((v) => v.name === 'logits')!.producer!.inputs[0]!.producer!.name) return dev('cuda');
      return Number.isFinite(p.cost[i][dev('pim')]) ? dev('pim') : dev('npu');
    });
    const { plan, timeline } = await realize(prep, fromAssignment(p, assign, 'fixed'));
    expect(new Set(plan.segments.map((s) => s.device))).toEqual(new Set(['npu', 'pim', 'cuda']));
    const inputs = randomInputs(c.bytes, { inputs: c.inputs });
    const run = await executePlan(prep.graph, plan, inputs);
    expect(run.segments.find((s) => s.device === 'cuda')!.how).toMatch(/emulation|GPU/);
    expect(run.transfers).toBeGreaterThan(0);
    expect(timeline.events.some((e) => e.kind === 'transfer' && e.lane.includes('cuda'))).toBe(true);
    await expectMatch(c, run.outputs, inputs);
  }, 180_000);
});

describe('hetero:npu,wgsl (soc-wgsl-npu)', () => {
  it('a plan alternating WebGPU and the int8 NPU matches onnxruntime (5e-2: edge16 is int8)', async () => {
    const c = CASES[3];
    const prep = await prepareHetero(loadOnnxBytes(c.bytes), { target: 'hetero:npu,wgsl', system: 'soc-wgsl-npu' });
    const p = prep.result.dp.problem, wgsl = p.devices.indexOf('wgsl'), npu = p.devices.indexOf('npu');
    const assign = prep.graph.nodes.map((n, i) => (/Attention|LayerNorm|Softmax/.test(String(n.attrs.pattern?.value ?? n.op)) && Number.isFinite(p.cost[i][wgsl]) ? wgsl : npu));
    const { plan } = await realize(prep, fromAssignment(p, assign, 'fixed'));
    expect(new Set(plan.segments.map((s) => s.device))).toEqual(new Set(['npu', 'wgsl']));
    const inputs = randomInputs(c.bytes, { inputs: c.inputs });
    const run = await executePlan(prep.graph, plan, inputs);
    expect(run.segments.find((s) => s.device === 'wgsl')!.how).toMatch(/WebGPU/);
    const ref = await runOrt(c.bytes, inputs, { optimization: 'disabled' });
    for (const [k, r] of Object.entries(ref)) expect(compareTensors(k, run.outputs[k], r, 5e-2).ok, k).toBe(true);
  }, 120_000);
});

describe('hetero placement constraints', () => {
  it('respects device memory: PIM too small for any weight gets none of the projections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscc-hetero-'));
    const sys = JSON.parse(readFileSync('src/driver/hetero/systems/npu-pim.json', 'utf8'));
    sys.devices[1].memoryBytes = 1024; // smaller than every weight matrix of the tiny decoder
    writeFileSync(join(dir, 'small.json'), JSON.stringify(sys));
    const prep = await prepareHetero(loadOnnxBytes(decode.bytes), { target: 'hetero:npu,pim', system: join(dir, 'small.json') });
    const best = prep.result.dp;
    for (const m of best.memory) expect(m.weightBytes).toBeLessThanOrEqual(m.capacity);
    const onPim = prep.graph.nodes.filter((_, i) => best.problem.devices[best.assign[i]] === 'pim');
    expect(onPim.every((n) => n.inputs.every((v) => !v?.constant || v.constant.size * 4 <= 1024))).toBe(true);
  }, 60_000);
});

describe('operator splitting (opt-in)', () => {
  it('column blocks + Concat compute the same as the MatMul, and a split placement matches onnxruntime', async () => {
    const c = CASES[3];
    const model = loadOnnxBytes(c.bytes);
    const split = splitMatMuls(model.graph, { parts: 2, minWeightBytes: 0 });
    expect(split.nodes.filter((n) => n.op === 'MatMul').length).toBeGreaterThan(model.graph.nodes.filter((n) => n.op === 'MatMul').length);
    const inputs = randomInputs(c.bytes, { inputs: c.inputs });
    const a = runGraph(model.graph, inputs), b = runGraph(split, inputs);
    for (const k of Object.keys(a)) expect(compareTensors(k, b[k], a[k], 1e-6).ok, k).toBe(true);
    const prep = await prepareHetero(model, { target: 'hetero:npu,pim', split: { parts: 2, minWeightBytes: 0 } });
    expect(prep.graph.nodes.some((n) => n.name.includes('__part1'))).toBe(true);
    const { plan, timeline } = await realize(prep, prep.result.dp);
    await expectMatch(c, (await executePlan(prep.graph, plan, inputs)).outputs, inputs);
    // Segments keep the placement's overlap: some NPU and PIM work runs at the same time.
    const k = timeline.events.filter((e) => e.kind === 'kernel' && e.end > e.start);
    expect(k.some((a) => a.lane === 'npu' && k.some((b) => b.lane === 'pim' && b.start < a.end && a.start < b.end))).toBe(true);
  }, 60_000);
});

describe('transfer discipline', () => {
  it('a Loop is placed whole: its body never spans devices, so no copy happens inside it', async () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [2, 3]);
    const body = new OnnxBuilder({ opset: 17, name: 'body' });
    const i = body.input('i', 'i64', []), ci = body.input('cond_in', 'bool', []), acc = body.input('acc', 'f32', [2, 3]);
    const next = body.op('Add', [acc, body.op('Mul', [x, body.op('Cast', [i], { to: 1 })])]);
    body.output(body.op('Identity', [ci]), 'bool', []);
    body.output(next, 'f32', [2, 3]);
    const [final] = b.node('Loop', [b.initializer(Tensor.i64([3], []), 'M'), '', b.op('Relu', [x])], { body }, 1);
    b.output(b.op('MatMul', [final, b.initializer(Tensor.fromNumbers('f32', [3, 4], Array.from({ length: 12 }, (_, k) => k / 7)), 'w')]), 'f32');
    const compiled = await compileModel(loadOnnxBytes(b.toBytes()), { target: 'hetero:npu,pim' });
    const h = (compiled.artifact.report as { hetero: { loopBodies: { nodes: string[]; transfersInside: number }; placement: { nodes: Record<string, string> } } }).hetero;
    expect(h.loopBodies.nodes).toHaveLength(1);
    expect(h.loopBodies.transfersInside).toBe(0);
    const placed = Object.keys(h.placement.nodes);
    expect(placed).toContain(h.loopBodies.nodes[0]);
    // The body's Add/Mul (which PIM could run) are not placement units of their own.
    expect(placed.filter((n) => /^(Add|Mul|Cast)/.test(n))).toEqual([]);
  }, 60_000);
});

describe('tscc CLI with --target hetero', () => {
  const io = () => { const out: string[] = [], err: string[] = []; return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } as Io }; };

  it('compile writes plan.json, trace.json and report.json with the timeline and crossings; run writes outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscc-hetero-cli-'));
    const o = io();
    expect(await main(['compile', 'models/tiny-gpt2.onnx', '--shape', 'input_ids=2,8', '--target', 'hetero:npu,pim', '--system', 'npu-pim', '-o', dir], o.io)).toBe(0);
    expect(o.out.join('\n')).toMatch(/device crossings \d+/);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.totals.transfers).toBe(report.hetero.crossings); // DESIGN.md: totals.transfers = device crossings
    expect(report.hetero.crossings).toBeGreaterThan(0);
    expect(report.hetero.transfers).toEqual({ count: 0, bytes: 0 }); // shared HBM: crossings without copies
    expect(Object.keys(report.hetero.timeline).sort()).toEqual(['npu', 'pim']);
    expect(report.hetero.placement.dp.exact).toBe(true);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    expect(plan.steps.filter((s: { kind: string }) => s.kind === 'run').length).toBe(plan.segments.length);
    for (const s of plan.segments) expect(readFileSync(join(dir, s.dir, s.device === 'npu' ? 'program.bin' : 'pim/config.json')).length).toBeGreaterThan(0);
    const trace = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8'));
    const x = trace.traceEvents.filter((e: { ph: string }) => e.ph === 'X');
    expect(x.length).toBe(plan.segments.length);
    expect(new Set(x.map((e: { pid: number }) => e.pid)).size).toBe(2);
    const r = io();
    expect(await main(['run', 'models/tiny-gpt2.onnx', '--shape', 'input_ids=2,8', '--target', 'hetero:npu,pim', '--out', join(dir, 'out')], r.io)).toBe(0);
    expect(r.out[0]).toMatch(/hetero plan, \d+ segments/);
    expect(readFileSync(join(dir, 'out', 'logits.npy')).length).toBeGreaterThan(128);
  }, 60_000);

  it('user mistakes are one-line errors (exit 1)', async () => {
    for (const args of [['--target', 'hetero:npu,tpu'], ['--target', 'hetero:npu,pim', '--system', 'nope'], ['--target', 'hetero:npu,wgsl', '--system', 'npu-pim']]) {
      const o = io();
      expect(await main(['compile', 'models/tiny-cnn.onnx', ...args], o.io)).toBe(1);
      expect(o.err.join('\n')).toMatch(/^tscc: error \[E_USAGE\]/);
    }
  });
});
