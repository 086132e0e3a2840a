// In-model confirmation of WGSL tuning records (src/tune/confirm-model.ts): a record is timed inside
// the whole model against the default plan, its verdict is stored, compile --db applies it only when
// the CI of its in-model speedup lies above 1, and a resumed tune does not check it again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TuningDb, exportJsonl, importJsonl } from '../../tuning-db/index.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { compileModel } from '../../src/driver/compile.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { OnnxBuilder } from '../../models/builder.ts';
import { type Config, DEFAULT_CONFIG, configHash, configJson, targetFingerprint, targetKey, workloadKey } from '../../src/tune/keys.ts';
import { resolveTuneTarget } from '../../src/tune/targets.ts';
import { modelKernels, tuneModel } from '../../src/tune/driver.ts';
import { confirmInModel } from '../../src/tune/confirm-model.ts';
import { tunedCandidate, tunedCandidates } from '../../src/tune/apply.ts';
import { applySchedule } from '../../src/schedule/apply.ts';
import { wgslSpace } from '../../targets/wgsl/config.ts';
import { randomInputs } from '../helpers/check.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-tune-inmodel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** MatMul+Relu (one fused kernel) → MatMul: two kernels, the second the comparison's control. */
function model(): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', 'f32', [64, 96]);
  const h = b.op('Relu', [b.op('MatMul', [x, b.initializer(randomTensor('f32', [96, 80], 1))])]);
  b.output(b.op('MatMul', [h, b.initializer(randomTensor('f32', [80, 32], 2))]));
  return b.toBytes();
}

/** The model's two kernels on WGSL, its target key, the first kernel's space and a slow config of it. */
async function setup(bytes: Uint8Array) {
  const r = await resolveTuneTarget('wgsl');
  const [k0, k1] = modelKernels(loadOnnxBytes(bytes), r.target);
  const tk = targetKey(r.tune.fingerprint);
  // The first kernel's slowest-looking config (a 32-invocation workgroup, no register tile, no
  // hoisting: ~12× the default 8×8-tiled one as a single MatMul).
  const space = wgslSpace(applySchedule(k0.func, []), undefined, r.profile!);
  const slow = space.find((c) => c.stages.every((s) => !s.tile && !s.hoist && !s.split))!;
  // Trial 0 is the default (DEFAULT_CONFIG; compile passes no config for it).
  const rec = (wk: string, trial: number, config: Config, schedule: unknown, cost: number, confirmed?: number) => ({
    workloadKey: wk, targetKey: tk, configHash: configHash(config), config: configJson(config),
    schedule: JSON.stringify(schedule), ok: true, cost, trial, ...(confirmed !== undefined ? { confirmed } : {}),
  });
  return { r, k0, k1, tk, space, slow, w0: workloadKey(k0.func), w1: workloadKey(k1.func), rec };
}

