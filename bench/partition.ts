// Heterogeneous placement benchmark: for a GPT-2 decoder step (batch 1 and 8, KV cache 512) and a
// CNN (ResNet-18), the end-to-end latency of each single device, of greedy-by-support placement (ONNX
// Runtime's execution-provider rule: each node to the first device in the list that runs it; printed
// for the most specialized device first — PIM — and for the NPU first) and of tscc's placement. Every latency is the same measure: the plan's segments compiled by their targets,
// timed by the NPU/PIM simulators (CUDA/WGSL: roofline from the system preset), copies on the links,
// list-scheduled (src/driver/hetero/timeline.ts).
// Next to them, lower bounds on ANY placement under the per-node cost model (passes/partition/bounds.ts):
// without and with ideal operator splitting, and greedy's estimate / bound = the largest speedup over
// greedy that any placement (or split) could reach under that model. `--bounds-only` prints the cost
// model's numbers only (no segment compiles: minutes instead of half an hour per system).
// `--hbm exclusive` models NPU and PIM contending for their one HBM (src/driver/hetero/hbm.ts).
//   npx tsx bench/partition.ts [--layers 12] [--vocab 50257] [--systems npu-pim,gpu-npu-pim] [--only decode|cnn] [--batches 1,8] [--split 4|balanced] [--bounds-only] [--hbm exclusive]
import { loadOnnxBytes, type Model } from '../src/frontend/onnx/import.ts';
import { gpt2Decode, GPT2_SMALL } from '../models/zoo/gpt2-decode.ts';
import { resnet } from '../models/resnet.ts';
import { CostCache } from '../src/driver/hetero/cost.ts';
import { chooseRealized, prepareHetero, realize, type Realized } from '../src/driver/hetero/index.ts';
import { loadSystem } from '../src/driver/hetero/systems.ts';
import { fromAssignment, type Placement, type Problem } from '../passes/partition/index.ts';
import { placementBound, splitBound } from '../passes/partition/bounds.ts';

/** Greedy-by-support over a given priority list (device ids). */
function greedyAssign(p: Problem, order: readonly string[]): number[] {
  return p.cost.map((c) => p.devices.indexOf(order.find((d) => Number.isFinite(c[p.devices.indexOf(d)]))!));
}

const arg = (name: string, dflt: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : dflt);
const layers = Number(arg('layers', '12')), vocab = Number(arg('vocab', String(GPT2_SMALL.vocab)));
const systems = arg('systems', 'npu-pim,gpu-npu-pim').split(',');
const only = arg('only', '');
const batches = arg('batches', '1,8').split(',').map(Number);
const boundsOnly = process.argv.includes('--bounds-only');
/** NPU and PIM on one HBM: 'independent' bandwidth (default) or 'exclusive' (src/driver/hetero/hbm.ts). */
const sharedHbm = arg('hbm', 'independent') as 'independent' | 'exclusive';
/** Also place the decoder with operator splitting (passes/partition/split.ts), as an extra row. */
const splitArg = arg('split', '0');
const split: number | 'balanced' = splitArg === 'balanced' ? 'balanced' : Number(splitArg);

/** ORT-style priority lists: the most specialized provider first, the general one last. */
const GREEDY_ORDER: Record<string, string[]> = { 'npu-pim': ['pim', 'npu'], 'gpu-npu-pim': ['pim', 'npu', 'cuda'], 'soc-wgsl-npu': ['npu', 'wgsl'], workstation: ['pim', 'npu', 'cuda', 'wgsl'] };

const splitLabel = (s?: number | 'balanced') => (s === 'balanced' ? ' [MatMuls split in 2 blocks balanced by cost]' : s ? ` [MatMuls split in ${s} column blocks]` : '');
const us = (ms: number) => `${(ms * 1e3).toFixed(1)} µs`;

