// `--target hetero[:npu,pim,…] [--system preset|file.json]`: place the fused graph across the
// system's devices (passes/partition), compile each device's segments with that device's own target,
// and return one artifact: the sub-artifacts under <segment>/, plan.json (segments and explicit
// transfers), trace.json (Chrome trace of the timeline) and report sections for report.json.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import type { Model } from '../../frontend/onnx/import.ts';
import { UnsupportedError, UsageError, nodeRef } from '../../util/errors.ts';
import type { TensorMap } from '../../runtime/interpreter.ts';
import { partition, type CostTable, type Placement, type Schedule } from '../../../passes/partition/index.ts';
import type { SplitOptions } from '../../../passes/partition/split.ts';
import type { Artifact, KernelReport, RunOutput, Target } from '../../../targets/target.ts';
import { quantizationSection, type Compiled, type CompileOptions } from '../compile.ts';
import { quantizeFused, type QuantizeOutcome } from '../../quant/search-run.ts';
import { loadTarget } from '../registry.ts';
import { CostCache, costTable, type Device } from './cost.ts';
import { executePlan } from './execute.ts';
import { hbmDevices, occupancyTable, type Hbm } from './hbm.ts';
import { balancedSplits } from './balance.ts';
import { placementGraph, runs } from './fuse.ts';
import { buildPlan, placementSegments, type HeteroPlan } from './plan.ts';
import { heteroReport, planJson } from './report.ts';
import { resolveHetero, type HeteroSetup } from './systems.ts';
import { chromeTrace, planTimeline } from './timeline.ts';

export { isHeteroSpec, loadSystem, resolveHetero, SYSTEM_PRESETS } from './systems.ts';

export interface HeteroOptions extends CompileOptions {
  /** A preset name or a system JSON file; default: the first preset with every listed device. */
  readonly system?: string;
  /** Reuse per-node costs across compiles (bench). */
  readonly cache?: CostCache;
  /** Opt-in operator splitting: weight MatMuls ≥ 1 MiB cut into this many column blocks, so the
   *  placement can run blocks on several devices at once (passes/partition/split.ts); 'balanced':
   *  two blocks per worthwhile MatMul sized by its two fastest devices' costs (balance.ts). */
  readonly split?: number | SplitOptions | 'balanced';
  /** How NPU and PIM on one HBM share it: 'independent' bandwidth (default, the original model) or
   *  'exclusive' (one kernel's traffic at a time; PIM holds the banks for its whole run; hbm.ts). */
  readonly sharedHbm?: 'independent' | 'exclusive';
}

export interface Prepared {
  readonly setup: HeteroSetup;
  readonly devices: readonly Device[];
  readonly graph: Graph;
  readonly costs: Awaited<ReturnType<typeof costTable>>;
  readonly result: ReturnType<typeof partition>;
  /** Shared-memory contention model in use (sharedHbm: 'exclusive'). */
  readonly hbm?: Hbm;
  /** With --quantize: the search's outcome; `graph` is then its quantized graph. */
  readonly quant?: QuantizeOutcome;
}

