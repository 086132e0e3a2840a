// `tune(model, options)`: every kernel of a model, one after the other, against one database file.
// Kernels that compute the same thing (same workload key) are tuned once.
import { TuningDb } from '../../tuning-db/index.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { lowerGraph } from '../lower/lower.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { workloadKey } from './keys.ts';
import type { CostModel } from './model/model.ts';
import { RandomModel } from './model/model.ts';
import { XgbModel } from './model/xgboost.ts';
import { type ResolvedTarget, resolveTuneTarget } from './targets.ts';
import { type TuneEvent, tuneTask } from './tuner.ts';
import { type TuneTask, tirTask } from './task.ts';
import { ARRAY_OPS, npuEnv } from './npu/layer.ts';
import { npuTask } from './npu/task.ts';
import { wgslTask } from './wgsl/task.ts';
import { pimModelTasks } from './pim/task.ts';
import { loadConfig } from '../../targets/npu/config.ts';
import { type InModelResult, confirmInModel } from './confirm-model.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import type { Target } from '../../targets/target.ts';

export interface TuneOptions {
  readonly target: string;
  readonly db: string;
  /** Trials per kernel, the default schedule (trial 0) included. */
  readonly trials?: number;
  readonly budgetMs?: number;
  readonly batch?: number;
  readonly seed?: number;
  readonly costModel?: 'xgboost' | 'random';
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: TuneEvent) => void;
  readonly onMeasure?: (hashes: readonly string[]) => void;
  /** Timed targets (WGSL): rounds of whole-model runs for the in-model confirmation (default 200; 0 skips it). */
  readonly inModelRounds?: number;
}

export interface KernelSummary { readonly name: string; readonly workloadKey: string; readonly best: number | null; readonly defaultCost: number | null; readonly measured: number }

export interface TuneSummary {
  readonly kernels: KernelSummary[]; readonly stopped: boolean; readonly how: string;
  /** Timed targets: which tuned configs were confirmed faster inside the model (compile applies only those). */
  readonly inModel?: InModelResult;
}

export function makeCostModel(kind: 'xgboost' | 'random' = 'xgboost', seed = 1): CostModel {
  return kind === 'random' ? new RandomModel(seed) : new XgbModel();
}

/** The distinct kernels of a model as the target would compile them. */
export function modelKernels(model: Model, target?: Target): { name: string; func: PrimFunc }[] {
  const graph = target ? optimizeGraph(model.graph, { target }) : model.graph;
  const seen = new Set<string>();
  const out: { name: string; func: PrimFunc }[] = [];
  for (const c of lowerGraph(graph).calls) {
    const k = workloadKey(c.func);
    if (!seen.has(k)) { seen.add(k); out.push({ name: c.func.name, func: c.func }); }
  }
  return out;
}

/** The tuning tasks of a model on a resolved target. */
export function modelTasks(model: Model, r: ResolvedTarget): TuneTask[] {
  if (r.tune.name === 'npu') {
    const graph = optimizeGraph(model.graph, { target: r.target });
    const env = npuEnv(graph, loadConfig(r.target!.variant));
    const seen = new Set<string>();
    const out: TuneTask[] = [];
    for (const n of graph.nodes) {
      if (!ARRAY_OPS.has(n.op)) continue;
      const t = npuTask(env, n);
      if (t && !seen.has(t.workloadKey)) { seen.add(t.workloadKey); out.push(t); }
    }
    return out;
  }
  if (r.tune.name === 'pim') return pimModelTasks(model.graph, r.target!);
  if (r.tune.name === 'wgsl') return modelKernels(model, r.target).map((k) => wgslTask(k.func, k.name, r.profile!, r.measurer!));
  return modelKernels(model, r.target).map((k) => tirTask(k.func, k.name, r.tune.name, r.measurer!, (f) => r.tune.defaultSchedule(f)));
}

export async function tuneModel(model: Model, o: TuneOptions): Promise<TuneSummary> {
  const r = await resolveTuneTarget(o.target);
  const kernels = modelTasks(model, r);
  const db = TuningDb.open(o.db);
  const deadline = o.budgetMs !== undefined ? Date.now() + o.budgetMs : undefined;
  const out: KernelSummary[] = [];
  let inModel: InModelResult | undefined;
  try {
    for (const k of kernels) {
      if (o.signal?.aborted || (deadline !== undefined && Date.now() >= deadline)) break;
      let done: Extract<TuneEvent, { type: 'kernel_done' }> | undefined;
      await tuneTask(k, r.tune.fingerprint, db, {
        trials: o.trials ?? 64, batch: o.batch, seed: o.seed, model: makeCostModel(o.costModel, o.seed), deadline, signal: o.signal,
        // Timed targets: the best is re-measured beside the default before compile may pick it.
        confirm: r.measurer?.unit === 'ms' ? 5 : 0,
        onMeasure: o.onMeasure,
        onEvent: (e) => { if (e.type === 'kernel_done') done = e; o.onEvent?.(e); },
      });
      if (done) out.push({ name: k.name, workloadKey: k.workloadKey, best: done.best, defaultCost: done.defaultCost, measured: done.measured });
    }
    // Timed targets: each kernel's tuned config is kept only if it is faster inside the model too.
    // It runs after a budget stop as well (it takes seconds), so a budgeted run leaves usable records.
    if (r.tune.name === 'wgsl' && !o.signal?.aborted && (o.inModelRounds ?? 200) > 0) {
      r.measurer?.dispose?.(); // the default program kept loaded for paired timing is not needed now
      inModel = await confirmInModel(model, o.target, r.tune.fingerprint, db, { rounds: o.inModelRounds ?? 200, seed: o.seed });
    }
  } finally {
    db.close();
    r.measurer?.dispose?.();
  }
  return { kernels: out, stopped: o.signal?.aborted === true, how: r.how, ...(inModel ? { inModel } : {}) };
}
