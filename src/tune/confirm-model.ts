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
// a new best found by more trials has none, and is checked on that run. A dropped best is not the
// end: the next-fastest record (up to apply.ts RUNNER_UPS) is checked in another pass.
import type { TuningDb, TuningRecord } from '../../tuning-db/index.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { compileModel } from '../driver/compile.ts';
import { lowerGraph } from '../lower/lower.ts';
import type { KernelPlan } from '../../targets/target.ts';
import type { WgslPayload } from '../../targets/wgsl/index.ts';
import { inModelKept, RUNNER_UPS, tunedCandidate, tunedCandidates } from './apply.ts';
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
  /** Whole model GPU time, default/tuned with every kernel's first candidate at once (when anything was measured now). */
  readonly model?: Ci;
}

const verdictOf = (r: TuningRecord, kernels: string[]): InModelVerdict => {
  const speedup = { med: r.inModel!, lo: r.inModelLo!, hi: r.inModelHi! };
  return { kernels, workloadKey: r.workloadKey, configHash: r.configHash, speedup, kept: inModelKept(speedup.lo), fresh: false };
};

/**
 * Checks every kernel's candidate record of `db` (for `fingerprint`, the tuning fingerprint of the WGSL
 * target `spec`) inside `model`, and records the verdicts. When the check drops a kernel's best record,
 * the next candidate (apply.ts RUNNER_UPS) is timed in another pass, until one is kept or none is left.
 * Kernels without a candidate (the default is the best, or nothing was tuned) stay default in both
 * plans: they are the comparison's controls.
 */
export async function confirmInModel(model: Model, spec: string, fingerprint: string, db: TuningDb, o: BlockOptions = {}): Promise<InModelResult> {
  const plain = await compileModel(model, { target: spec });
  const calls = lowerGraph(plain.plan.graph).calls;
  if (calls.length !== plain.plan.kernels.length) throw new Error('internal: the plan and the lowered graph disagree on the kernels');
  const names = (at: Set<number>) => [...at].map((i) => plain.plan.kernels[i].name);
  // Per workload: the plan indices of the kernels computing it (the first call stands for all).
  const sites = new Map<string, { func: (typeof calls)[number]['func']; at: Set<number> }>();
  calls.forEach((c, i) => {
    const wk = workloadKey(c.func);
    if (!sites.has(wk)) sites.set(wk, { func: c.func, at: new Set() });
    sites.get(wk)!.at.add(i);
  });
  // Verdicts recorded by an earlier run, up to each kernel's current candidate.
  const verdicts: InModelVerdict[] = [];
  for (const { func, at } of sites.values()) {
    for (const c of tunedCandidates(db, fingerprint, func)) {
      if (c.record.inModelLo == null) break;
      verdicts.push(verdictOf(c.record, names(at)));
      if (inModelKept(c.record.inModelLo)) break;
    }
  }
  let modelCi: Ci | undefined;
  for (let pass = 0; pass <= RUNNER_UPS; pass++) {
    const todo = [...sites.values()].flatMap(({ func, at }) => {
      const c = tunedCandidate(db, fingerprint, func);
      return c && c.record.inModelLo == null && c.choice.config !== undefined ? [{ record: c.record, config: c.choice.config, at }] : [];
    });
    if (todo.length === 0) break;
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
    verdicts.push(...fresh);
    modelCi ??= speedupCi(D.clocks.gpu, T.clocks.gpu); // every first candidate at once
  }
  return { verdicts, ...(modelCi ? { model: modelCi } : {}) };
}
