// PIM GEMV vs the pin-bandwidth bound: y = W·x with W 4096×4096 fp16 on the HBM3 preset.
//   npx tsx bench/pim.ts [N] [K] [preset]
// Prints the simulated cycles (without refresh, with per-bank refresh — the default — and with all-bank
// refresh), the cycles the same weights need to cross
// the external pins of every pseudo-channel, their ratio, and the closed form of one pseudo-channel:
// a 16 KB all-bank row sweep costs nRCD + columns·nCCDAB + nRTP + nRP (280 tCK on HBM3) against
// 512 bursts · nCCDS (1,024 tCK) over its pins. Then the same GEMV per precision (refresh on): fp16,
// bf16 (16-bit lanes) and int8 (a QDQ MatMul: s8 weights in the banks, 32 lanes per column access,
// int32 accumulators), each against the pin bound for its own weight bytes.
import { OnnxBuilder } from '../models/builder.ts';
import { optimizeGraph } from '../passes/index.ts';
import type { Node } from '../src/ir/graph/graph.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import { createPimTarget } from '../targets/pim/index.ts';
import type { PimFormat } from '../targets/pim/fp.ts';
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { randomTensor } from '../src/runtime/random.ts';
import { compileKernel } from '../targets/pim/codegen/program.ts';
import { gemvProblems } from '../targets/pim/codegen/ops.ts';
import { defaultGemvSchedule } from '../targets/pim/layout.ts';
import { runKernel } from '../targets/pim/codegen/program.ts';
import { banksPerPc, getPreset, pcCount, withoutRefresh, type PimConfig } from '../targets/pim/presets.ts';
import { BankArray } from '../targets/pim/sim/functional.ts';

const N = Number(process.argv[2] ?? 4096), K = Number(process.argv[3] ?? 4096);
const preset = getPreset(process.argv[4] ?? 'hbm3');

const b = new OnnxBuilder({ opset: 17 });
b.output(b.op('MatMul', [b.input('x', 'f32', [1, K]), b.input('W', 'f32', [K, N])]));
const node = loadOnnxBytes(b.toBytes()).graph.nodes[0];
const x = randomTensor('f32', [1, K], 1), W = randomTensor('f32', [K, N], 2);

function measure(cfg: PimConfig, refresh?: 'allBank', fmt: 'fp16' | 'bf16' = 'fp16', n: Node = node, ins: Tensor[] = [x, W]) {
  const t0 = performance.now();
  const p = gemvProblems(node);
  if (typeof p === 'string') throw new Error(p);
  const schedule = refresh && { ...defaultGemvSchedule(cfg, p[0]), refresh };
  const prog = compileKernel(cfg, n, 'gemv', { fmt, rowBase: 0, schedule });
  const t1 = performance.now();
  const banks = new Map<number, BankArray>();
  const mem = (pc: number) => { let a = banks.get(pc); if (!a) { a = new BankArray(cfg); banks.set(pc, a); } return a; };
  const { stats } = runKernel(cfg, prog, n, ins, mem);
  return { prog, stats, compileMs: t1 - t0, simMs: performance.now() - t1 };
}

/** The int8 GEMV as the quantizer or onnxruntime's tools write it: x → Q → DQ, W = DQ(i8, s[n]). */
function int8Node(): { n: Node; ins: Tensor[] } {
  const q = new OnnxBuilder({ opset: 21 });
  const c = (dtype: 'f32' | 'u8', v: number) => q.initializer(Tensor.fromNumbers(dtype, [], [v]));
  const s = c('f32', 0.02), zp = c('u8', 128);
  const xd = q.op('DequantizeLinear', [q.op('QuantizeLinear', [q.input('x', 'f32', [1, K]), s, zp]), s, zp]);
  const codes = Int8Array.from({ length: K * N }, (_, i) => (i < N ? 127 : ((i * 7919) % 255) - 127));
  const wd = q.op('DequantizeLinear', [q.initializer(new Tensor('i8', [K, N], codes)), q.initializer(randomTensor('f32', [N], 3, 1e-3, 2e-3))], { axis: 1 });
  q.output(q.op('MatMul', [xd, wd]));
  // The default passes fold the weight's DequantizeLinear and fuse Q/DQ/MatMul into one PIM group.
  const g = optimizeGraph(loadOnnxBytes(q.toBytes()).graph, { target: createPimTarget('hbm3') });
  const n = g.nodes[0];
  return { n, ins: n.inputs.map((v) => (v!.constant ?? x)) };
}

