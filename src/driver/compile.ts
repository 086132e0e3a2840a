// The compile pipeline: graph passes → per-node support check → lowering → schedule (tuned or the
// target's default) → target codegen → artifact folder with report.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileError, UnsupportedError, nodeRef } from '../util/errors.ts';
import { VERSION } from '../version.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { lowerGraph } from '../lower/lower.ts';
import { applySchedule } from '../schedule/apply.ts';
import { lookupPass, optimizeGraph, runPasses } from '../../passes/index.ts';
import type { Graph, Node } from '../ir/graph/graph.ts';
import type { Artifact, KernelPlan, KernelReport, ModulePlan, Target } from '../../targets/target.ts';
import { loadTarget } from './registry.ts';
import { openTuningLookup, tuningFingerprint } from '../tune/apply.ts';
import { npuLayerSchedules } from '../tune/npu/apply.ts';
import { loadConfig } from '../../targets/npu/config.ts';
import { type QuantizeOptions, quantizeFused, substitutions } from '../quant/search-run.ts';

export interface CompileOptions {
  /** `name[:variant]`, e.g. `npu:edge16`. */
  readonly target: string;
  /** Skip graph passes (compile the graph as imported). */
  readonly noPasses?: boolean;
  /** A tuning database: kernels with a record faster than their default schedule use it. */
  readonly db?: string;
  /** `--target hetero…`: the system (a preset name or a JSON file); see src/driver/hetero. */
  readonly system?: string;
  /** `--quantize …`: a precision per fused group after the graph passes (src/quant/search-run.ts). */
  readonly quantize?: QuantizeOptions;
}

export interface Compiled {
  readonly target: Target;
  readonly plan: ModulePlan;
  readonly artifact: Artifact;
  /** report.json's `quantization` section, with --quantize. */
  readonly quantization?: Record<string, unknown>;
}

export async function compileModel(model: Model, opts: CompileOptions): Promise<Compiled> {
  if (opts.target === 'hetero' || opts.target.startsWith('hetero:')) {
    // Loaded on demand: the hetero driver compiles its segments through this function. No device
    // runs LSTM/GRU/RNN as one kernel, so they are unrolled first and their steps placed like any node.
    const graph = unrollRecurrent(model.graph, () => false);
    return (await import('./hetero/index.ts')).compileHetero(graph === model.graph ? model : { ...model, graph }, opts);
  }
  const target = await loadTarget(opts.target);
  const source = unrollRecurrent(model.graph, (n) => target.supports(n).ok);
  let graph = opts.noPasses ? source : optimizeGraph(source, { target });
  const quant = opts.quantize ? await quantizeFused(graph, opts.quantize, {
    supports: (n) => { const s = target.supports(n); return s.ok ? null : s.reason; },
    precisions: (n) => { const s = target.supports(n); return s.ok ? s.precisions : []; },
    // Targets that schedule graph nodes themselves (the NPU) estimate a graph without lowering: --latency.
    ...(target.lowersToTensorIR === false ? { estimate: async (q: Graph) => (await target.compile({ graph: q, kernels: [] })).kernels } : {}),
  }) : undefined;
  if (quant) graph = quant.graph;
  for (const node of graph.nodes) {
    const s = target.supports(node);
    if (!s.ok) throw new UnsupportedError(`${nodeRef(node)} cannot run on ${opts.target}: ${s.reason}`);
  }
  const lowered = target.lowersToTensorIR === false ? { calls: [] } : lowerGraph(graph);
  const tuning = opts.db ? openTuningLookup(opts.db, await tuningFingerprint(target)) : undefined;
  let kernels: KernelPlan[];
  try {
    kernels = lowered.calls.map((call) => {
      const choice = tuning?.choose(call.func);
      const schedule = choice?.schedule ?? target.defaultSchedule(call.func, call.node);
      return {
        name: call.func.name, node: call.node, func: applySchedule(call.func, schedule), schedule,
        inputs: call.inputs, outputs: call.outputs, tuned: choice !== undefined,
        ...(choice?.config !== undefined ? { config: choice.config } : {}),
      };
    });
  } finally {
    tuning?.close();
  }
  // The NPU schedules graph nodes itself: its tuned records are per layer (src/tune/npu/apply.ts).
  const layerSchedules = opts.db && target.name === 'npu'
    ? npuLayerSchedules(opts.db, await tuningFingerprint(target), graph, loadConfig(target.variant)) : undefined;
  const plan: ModulePlan = { graph, kernels, ...(layerSchedules ? { layerSchedules } : {}) };
  const artifact = await target.compile(plan);
  const quantization = quant ? quantizationSection(quant.report, [{ kernels: artifact.kernels }]) : undefined;
  return { target, plan, artifact, ...(quantization ? { quantization } : {}) };
}

