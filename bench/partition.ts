// Heterogeneous placement benchmark: for a GPT-2 decoder step (batch 1 and 8, KV cache 512) and a
// CNN (ResNet-18), the end-to-end latency of each single device, of greedy-by-support placement (ONNX
// Runtime's execution-provider rule: each node to the first device in the list that runs it; printed
// for the most specialized device first — PIM — and for the NPU first) and of tscc's placement. Every latency is the same measure: the plan's segments compiled by their targets,
// timed by the NPU/PIM simulators (CUDA/WGSL: roofline from the system preset), copies on the links,
// list-scheduled (src/driver/hetero/timeline.ts).
//   npx tsx bench/partition.ts [--layers 12] [--vocab 50257] [--systems npu-pim,gpu-npu-pim] [--only decode|cnn] [--split 4]
import { loadOnnxBytes, type Model } from '../src/frontend/onnx/import.ts';
import { gpt2Decode, GPT2_SMALL } from '../models/zoo/gpt2-decode.ts';
import { resnet } from '../models/resnet.ts';
import { CostCache } from '../src/driver/hetero/cost.ts';
import { chooseRealized, prepareHetero, realize, type Realized } from '../src/driver/hetero/index.ts';
import { loadSystem } from '../src/driver/hetero/systems.ts';
import { fromAssignment, type Placement, type Problem } from '../passes/partition/index.ts';

/** Greedy-by-support over a given priority list (device ids). */
function greedyAssign(p: Problem, order: readonly string[]): number[] {
  return p.cost.map((c) => p.devices.indexOf(order.find((d) => Number.isFinite(c[p.devices.indexOf(d)]))!));
}

const arg = (name: string, dflt: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : dflt);
const layers = Number(arg('layers', '12')), vocab = Number(arg('vocab', String(GPT2_SMALL.vocab)));
const systems = arg('systems', 'npu-pim,gpu-npu-pim').split(',');
const only = arg('only', '');
/** Also place the decoder with operator splitting (passes/partition/split.ts), as an extra row. */
const split = Number(arg('split', '0'));

/** ORT-style priority lists: the most specialized provider first, the general one last. */
const GREEDY_ORDER: Record<string, string[]> = { 'npu-pim': ['pim', 'npu'], 'gpu-npu-pim': ['pim', 'npu', 'cuda'], 'soc-wgsl-npu': ['npu', 'wgsl'], workstation: ['pim', 'npu', 'cuda', 'wgsl'] };

const us = (ms: number) => `${(ms * 1e3).toFixed(1)} µs`;

/** Returns the best single-device latency; `ref` (the unsplit graph's) is what a split row compares with. */
async function bench(label: string, model: Model, system: string, split?: number, ref?: { ms: number; name: string }): Promise<{ ms: number; name: string }> {
  const order = GREEDY_ORDER[system] ?? loadSystem(system).devices.map((d) => d.id);
  const t0 = performance.now();
  const prep = await prepareHetero(model, { target: `hetero:${order.join(',')}`, system, cache: new CostCache(), split });
  const tCost = performance.now() - t0;
  const r = prep.result;
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
  console.log(`${label}${split ? ` [MatMuls split in ${split} column blocks]` : ''} on ${system} (${prep.graph.nodes.length} placed nodes; costs ${(tCost / 1e3).toFixed(1)} s)`);
  console.log(`  single:  ${singles.join(' | ')}`);
  console.log(`  greedy (${order.join(' > ')}): ${us(greedy.ms)}, ${greedy.segments} segments, ${greedy.crossings} crossings, ${greedy.copies} copies`);
  if (npuFirst) console.log(`  greedy (npu first): ${us(npuFirst.ms)}, ${npuFirst.segments} segments, ${npuFirst.crossings} crossings, ${npuFirst.copies} copies`);
  console.log(`  tscc (${chosen.placement.method}; DP ${r.dp.exact ? 'exact' : `gap ≤ ${(((r.dp.serialMs - (r.dp.lowerBoundMs ?? 0)) / r.dp.serialMs) * 100).toFixed(1)} %`}): ${us(tscc.ms)}, ` +
    `${[...perDev].map(([d, n]) => `${n} on ${d}`).join(', ')}, ${tscc.segments} segments, ${tscc.crossings} crossings, ${tscc.copies} copies (${(tscc.bytes / 1e6).toFixed(2)} MB)`);
  if (ref && ref.ms < bestSingle) { bestSingle = ref.ms; bestName = `${ref.name}, unsplit graph`; }
  const vsGreedy = greedy.ms / tscc.ms;
  console.log(`  → tscc vs best single (${bestName}): ${(bestSingle / tscc.ms).toFixed(2)}×; vs greedy: ${vsGreedy.toFixed(2)}×${Math.abs(greedy.ms - tscc.ms) < 1e-12 ? ' (same placement)' : ''}\n`);
  return { ms: bestSingle, name: bestName };
}

console.log(`GPT-2 decoder step: width ${GPT2_SMALL.width}, ${GPT2_SMALL.heads} heads, ${layers} layers, vocab ${vocab}, KV cache 512; CNN: ResNet-18 224×224 batch 1\n`);
for (const system of systems) {
  if (only !== 'cnn') {
    for (const batch of [1, 8]) {
      const m = loadOnnxBytes(gpt2Decode({ ...GPT2_SMALL, batch, layers, vocab, past: 512 }).bytes);
      const single = await bench(`GPT-2 decode B=${batch}`, m, system);
      if (split) await bench(`GPT-2 decode B=${batch}`, m, system, split, single);
    }
  }
  if (only !== 'decode') await bench('ResNet-18', loadOnnxBytes(resnet({ depth: 18, batch: 1 }).toBytes()), system);
}