const t = preset.timing;
const P = pcCount(preset), B = banksPerPc(preset);
const sweepBytes = B * preset.columns * 32;
const closedSweep = t.nRCD + preset.columns * t.nCCDAB + t.nRTP + t.nRP;
const closedPins = (sweepBytes / 32) * t.nCCDS;
const pinBound = (N * K * 2) / (P * 32) * t.nCCDS;

const on = measure(preset);
const allBank = measure(preset, 'allBank');
const off = measure(withoutRefresh(preset));
const l = off.prog.gemv![0].layout;
const sweepsPerPc = l.S * l.J; // DRAM row sweeps each pseudo-channel makes
const row = (k: string, v: string) => console.log(`${k.padEnd(44)} ${v}`);
console.log(`GEMV ${N}×${K} fp16 on ${preset.name}: ${P} pseudo-channels × ${B} banks, schedule ${JSON.stringify(l.schedule)}`);
row('closed form per 16 KB row sweep (tCK)', `${closedSweep} PIM vs ${closedPins} pins → ${(closedPins / closedSweep).toFixed(2)}×`);
row('pin-bandwidth bound (cycles)', pinBound.toFixed(0));
for (const [name, r] of [['refresh off', off], ['refresh on (per-bank)', on], ['refresh on (all-bank)', allBank]] as const) {
  const perSweep = r.stats.cycles / sweepsPerPc;
  row(`simulated cycles, ${name}`, `${r.stats.cycles}  (${(r.stats.cycles * preset.tCKns / 1000).toFixed(2)} µs)`);
  row(`  ratio over the pin bound`, `${(pinBound / r.stats.cycles).toFixed(3)}×`);
  row(`  cycles per row sweep vs closed form`, `${perSweep.toFixed(1)} vs ${closedSweep} (${((perSweep / closedSweep - 1) * 100).toFixed(2)}%)`);
  row(`  PU utilization, refreshes`, `${(r.stats.puUtilization * 100).toFixed(1)}%, ${r.stats.refreshes}`);
  row(`  bytes internal / external`, `${r.stats.internalBytes} / ${r.stats.externalBytes}`);
  row(`  commands`, JSON.stringify(r.stats.commands));
  row(`  compile / simulate (ms, host)`, `${r.compileMs.toFixed(0)} / ${r.simMs.toFixed(0)}`);
}

// Per precision, refresh on (the default per-bank rounds), each against the pin bound of its own bytes.
console.log(`\nGEMV ${N}×${K} per precision on ${preset.name} (refresh on):`);
console.log(['format', 'weight bytes', 'cycles', 'pin bound (same bytes)', 'ratio', 'vs fp16'].map((h) => h.padEnd(16)).join(' '));
const q8 = preset.formats.includes('int8') ? int8Node() : undefined;
const runs: [PimFormat, ReturnType<typeof measure>][] = [['fp16', on]];
if (preset.formats.includes('bf16')) runs.push(['bf16', measure(preset, undefined, 'bf16')]);
if (q8) runs.push(['int8', measure(preset, undefined, 'fp16', q8.n, q8.ins)]);
for (const [fmt, r] of runs) {
  if (r.prog.fmt !== fmt) throw new Error(`expected ${fmt}, ran ${r.prog.fmt}`);
  const bytes = N * K * (fmt === 'int8' ? 1 : 2), bound = (bytes / (P * 32)) * t.nCCDS;
  console.log([fmt, String(bytes), String(r.stats.cycles), bound.toFixed(0), `${(bound / r.stats.cycles).toFixed(3)}×`, `${(on.stats.cycles / r.stats.cycles).toFixed(2)}×`].map((v) => v.padEnd(16)).join(' '));
}
