// Wall / CPU time and memory of the sequential weight fit (passes/quantize/weight-fit-graph.ts
// `fitWeights`, the driver's default for uniform int8 / fp16 / bf16) on a real model, and a hash of
// the fitted bits — the same hash before and after a speed change means the same weights and biases.
//   npx tsx bench/quant-fit-time.ts MODEL NCAL PRECISION [bias] [POS=4096]
//     MODEL: cls | det (env DET=side, default 192) | hello_deepa …; calibration seed 1, NPU fusion as bench/quant-rounding.ts
//     bias: refit biases (the driver's choice for fp16 / bf16); env FOLD=0: FitOptions.foldShift false
//   e.g. DET=192 npx tsx bench/quant-fit-time.ts det 8 int8
// Session 6 (load 7–10 on 2 shared cores; passes/quantize/README.md "Cost (session 6)"): det 192² int8,
// 8 samples, 57 s wall / 37 s CPU (session 5's code: 507 s / 262 s on the same machine state).
import { loadavg } from 'node:os';
import { optimizeGraph } from '../passes/index.ts';
import { calibrate } from '../passes/quantize/calibrate.ts';
import { quantGroups } from '../passes/quantize/groups.ts';
import type { QuantPlan } from '../passes/quantize/quantize.ts';
import { fitWeights } from '../passes/quantize/weight-fit-graph.ts';
import { loadTarget } from '../src/driver/registry.ts';
import type { Precision } from '../src/quant/precision.ts';
import { benchModel } from './quant-models.ts';

const [which = 'cls', nCalS = '32', p = 'int8', biasS = '', posS = '4096'] = process.argv.slice(2);
const { model, shape, inputs } = benchModel(which);
const g = optimizeGraph(model.graph, { target: await loadTarget('npu') });
const cal = calibrate(g, inputs(Number(nCalS), 1));
const plan: QuantPlan = { precisions: new Map(quantGroups(g).map((q) => [q.name, p as Precision])), ranges: cal.ranges, extremes: cal.extremes };
const load0 = loadavg()[0], t = performance.now(), cpu = process.cpuUsage();
const fitted = fitWeights(g, cal, plan, { target: 'sequential', bias: biasS === 'bias', maxPositions: Number(posS), foldShift: process.env.FOLD !== '0' }).get(p as Precision) ?? new Map();
const wall = (performance.now() - t) / 1e3, user = process.cpuUsage(cpu).user / 1e6;
// FNV-1a over every fitted tensor's bits, in name order.
let h = 0x811c9dc5, elems = 0;
for (const k of [...fitted.keys()].sort()) {
  const bits = new Uint32Array(fitted.get(k)!.toF32().slice().buffer);
  elems += bits.length;
  for (const b of bits) for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((b >>> s) & 0xff), 0x01000193) >>> 0;
}
console.log(`${which} [${shape}] ${p}${biasS === 'bias' ? ' + bias refit' : ''}, ${nCalS} calibration samples (seed 1): fit ${wall.toFixed(1)} s wall, ${user.toFixed(1)} s CPU `
  + `(load ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}), rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; ${fitted.size} tensors, ${elems} elements, bits hash ${h.toString(16).padStart(8, '0')}`);