export async function prepareHetero(model: Model, o: HeteroOptions): Promise<Prepared> {
  const setup = resolveHetero(o.target, o.system);
  const devices = await Promise.all(setup.devices.map(async (id) => {
    const spec = setup.system.devices.find((d) => d.id === id)!;
    return { spec, target: await loadTarget(spec.target) };
  }));
  const targets = devices.map((d) => d.target);
  const onHbm = o.sharedHbm === 'exclusive' ? hbmDevices(setup.system, setup.devices) : [];
  const hbmOf = (g: Graph, c: CostTable): Hbm | undefined => (onHbm.length > 1 ? { devices: onHbm, occupancy: occupancyTable(g, devices, c, onHbm) } : undefined);
  const place = async (fused: Graph, prefer?: ReadonlyMap<string, string>): Promise<Prepared> => {
    const quant = o.quantize ? await quantizeForDevices(fused, o, setup, targets) : undefined;
    const graph = quant?.graph ?? fused;
    const costs = await costTable(graph, devices, { db: o.db, cache: o.cache });
    for (const n of graph.nodes) {
      const row = costs.get(n.name)!;
      if ([...row.values()].every((c) => !Number.isFinite(c.ms))) {
        throw new UnsupportedError(`${nodeRef(n)} runs on no device of ${setup.system.name}: ${[...row].map(([d, c]) => `${d}: ${c.detail}`).join('; ')}`);
      }
    }
    const hbm = hbmOf(graph, costs);
    return { setup, devices, graph, costs, hbm, quant, result: partition(graph, costs, setup.system, setup.devices, { hbm, prefer }) };
  };
  const q = !!o.quantize;
  if (o.split !== 'balanced') return place(placementGraph(model.graph, targets, o.noPasses, typeof o.split === 'number' ? { parts: o.split } : o.split, q));
  // Balanced: place the unsplit graph, size two blocks per worthwhile MatMul from its costs, place the
  // split graph (unchanged nodes hit the cost cache) and keep it only if its estimate is faster — the
  // blocks' own costs need not scale with their width.
  const whole = await place(placementGraph(model.graph, targets, o.noPasses, undefined, q));
  const bal = balancedSplits(whole.graph, whole.costs, setup.devices, whole.hbm);
  if (!bal.widths.size) return whole;
  const split = await place(placementGraph(model.graph, targets, o.noPasses, { parts: 2, widths: bal.widths }, q), bal.prefer);
  return split.result.best.schedule.makespan < whole.result.best.schedule.makespan ? split : whole;
}

/**
 * `--quantize` on the fused placement graph, before costing: each quantized group is then costed and
 * placed in its own precision (the NPU and PIM simulators compile its QDQ body as int8 where they run
 * int8). A group no device runs in its precision goes back to fp32 (reported as refusedByTarget).
 */
function quantizeForDevices(fused: Graph, o: HeteroOptions, setup: HeteroSetup, targets: readonly Target[]): Promise<QuantizeOutcome> {
  // A cycle budget is per device, but which device runs each group is decided after quantizing
  // (and the devices' clocks differ), so the search could not judge it; the other budgets hold as is.
  if (o.quantize!.latency) throw new UsageError(`--latency (--quantize auto) is not available with --target ${o.target}: the cycle budget cannot be judged across devices; use --accuracy or --size, or a single --target npu`);
  return quantizeFused(fused, o.quantize!, {
    supports: (n) => (targets.some((t) => runs(t, n)) ? null : `no device of ${setup.system.name} runs it`),
    // Native on some device: bf16 boundary offsets pay off only where a device stores bf16.
    precisions: (n) => targets.flatMap((t) => { const s = t.supports(n); return s.ok ? s.precisions : []; }),
  });
}

export interface Realized { readonly plan: HeteroPlan; readonly timeline: Schedule }

/** Compiles a placement's segments and schedules them; `memo` (by assignment) avoids compiling one twice.
 *  `cutBeforeRemote`: also start a segment at every node reading another device's value (plan.ts). */
export async function realize(prep: Prepared, placement: Placement, db?: string, memo?: Map<string, Realized>, cutBeforeRemote = false): Promise<Realized> {
  const key = placement.assign.join(',') + (cutBeforeRemote ? '|cut' : '');
  const hit = memo?.get(key);
  if (hit) return hit;
  if (cutBeforeRemote && placementSegments(prep.graph, placement, true).length === placementSegments(prep.graph, placement).length) {
    return realize(prep, placement, db, memo); // the same segments either way
  }
  const plan = await buildPlan(prep.graph, placement, prep.devices, { db, cutBeforeRemote });
  const r = { plan, timeline: planTimeline(plan, prep.setup.system, prep.setup.devices, prep.hbm) };
  memo?.set(key, r);
  return r;
}

/**
 * The placement's estimate comes from per-node costs; a segment compiled whole can be faster (the NPU
 * fuses across nodes). So the DP's placement (cut into segments both ways: fewer, longer segments fuse
 * more; cutting before remote reads overlaps more) and every single-device placement estimated within
 * 3× of it are compiled and timed, and the fastest realized plan wins — never slower than a single device.
 */