/**
 * report.json's `quantization` section: the search's report plus each group whose kernel ran another
 * precision than planned (`substituted`; tagged with the device when several compiled the graph —
 * the hetero driver passes one entry per segment). Shared by compileModel and src/driver/hetero.
 */
export function quantizationSection(report: Record<string, unknown>, ran: readonly { readonly kernels: readonly KernelReport[]; readonly device?: string }[]): Record<string, unknown> {
  // Targets that inline a quantized group (the NPU) name its members `<fused node>/<member>`; the
  // report's layers name the compute member alone (the Fused node is `<group>` or `fused_<group>`).
  const layers = report.layers as { group: string; compute: string }[];
  const alias = new Map(layers.flatMap((l) => [[`${l.group}/${l.compute}`, l.compute], [`fused_${l.group}/${l.compute}`, l.compute]]));
  const named = (ks: readonly KernelReport[]) => ks.map((k) => ({ ...k, ops: k.ops.map((o) => alias.get(o) ?? o) }));
  const substituted = ran.flatMap((r) => substitutions(report, named(r.kernels)).map((s) => (r.device ? { ...s, device: r.device } : s)));
  return { ...report, substituted };
}

/**
 * A target that refuses LSTM/GRU/RNN gets them unrolled (passes/graph/rnn.ts) before the other passes;
 * a node the pass cannot unroll stays and the support check names it.
 */
function unrollRecurrent(graph: Graph, runs: (n: Node) => boolean): Graph {
  const refused = graph.nodes.some((n) => (n.op === 'LSTM' || n.op === 'GRU' || n.op === 'RNN') && !runs(n));
  return refused ? runPasses(graph, [lookupPass('decompose-rnn')]) : graph;
}

/** The compile report of shared/DESIGN.md; scripts rely on its fields. */
export function compileReport(model: Model, spec: string, c: Compiled): Record<string, unknown> {
  const a = c.artifact;
  return {
    tscc: VERSION,
    model: model.file,
    target: spec,
    totals: {
      kernels: a.kernels.length,
      latencyMs: a.latencyMs ?? null,
      latencySource: a.latencySource,
      ...(a.cycles !== undefined ? { cycles: a.cycles } : {}),
      ...(a.transfers !== undefined ? { transfers: a.transfers } : {}),
    },
    // The plan knows which schedules came from the tuning database, whatever the target reports.
    kernels: a.kernels.map((k) => ({ ...k, tuned: k.tuned || c.plan.kernels.some((p) => p.name === k.name && p.tuned) })),
    ...(a.report ?? {}),
    ...(c.quantization ? { quantization: c.quantization } : {}),
  };
}

export function writeArtifact(dir: string, model: Model, spec: string, c: Compiled): void {
  try {
    mkdirSync(dir, { recursive: true });
    for (const [rel, content] of c.artifact.files) {
      const path = join(dir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    writeFileSync(join(dir, 'report.json'), JSON.stringify(compileReport(model, spec, c), null, 2) + '\n');
  } catch (e) {
    throw new FileError(`${dir}: cannot write the artifact (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