describe('in-model confirmation (WGSL)', () => {
  it('times a record inside the model, stores the verdict, and compile --db applies only records whose CI lies above 1', async () => {
    const bytes = model(), path = join(dir, 'm.db');
    const { r, k0, tk, slow, w0, w1, rec } = await setup(bytes);
    expect(slow).toBeDefined();
    // The slow config recorded as if the search found it fastest, confirmed alone; the defaults too.
    const db = TuningDb.open(path);
    db.addTarget(tk, targetFingerprint(r.tune.fingerprint));
    db.recordBatch([rec(w0, 0, DEFAULT_CONFIG, {}, 1, 1), rec(w0, 1, { slow: 1 }, slow, 0.5, 0.5), rec(w1, 0, DEFAULT_CONFIG, {}, 1, 1)]);
    db.close();
    // Confirmed alone but not yet in a model: compile does not apply it.
    expect((await compileModel(loadOnnxBytes(bytes), { target: 'wgsl', db: path })).plan.kernels.some((k) => k.tuned)).toBe(false);

    const h = TuningDb.open(path);
    const res = await confirmInModel(loadOnnxBytes(bytes), 'wgsl', r.tune.fingerprint, h, { rounds: 24, blocks: 2 });
    expect(res.verdicts.length).toBe(1);
    const v = res.verdicts[0];
    expect(v.fresh).toBe(true);
    expect(v.kernels).toEqual([k0.name]);
    // Much slower inside the model too: the whole CI below 1, so it is not kept.
    expect(v.speedup.hi, JSON.stringify(v.speedup)).toBeLessThan(1);
    expect(v.speedup.lo).toBeLessThanOrEqual(v.speedup.med);
    expect(v.kept).toBe(false);
    expect(res.model!.hi).toBeLessThan(1);
    const stored = h.lookup(w0, tk).find((x) => x.trial === 1)!;
    expect(stored.inModel).toBeCloseTo(v.speedup.med, 9);
    expect(stored.inModelLo).toBeCloseTo(v.speedup.lo, 9);
    // A second check finds the verdict recorded: nothing is timed again.
    const again = await confirmInModel(loadOnnxBytes(bytes), 'wgsl', r.tune.fingerprint, h, { rounds: 24, blocks: 2 });
    expect(again.verdicts.map((x) => x.fresh)).toEqual([false]);
    expect(again.model).toBeUndefined();
    h.close();
    expect((await compileModel(loadOnnxBytes(bytes), { target: 'wgsl', db: path })).plan.kernels.some((k) => k.tuned)).toBe(false);

    // A verdict whose CI lies above 1 is applied, and the tuned model still computes the model.
    const h2 = TuningDb.open(path);
    h2.confirmInModel([{ workloadKey: w0, targetKey: tk, configHash: stored.configHash, med: 1.1, lo: 1.02, hi: 1.2 }]);
    h2.close();
    // The verdict travels with the record through db export / import.
    const h3 = TuningDb.open(path, { readonly: true }), copy = TuningDb.open(':memory:');
    importJsonl(copy, exportJsonl(h3));
    expect(copy.lookup(w0, tk).find((x) => x.trial === 1)?.inModelLo).toBe(1.02);
    h3.close(); copy.close();
    const c = await compileModel(loadOnnxBytes(bytes), { target: 'wgsl', db: path });
    expect(c.plan.kernels.map((k) => k.tuned)).toEqual([true, false]);
    const inputs = randomInputs(bytes);
    const got = await c.target.run!(c.artifact, inputs), ref = await runOrt(bytes, inputs);
    for (const [n, t] of Object.entries(ref)) expect(compareTensors(n, got.outputs[n], t, 1e-4).ok).toBe(true);
  }, 90_000);

  it('when the check drops the best record, the runner-up is timed in another pass and applied if it holds', async () => {
    const bytes = model(), path = join(dir, 'runner-up.db');
    const { r, k0, tk, space, slow, w0, w1, rec } = await setup(bytes);
    const other = space.find((c) => c !== slow && c.stages.some((s) => s.tile))!; // a tiled config: a fair runner-up
    const db = TuningDb.open(path);
    db.addTarget(tk, targetFingerprint(r.tune.fingerprint));
    // Search order: slow (best), the tiled runner-up, a third slower than the default (never a candidate).
    db.recordBatch([rec(w0, 0, DEFAULT_CONFIG, {}, 1), rec(w0, 1, { slow: 1 }, slow, 0.5), rec(w0, 2, { other: 1 }, other, 0.6), rec(w0, 3, { late: 1 }, other, 1.5), rec(w1, 0, DEFAULT_CONFIG, {}, 1)]);
    const res = await confirmInModel(loadOnnxBytes(bytes), 'wgsl', r.tune.fingerprint, db, { rounds: 24, blocks: 2 });
    // Two passes for k0: the slow best (dropped), then the runner-up; k1 has no candidate.
    expect(res.verdicts.map((v) => [v.kernels, v.configHash, v.fresh])).toEqual([[[k0.name], configHash({ slow: 1 }), true], [[k0.name], configHash({ other: 1 }), true]]);
    expect(res.verdicts[0].kept).toBe(false);
    const runnerUp = db.lookup(w0, tk).find((x) => x.trial === 2)!;
    expect(runnerUp.inModelLo).toBeCloseTo(res.verdicts[1].speedup.lo, 9);
    expect(db.lookup(w0, tk).find((x) => x.trial === 3)!.inModelLo).toBeNull();
    // compile --db applies the runner-up exactly when its CI lies above 1; a second check times nothing.
    const kept = res.verdicts[1].kept;
    expect(tunedCandidate(db, r.tune.fingerprint, k0.func)?.record.configHash).toBe(kept ? configHash({ other: 1 }) : undefined);
    const again = await confirmInModel(loadOnnxBytes(bytes), 'wgsl', r.tune.fingerprint, db, { rounds: 24, blocks: 2 });
    expect(again.verdicts.map((v) => v.fresh)).toEqual([false, false]);
    db.close();
    expect((await compileModel(loadOnnxBytes(bytes), { target: 'wgsl', db: path })).plan.kernels.map((k) => k.tuned)).toEqual([kept, false]);
  }, 90_000);

  it('a resumed tscc tune re-measures nothing and does not redo the in-model check', async () => {
    const bytes = model(), path = join(dir, 'resume.db');
    const measured: string[] = [];
    const first = await tuneModel(loadOnnxBytes(bytes), { target: 'wgsl', db: path, trials: 2, batch: 1, inModelRounds: 16 });
    expect(first.kernels.length).toBe(2);
    // Every candidate the first run left (best ≠ default, confirmed faster alone) has a verdict now: what
    // compile would apply is exactly the kept verdicts (a dropped best may have been followed by runner-ups).
    const r = await resolveTuneTarget('wgsl');
    const db = TuningDb.open(path, { readonly: true });
    const kernels = modelKernels(loadOnnxBytes(bytes), r.target);
    const cands = kernels.flatMap((k) => tunedCandidate(db, r.tune.fingerprint, k.func) ?? []);
    const left = kernels.flatMap((k) => tunedCandidates(db, r.tune.fingerprint, k.func)).filter((c) => c.record.inModelLo == null);
    db.close();
    expect(left).toEqual([]);
    const verdicts = first.inModel?.verdicts ?? [];
    expect(cands.map((c) => c.record.configHash).sort()).toEqual(verdicts.filter((v) => v.kept).map((v) => v.configHash).sort());
    expect(verdicts.every((v) => v.fresh)).toBe(true);
    const second = await tuneModel(loadOnnxBytes(bytes), { target: 'wgsl', db: path, trials: 2, batch: 1, inModelRounds: 16, onMeasure: (hs) => measured.push(...hs) });
    expect(measured).toEqual([]);
    expect((second.inModel?.verdicts ?? []).every((v) => !v.fresh)).toBe(true);
    expect(second.inModel?.model).toBeUndefined();
  }, 120_000);
});