export async function chooseRealized(prep: Prepared, db?: string, memo?: Map<string, Realized>): Promise<Realized & { placement: Placement; tried: { method: string; ms: number }[] }> {
  const { dp, singles } = prep.result;
  const cands: [Placement, boolean][] = [[dp, false], [dp, true], ...[...singles.values()]
    .filter((s): s is Placement => typeof s !== 'string' && s.schedule.makespan <= 3 * dp.schedule.makespan).map((s): [Placement, boolean] => [s, false])];
  let best: (Realized & { placement: Placement }) | undefined;
  const tried: { method: string; ms: number }[] = [];
  for (const [c, cut] of cands) {
    const r = await realize(prep, c, db, memo, cut);
    tried.push({ method: c.method + (cut ? ' (cut before remote reads)' : ''), ms: r.timeline.makespan });
    if (!best || r.timeline.makespan < best.timeline.makespan) best = { ...r, placement: c };
  }
  return { ...best!, tried };
}

interface HeteroPayload { readonly graph: Graph; readonly plan: HeteroPlan; readonly latencyMs: number }

function heteroTarget(prep: Prepared): Target {
  return {
    name: 'hetero', variant: prep.setup.devices.join(','),
    fingerprint: () => `hetero:${prep.setup.system.name}:${prep.devices.map((d) => d.target.fingerprint()).join('|')}`,
    supports: (node: Node) => (prep.devices.some((d) => runs(d.target, node)) ? { ok: true, precisions: ['per device'] } : { ok: false, reason: `no device of ${prep.setup.system.name} runs it` }),
    defaultSchedule: () => [],
    compile: () => { throw new Error('hetero: compile through compileHetero (the plan needs the model)'); },
    async run(artifact: Artifact, inputs: TensorMap): Promise<RunOutput> {
      const { graph, plan, latencyMs } = artifact.payload as HeteroPayload;
      const r = await executePlan(graph, plan, inputs);
      const how = [...new Map(r.segments.map((s) => [s.device, s.how])).entries()].map(([d, h]) => `${d}: ${h}`).join('; ');
      return { outputs: r.outputs, ms: latencyMs, how: `hetero plan, ${r.segments.length} segments, ${r.transfers} copies (${how})` };
    },
  };
}

export async function compileHetero(model: Model, o: HeteroOptions): Promise<Compiled> {
  const prep = await prepareHetero(model, o);
  const { plan, timeline, placement, tried } = await chooseRealized(prep, o.db);
  const files = new Map<string, string | Uint8Array>();
  const kernels: KernelReport[] = [];
  for (const s of plan.segments) {
    for (const [rel, content] of s.compiled.artifact.files) files.set(`${s.name}/${rel}`, content);
    kernels.push(...s.compiled.artifact.kernels.map((k) => ({ ...k, name: `${s.name}/${k.name}` })));
  }
  files.set('plan.json', JSON.stringify(planJson(prep, plan, timeline), null, 1) + '\n');
  files.set('trace.json', JSON.stringify(chromeTrace(timeline, `${model.file} on ${prep.setup.system.name}`)) + '\n');
  const simulated = plan.segments.every((s) => s.source === 'simulated');
  const payload: HeteroPayload = { graph: prep.graph, plan, latencyMs: timeline.makespan };
  const artifact: Artifact = {
    target: o.target, files, kernels, latencyMs: timeline.makespan, latencySource: simulated ? 'simulated' : 'estimated',
    transfers: timeline.crossings, report: heteroReport(prep, placement, plan, timeline, tried), payload,
  };
  // Substitutions per segment, so each names the device that ran the group in another precision.
  const quantization = prep.quant ? quantizationSection(prep.quant.report, plan.segments.map((s) => ({ device: s.device, kernels: s.compiled.artifact.kernels }))) : undefined;
  return { target: heteroTarget(prep), plan: { graph: prep.graph, kernels: [] }, artifact, ...(quantization ? { quantization } : {}) };
}