/** The cost model's view: estimates (list schedule of per-node costs) and the two lower bounds. */
function boundLines(prep: Awaited<ReturnType<typeof prepareHetero>>, greedyOrder: readonly string[]): string[] {
  const r = prep.result, p = r.dp.problem;
  const pb = placementBound(p), sb = splitBound(p);
  const est = (x: Placement) => x.schedule.makespan;
  const singles = [...r.singles].map(([d, s]) => `${d} ${typeof s === 'string' ? 'n/a' : us(est(s))}`).join(' | ');
  const bestSingle = Math.min(...[...r.singles.values()].map((s) => (typeof s === 'string' ? Infinity : est(s))));
  return [
    `  cost model (per-node costs, list-scheduled): single ${singles}; greedy (${greedyOrder.join(' > ')}) ${us(est(r.greedy))}; ` +
      `tscc DP ${us(est(r.dp))} (serial ${us(r.dp.serialMs)}); best of DP and singles ${us(Math.min(est(r.dp), bestSingle))}`,
    `  lower bound, placement: ${us(pb.ms)} (critical path at cheapest devices ${us(pb.criticalPathMs)}, work LP ${us(pb.workMs)}, min-work/${p.devices.length} ${us(pb.evenWorkMs)}` +
      `${p.hbm ? `, shared-HBM busy time ${us(pb.hbmMs)}` : ''})`,
    `  lower bound, ideal split: ${us(sb.ms)} (critical path at harmonic costs${p.hbm ? ' or HBM time' : ''} ${us(sb.criticalPathMs)}, work LP ${us(sb.workMs)})`,
    `  → greedy / bound: ${(est(r.greedy) / pb.ms).toFixed(3)}× (any placement), ${(est(r.greedy) / sb.ms).toFixed(3)}× (any split); ` +
      `tscc DP / bound: ${(est(r.dp) / pb.ms).toFixed(3)}×, ${(est(r.dp) / sb.ms).toFixed(3)}×`,
  ];
}

