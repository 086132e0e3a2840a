// The compile pipeline: graph passes → per-node support check → lowering → schedule (tuned or the
// target's default) → target codegen → artifact folder with report.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileError, UnsupportedError, nodeRef } from '../util/errors.ts';
import { VERSION } from '../version.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { lowerGraph } from '../lower/lower.ts';
import { applySchedule } from '../schedule/apply.ts';
import { optimizeGraph } from '../../passes/index.ts';
import type { Artifact, KernelPlan, ModulePlan, Target } from '../../targets/target.ts';
import { loadTarget } from './registry.ts';
import { openTuningLookup } from '../tune/apply.ts';

export interface CompileOptions {
  /** `name[:variant]`, e.g. `npu:edge16`. */
  readonly target: string;
  /** Skip graph passes (compile the graph as imported). */
  readonly noPasses?: boolean;
  /** A tuning database: kernels with a record faster than their default schedule use it. */
  readonly db?: string;
}

export interface Compiled {
  readonly target: Target;
  readonly plan: ModulePlan;
  readonly artifact: Artifact;
}

export async function compileModel(model: Model, opts: CompileOptions): Promise<Compiled> {
  const target = await loadTarget(opts.target);
  const graph = opts.noPasses ? model.graph : optimizeGraph(model.graph, { target });
  for (const node of graph.nodes) {
    const s = target.supports(node);
    if (!s.ok) throw new UnsupportedError(`${nodeRef(node)} cannot run on ${opts.target}: ${s.reason}`);
  }
  const lowered = target.lowersToTensorIR === false ? { calls: [] } : lowerGraph(graph);
  const tuning = opts.db ? openTuningLookup(opts.db, target.fingerprint()) : undefined;
  let kernels: KernelPlan[];
  try {
    kernels = lowered.calls.map((call) => {
      const choice = tuning?.choose(call.func);
      const schedule = choice?.schedule ?? target.defaultSchedule(call.func, call.node);
      return {
        name: call.func.name, node: call.node, func: applySchedule(call.func, schedule), schedule,
        inputs: call.inputs, outputs: call.outputs, tuned: choice !== undefined,
      };
    });
  } finally {
    tuning?.close();
  }
  const plan: ModulePlan = { graph, kernels };
  return { target, plan, artifact: await target.compile(plan) };
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
    },
    // The plan knows which schedules came from the tuning database, whatever the target reports.
    kernels: a.kernels.map((k) => ({ ...k, tuned: k.tuned || c.plan.kernels.some((p) => p.name === k.name && p.tuned) })),
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
