// NPU benchmark: ResNet-18/50 at batch 1 on the onnxim-tpuv4 preset, timing-only simulation.
// Prints tscc's simulated cycles, the ideal (MACs / (cores·H·W)), array utilization and simulator
// wall time next to ONNXim's own numbers for the same preset (default Gemmini-style mapping, simple
// DRAM): ResNet-18 456,788 cycles, ResNet-50 684,121 cycles, ~29 s to simulate ResNet-50.
//   npx tsx bench/npu.ts [--preset onnxim-tpuv4] [--functional]
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { resnet } from '../models/resnet.ts';
import { loadConfig } from '../targets/npu/config.ts';
import { compileNpu, timeNpu } from '../targets/npu/npu.ts';
import { tuneSchedule } from '../targets/npu/tune.ts';

const ANCHORS: Record<number, number> = { 18: 456_788, 50: 684_121 };
const ONNXIM_SECONDS = 29;
const preset = process.argv.includes('--preset') ? process.argv[process.argv.indexOf('--preset') + 1] : 'onnxim-tpuv4';
const cfg = loadConfig(preset);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`preset ${cfg.name}: ${cfg.cores} cores × ${cfg.H}×${cfg.W} array @ ${cfg.coreFreq} MHz, ${cfg.dramChannels} DRAM channels\n`);
console.log('mapping: "default" = the code generator\'s rule (codegen/schedule.ts); "tuned" = per-layer search over the same schedule space, each candidate timed on the simulator (targets/npu/tune.ts)\n');
console.log('model      | mapping |  tscc cycles |  ideal cycles | util  | ONNXim anchor | speed-up | compile s | simulate s | sim vs ONNXim 29 s');
for (const depth of [18, 50] as const) {
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