/** Returns the best single-device latency; `ref` (the unsplit graph's) is what a split row compares with. */
async function bench(label: string, model: Model, system: string, split?: number | 'balanced', ref?: { ms: number; name: string }): Promise<{ ms: number; name: string }> {
  const order = GREEDY_ORDER[system] ?? loadSystem(system).devices.map((d) => d.id);
  const t0 = performance.now();
  const prep = await prepareHetero(model, { target: `hetero:${order.join(',')}`, system, cache: new CostCache(), split, sharedHbm });
  const tCost = performance.now() - t0;
  const r = prep.result;
  const kept = split && !prep.graph.nodes.some((n) => n.name.includes('__part')) ? ' — unsplit graph kept (nothing worth splitting, or the split estimate was slower)' : '';
  if (boundsOnly) {
    console.log(`${label}${splitLabel(split)} on ${system} (${prep.graph.nodes.length} placed nodes; costs ${(tCost / 1e3).toFixed(1)} s)${kept}`);
    console.log(boundLines(prep, order).join('\n') + '\n');
    return { ms: Infinity, name: '' };
  }
  const memo = new Map<string, Realized>();
  const measure = async (p: Placement) => {
    const { plan, timeline } = await realize(prep, p, undefined, memo);
    return { ms: timeline.makespan, segments: plan.segments.length, copies: timeline.transfers, bytes: timeline.transferBytes, crossings: timeline.crossings, simulated: plan.segments.every((s) => s.source === 'simulated') };
  };
  const singles: string[] = [];
  let bestSingle = Infinity, bestName = '';
  for (const [d, s] of r.singles) {
    if (typeof s === 'string') { singles.push(`${d} n/a (${s})`); continue; }
    const m = await measure(s);
    singles.push(`${d} ${us(m.ms)}${m.simulated ? '' : ' (roofline)'}`);
    if (m.ms < bestSingle) { bestSingle = m.ms; bestName = d; }
  }
  const greedy = await measure(r.greedy);
  const chosen = await chooseRealized(prep, undefined, memo);
  const tscc = { ms: chosen.timeline.makespan, segments: chosen.plan.segments.length, copies: chosen.timeline.transfers, bytes: chosen.timeline.transferBytes, crossings: chosen.timeline.crossings };
  const npuFirst = prep.setup.devices.includes('npu') ? await measure(fromAssignment(r.dp.problem, greedyAssign(r.dp.problem, ['npu', ...order.filter((d) => d !== 'npu')]), 'greedy')) : undefined;
  const perDev = new Map<string, number>();
  chosen.placement.assign.forEach((d) => perDev.set(prep.setup.devices[d], (perDev.get(prep.setup.devices[d]) ?? 0) + 1));
  console.log(`${label}${splitLabel(split)} on ${system} (${prep.graph.nodes.length} placed nodes; costs ${(tCost / 1e3).toFixed(1)} s)${kept}`);
  console.log(`  single:  ${singles.join(' | ')}`);
  console.log(`  greedy (${order.join(' > ')}): ${us(greedy.ms)}, ${greedy.segments} segments, ${greedy.crossings} crossings, ${greedy.copies} copies`);
  if (npuFirst) console.log(`  greedy (npu first): ${us(npuFirst.ms)}, ${npuFirst.segments} segments, ${npuFirst.crossings} crossings, ${npuFirst.copies} copies`);
  console.log(`  realized candidates: ${chosen.tried.map((t) => `${t.method} ${us(t.ms)}`).join(', ')}`);
  console.log(`  tscc (${chosen.placement.method}; DP ${r.dp.exact ? 'exact' : `gap ≤ ${(((r.dp.serialMs - (r.dp.lowerBoundMs ?? 0)) / r.dp.serialMs) * 100).toFixed(1)} %`}): ${us(tscc.ms)}, ` +
    `${[...perDev].map(([d, n]) => `${n} on ${d}`).join(', ')}, ${tscc.segments} segments, ${tscc.crossings} crossings, ${tscc.copies} copies (${(tscc.bytes / 1e6).toFixed(2)} MB)`);
  console.log(boundLines(prep, order).join('\n'));
  const pb = placementBound(r.dp.problem);
  // The bound is on per-node costs; a segment compiled whole can be faster (the NPU fuses across
  // nodes), so a realized plan may land below it — that ratio says how much.
  console.log(`  realized: greedy / placement bound ${(greedy.ms / pb.ms).toFixed(3)}×, tscc / placement bound ${(tscc.ms / pb.ms).toFixed(3)}×`);
  if (ref && ref.ms < bestSingle) { bestSingle = ref.ms; bestName = `${ref.name}, unsplit graph`; }
  const vsGreedy = greedy.ms / tscc.ms;
  console.log(`  → tscc vs best single (${bestName}): ${(bestSingle / tscc.ms).toFixed(2)}×; vs greedy: ${vsGreedy.toFixed(2)}×${Math.abs(greedy.ms - tscc.ms) < 1e-12 ? ' (same placement)' : ''}\n`);
  return { ms: bestSingle, name: bestName };
}

if (sharedHbm === 'exclusive') console.log('Shared HBM: exclusive (PIM kernels hold the banks; NPU traffic at its DRAM bandwidth; one at a time)');
console.log(`GPT-2 decoder step: width ${GPT2_SMALL.width}, ${GPT2_SMALL.heads} heads, ${layers} layers, vocab ${vocab}, KV cache 512; CNN: ResNet-18 224×224 batch 1\n`);
for (const system of systems) {
  if (only !== 'cnn') {
    for (const batch of batches) {
      const m = loadOnnxBytes(gpt2Decode({ ...GPT2_SMALL, batch, layers, vocab, past: 512 }).bytes);
      const single = await bench(`GPT-2 decode B=${batch}`, m, system);
      if (split) await bench(`GPT-2 decode B=${batch}`, m, system, split, single);
    }
  }
  if (only !== 'decode') await bench('ResNet-18', loadOnnxBytes(resnet({ depth: 18, batch: 1 }).toBytes()), system);
}
