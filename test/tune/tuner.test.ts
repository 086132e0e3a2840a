import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TuningDb } from '../../tuning-db/index.ts';
import { openTuningLookup, tunedSchedule } from '../../src/tune/apply.ts';
import { DEFAULT_CONFIG, configHash, targetKey, workloadKey } from '../../src/tune/keys.ts';
import { InterpMeasurer } from '../../src/tune/measure/interp.ts';
import { RandomModel } from '../../src/tune/model/model.ts';
import { XgbModel } from '../../src/tune/model/xgboost.ts';
import { INTERP_TARGET } from '../../src/tune/targets.ts';
import { type TuneEvent, tuneKernel, tuneTask } from '../../src/tune/tuner.ts';
import { tirTask } from '../../src/tune/task.ts';
import { applySchedule } from '../../src/schedule/apply.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { matmulFunc } from './fixtures/kernels.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-tuner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fast = new InterpMeasurer({ repeats: 1, minMs: 0.1, warmupMs: 0.5 });

describe('tuneKernel', () => {
  it('measures the default as trial 0, records every batch, and resumes without re-measuring', async () => {
    const db = TuningDb.open(join(dir, 'a.db'));
    const f = matmulFunc(16, 24, 16);
    const measured: string[] = [];
    const events: TuneEvent[] = [];
    const opts = { batch: 4, model: new XgbModel({ rounds: 20 }), onMeasure: (h: readonly string[]) => measured.push(...h), onEvent: (e: TuneEvent) => events.push(e) };
    await tuneKernel(f, 'mm', INTERP_TARGET, db, fast, { ...opts, trials: 9 });
    const wk = workloadKey(f), tk = targetKey(INTERP_TARGET.fingerprint);
    const recs = db.lookup(wk, tk);
    expect(recs.length).toBe(9);
    expect(recs.find((r) => r.trial === 0)?.configHash).toBe(configHash(DEFAULT_CONFIG));
    expect(new Set(recs.map((r) => r.trial)).size).toBe(9);
    expect(measured.length).toBe(9);
    expect(events.filter((e) => e.type === 'batch').length).toBe(4); // default, then growing: 2, 3, 3 (the rest)
    measured.length = 0;
    await tuneKernel(f, 'mm', INTERP_TARGET, db, fast, { ...opts, trials: 9 });
    expect(measured).toEqual([]);
    const before = new Set(recs.map((r) => r.configHash));
    await tuneKernel(f, 'mm', INTERP_TARGET, db, fast, { ...opts, trials: 13 });
    expect(measured.length).toBe(4);
    expect(measured.filter((h) => before.has(h))).toEqual([]);
    db.close();
  });

  it('a resumed run anchors a default-relative measurer to the recorded default cost', async () => {
    const db = TuningDb.open(join(dir, 'anchor.db'));
    const f = matmulFunc(8, 8, 8);
    const anchored: number[] = [];
    const task = { ...tirTask(f, 'mm', 'interp', fast, () => []), anchor: (c: number) => { anchored.push(c); } };
    await tuneTask(task, INTERP_TARGET.fingerprint, db, { trials: 1, model: new RandomModel() });
    expect(anchored).toEqual([]); // nothing recorded yet: the measurer keeps its own scale
    await tuneTask(task, INTERP_TARGET.fingerprint, db, { trials: 3, model: new RandomModel() });
    const d = db.lookup(workloadKey(f), targetKey(INTERP_TARGET.fingerprint)).find((r) => r.trial === 0);
    expect(anchored).toEqual([d!.cost]);
    db.close();
  });

  it('stops before measuring when aborted', async () => {
    const db = TuningDb.open(join(dir, 'b.db'));
    const ac = new AbortController();
    ac.abort();
    await tuneKernel(matmulFunc(8, 8, 8), 'mm', INTERP_TARGET, db, fast, { trials: 10, model: new RandomModel(), signal: ac.signal });
    expect(db.stats().records).toBe(0);
    db.close();
  });

  it('compile picks the best record only when it beats the default, and only for the same fingerprint', async () => {
    const path = join(dir, 'c.db');
    const db = TuningDb.open(path);
    const f = matmulFunc(16, 16, 16);
    await tuneKernel(f, 'mm', INTERP_TARGET, db, fast, { trials: 6, batch: 5, model: new RandomModel(2), confirm: 3 });
    const choice = tunedSchedule(db, INTERP_TARGET.fingerprint, f);
    const recs = db.lookup(workloadKey(f), targetKey(INTERP_TARGET.fingerprint));
    const dflt = recs.find((r) => r.trial === 0)!;
    const best = recs.filter((r) => r.ok).sort((a, b) => a.cost! - b.cost!)[0];
    // The search's best and the default were re-measured side by side (confirm: 3).
    if (best.trial !== 0) expect([best.confirmed, dflt.confirmed].every((c) => typeof c === 'number' && c > 0)).toBe(true);
    const rejected = best.confirmed != null && dflt.confirmed != null && best.confirmed > dflt.confirmed;
    if (best.trial === 0 || rejected) expect(choice).toBeUndefined();
    else {
      expect(choice!.cost).toBeLessThanOrEqual(dflt.cost!);
      // The replayed schedule computes the same result.
      const ins = f.inputs.map((b, i) => randomTensor(b.dtype, b.shape, i + 1));
      const got = runFunc(applySchedule(f, choice!.schedule), ins)[0].toNumbers();
      runFunc(f, ins)[0].toNumbers().forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
    }
    expect(tunedSchedule(db, INTERP_TARGET.fingerprint + '|other', f)).toBeUndefined();
    // A default slower than nothing else: make the default the best, and compile keeps it.
    db.recordBatch([{ ...dflt, configHash: 'fake', trial: 99, cost: dflt.cost! * 2 }]);
    db.close();
    const look = openTuningLookup(path, INTERP_TARGET.fingerprint);
    expect(look.choose(f)?.cost ?? dflt.cost).toBeLessThanOrEqual(dflt.cost!);
    look.close();
    expect(() => openTuningLookup(join(dir, 'missing.db'), 'x')).toThrow(/missing\.db/);
    // A best whose side-by-side re-measurement came out slower than the default's is not applied.
    const db2 = TuningDb.open(path);
    // Faster than every measured record (timings vary run to run), so it is the best one.
    const fastOnce = Math.min(...recs.filter((r) => r.ok).map((r) => r.cost!)) / 10;
    db2.recordBatch([{ ...dflt, configHash: 'fast-once', trial: 100, cost: fastOnce }]);
    expect(tunedSchedule(db2, INTERP_TARGET.fingerprint, f)?.cost).toBe(fastOnce);
    db2.confirm([{ workloadKey: dflt.workloadKey, targetKey: dflt.targetKey, configHash: 'fast-once', cost: dflt.cost! * 1.1 },
      { workloadKey: dflt.workloadKey, targetKey: dflt.targetKey, configHash: dflt.configHash, cost: dflt.cost! }]);
    expect(tunedSchedule(db2, INTERP_TARGET.fingerprint, f)).toBeUndefined();
    db2.close();
  });
});
