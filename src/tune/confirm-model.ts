// In-model confirmation of timed (WGSL) tuning records. A config measured faster as a one-kernel
// plan is not always faster inside the model: there its input is the previous kernel's fresh
// output and the other kernels share the caches (session 3: a 1×1 conv confirmed 6.4 → 3.7 ms
// alone read 0.92× [0.86..0.95] inside `cnn`). So after the per-kernel search the model is
// compiled twice — the default plan, and the plan with every not-yet-checked candidate config — and
// whole-model runs of both are timed in rounds (random order, blocks of fresh sessions:
// measure/rounds.ts, the bench's method). Per candidate kernel, the GPU time of its dispatches
// gives a per-round speedup default/tuned; its median and bootstrap 95 % CI are recorded on the
// record (`in_model*`), and compile applies the record only when the CI lies above 1 (apply.ts).
// A record that already has a verdict is not checked again, so a resumed `tscc tune` redoes nothing;
// a new best found by more trials has none, and is checked on that run.
import type { TuningDb, TuningRecord } from '../../tuning-db/index.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { compileModel } from '../driver/compile.ts';
import { lowerGraph } from '../lower/lower.ts';
import type { KernelPlan } from '../../targets/target.ts';
import type { WgslPayload } from '../../targets/wgsl/index.ts';
import { inModelKept, tunedCandidate } from './apply.ts';
import { workloadKey } from './keys.ts';
import { type BlockOptions, type Ci, kernelTimes, planInputs, speedupCi, timeBlocks } from './measure/rounds.ts';

export interface InModelVerdict {
  /** The kernels (plan names) computing this workload. */
  readonly kernels: readonly string[];
  readonly workloadKey: string;
  readonly configHash: string;
  /** Speedup default/tuned of these kernels' dispatches inside the model, median and 95 % CI. */
  readonly speedup: Ci;
  /** Whether compile applies it: the CI lies above 1. */
  readonly kept: boolean;
  /** Measured now (false: the verdict recorded by an earlier run). */
  readonly fresh: boolean;
}

export interface InModelResult {
  readonly verdicts: InModelVerdict[];
  /** Whole model GPU time, default/tuned with every candidate at once (when anything was measured now). */
  readonly model?: Ci;
}

const verdictOf = (r: TuningRecord, kernels: string[]): InModelVerdict => {
  const speedup = { med: r.inModel!, lo: r.inModelLo!, hi: r.inModelHi! };
  return { kernels, workloadKey: r.workloadKey, configHash: r.configHash, speedup, kept: inModelKept(speedup.lo), fresh: false };
};

/**
 * Checks every kernel's best record of `db` (for `fingerprint`, the tuning fingerprint of the WGSL
 * target `spec`) inside `model`, and records the verdicts. Kernels without a candidate (the default
 * is the best, or nothing was tuned) stay default in both plans: they are the comparison's controls.
 */
export async function confirmInModel(model: Model, spec: string, fingerprint: string, db: TuningDb, o: BlockOptions = {}): Promise<InModelResult> {
  const plain = await compileModel(model, { target: spec });
  const calls = lowerGraph(plain.plan.graph).calls;
  if (calls.length !== plain.plan.kernels.length) throw new Error('internal: the plan and the lowered graph disagree on the kernels');
  // Per workload with a candidate: its record and the plan indices of the kernels computing it.
  const cands = new Map<string, { record: TuningRecord; config: unknown; at: Set<number> }>();
  calls.forEach((c, i) => {
    const wk = workloadKey(c.func);
    if (!cands.has(wk)) {
      const t = tunedCandidate(db, fingerprint, c.func);
      if (!t || t.choice.config === undefined) return;
      cands.set(wk, { record: t.record, config: t.choice.config, at: new Set() });
    }
    cands.get(wk)!.at.add(i);
  });
  const names = (at: Set<number>) => [...at].map((i) => plain.plan.kernels[i].name);
  const done = [...cands.values()].filter((c) => c.record.inModelLo != null).map((c) => verdictOf(c.record, names(c.at)));
  const todo = [...cands.values()].filter((c) => c.record.inModelLo == null);
  if (todo.length === 0) return { verdicts: done };

  const configOf = new Map(todo.flatMap((c) => [...c.at].map((i) => [i, c.config] as const)));
  const kernels: KernelPlan[] = plain.plan.kernels.map((k, i) => (configOf.has(i) ? { ...k, config: configOf.get(i), tuned: true } : k));
  const tuned = await plain.target.compile({ ...plain.plan, kernels });
  const pd = plain.artifact.payload as WgslPayload, pt = tuned.payload as WgslPayload;
  const [D, T] = await timeBlocks([pd, pt], planInputs(pd), o);
  const fresh = todo.map((c): InModelVerdict => {
    const speedup = speedupCi(kernelTimes(pd, D, c.at), kernelTimes(pt, T, c.at));
    return { kernels: names(c.at), workloadKey: c.record.workloadKey, configHash: c.record.configHash, speedup, kept: inModelKept(speedup.lo), fresh: true };
  });
  db.confirmInModel(todo.map((c, i) => ({ workloadKey: c.record.workloadKey, targetKey: c.record.targetKey, configHash: c.record.configHash, ...fresh[i].speedup })));
  return { verdicts: [...done, ...fresh], model: speedupCi(D.clocks.gpu, T.clocks.gpu) };
}
