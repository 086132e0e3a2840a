// WGSL tuning: the WGSL code generator's configs as the space, timed on WebGPU (Dawn on SwiftShader
// here), and `compile --db` handing the best record to the target as KernelPlan.config.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TuningDb } from '../../tuning-db/index.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { lowerGraph } from '../../src/lower/lower.ts';
import { compileModel } from '../../src/driver/compile.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { main } from '../../src/cli/main.ts';
import { configHash, DEFAULT_CONFIG, configJson, targetFingerprint, targetKey } from '../../src/tune/keys.ts';
import { resolveTuneTarget } from '../../src/tune/targets.ts';
import { Rng } from '../../src/tune/rng.ts';
import { wgslTask } from '../../src/tune/wgsl/task.ts';
import { WgslMeasurer } from '../../src/tune/measure/wgsl.ts';
import { checkConfig } from '../../targets/wgsl/config.ts';
import { applySchedule } from '../../src/schedule/apply.ts';
import { FEATURE_LENGTH } from '../../src/tune/features/features.ts';
import { oneOpModel, randomInputs } from '../helpers/check.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-tune-wgsl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MM = oneOpModel({ op: 'MatMul', inputs: [['f32', [32, 48]], ['f32', [48, 40]]] });
const func = lowerGraph(loadOnnxBytes(MM).graph).calls[0].func;

describe('WGSL tuning', () => {
  it('lists only configs the target accepts, moves one knob at a time, and rejects unlisted knobs', async () => {
    const r = await resolveTuneTarget('wgsl');
    const t = wgslTask(func, 'mm', r.profile!, r.measurer!);
    expect(t.size).toBeGreaterThan(20);
    const rng = new Rng(3);
    const f = applySchedule(func, []);
    for (let i = 0; i < 20; i++) {
      const c = t.mutate(t.random(rng), rng);
      const ch = t.check(c);
      if (!ch.ok) throw new Error(ch.reason);
      expect(checkConfig(f, ch.schedule as never, r.profile!)).toEqual([]);
      expect(ch.features.length).toBe(FEATURE_LENGTH);
    }
    expect(t.check({ st: 0, wg: 48, pa: 0, ta: 3, tb: 1, u: 0, sp: 0, h: 1 }).ok).toBe(false);
    // The adapter's limits bound the space: with 64 invocations per workgroup, no config asks for more.
    const small = { ...r.profile!, limits: { ...r.profile!.limits, maxComputeInvocationsPerWorkgroup: 64 } };
    const ts = wgslTask(func, 'mm', small, r.measurer!);
    expect(ts.size).toBeLessThan(t.size);
    for (let i = 0; i < 30; i++) {
      const ch = ts.check(ts.random(rng));
      expect(ch.ok && (ch.schedule as { stages: { wg: number }[] }).stages.every((st) => st.wg <= 64)).toBe(true);
    }
    // Different configs are different programs: every knob is visible in the features (the
    // cost model cannot rank configs it cannot tell apart), over the whole space.
    const feats = new Map<string, string>();
    for (let i = 0; i < 50 * t.size && feats.size < t.size; i++) {
      const ch = t.check(t.random(rng));
      if (ch.ok) feats.set(configHash(ch.config), Array.from(ch.features).join(','));
    }
    expect(feats.size).toBe(t.size);
    expect(new Set(feats.values()).size).toBe(t.size);
  });

  it('times the default and a tuned config on WebGPU (checked against the interpreter) and records a failure', async () => {
    const r = await resolveTuneTarget('wgsl');
    const t = wgslTask(func, 'mm', r.profile!, r.measurer!);
    const c = t.check(t.random(new Rng(9)));
    if (!c.ok) throw new Error(c.reason);
    const [d, m] = await t.measure([{ config: DEFAULT_CONFIG, ...t.defaultCandidate() }, c]);
    expect(d.ok, d.error).toBe(true);
    expect(m.ok, m.error).toBe(true);
    expect(d.cost).toBeGreaterThan(0);
    expect(m.cost).toBeGreaterThan(0);
    // A config naming a loop the kernel does not have fails in the code generator: recorded, not thrown.
    const bad = { version: 1, stages: [{ wg: 64, tile: { a: 'nope', ta: 2, b: 'i1', tb: 2 }, hoist: true }] };
    const [x] = await t.measure([{ ...c, schedule: bad }]);
    expect(x.ok).toBe(false);
    expect(x.error).toMatch(/nope/);
  });

  it('paired timing: a cost is the median ratio to the default program, on the scale the tuner anchors', async () => {
    const r = await resolveTuneTarget('wgsl');
    const m = new WgslMeasurer(r.target!, { clock: 'gpu', paired: true, repeats: 6 });
    const t = wgslTask(func, 'mm', r.profile!, m);
    const d = { config: DEFAULT_CONFIG, ...t.defaultCandidate() };
    const [own] = await t.measure([d]);
    expect(own.ok, own.error).toBe(true);
    expect(own.cost).toBeGreaterThan(0);
    t.anchor!(100);
    const [x] = await t.measure([d]);
    // The default against its own program: a ratio near 1 (within 3× on a loaded machine) × 100.
    expect(x.cost).toBeGreaterThan(100 / 3);
    expect(x.cost).toBeLessThan(300);
    m.dispose();
  });

  it('trial 0 is what compile does without a config (a 7×7 conv, whose default rule tiles a 7-long loop by 8)', async () => {
    const r = await resolveTuneTarget('wgsl');
    const conv = lowerGraph(loadOnnxBytes(oneOpModel({ op: 'Conv', inputs: [['f32', [1, 64, 7, 7]], ['f32', [64, 64, 3, 3]]], attrs: { pads: [1, 1, 1, 1] } })).graph).calls[0].func;
    const t = wgslTask(conv, 'conv', r.profile!, new WgslMeasurer(r.target!, { repeats: 2 }));
    const [d] = await t.measure([{ config: DEFAULT_CONFIG, ...t.defaultCandidate() }]);
    expect(d.ok, d.error).toBe(true);
  });

  it('tscc tune --target wgsl records trial 0 and searched configs; compile --db applies the best as the kernel config', async () => {
    const model = join(dir, 'mm.onnx'), db = join(dir, 'wgsl.db');
    writeFileSync(model, MM);
    const out: string[] = [];
    const code = await main(['tune', model, '--target', 'wgsl', '--trials', '3', '--batch', '2', '--db', db], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code, out.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/3 trials, best .* vs default/);
    const r = await resolveTuneTarget('wgsl');
    const t = wgslTask(func, 'mm', r.profile!, r.measurer!);
    const tk = targetKey(r.tune.fingerprint);
    const d = TuningDb.open(db);
    const recs = d.lookup(t.workloadKey, tk);
    expect(recs.length).toBe(3);
    // Make one searched config the fastest (the timings on a shared machine are too noisy to rely
    // on which one wins), then compile with the database: that config must reach the code generator.
    const pick = recs.find((x) => x.trial !== 0 && x.ok)!;
    d.recordBatch([{ ...pick, configHash: configHash({ ...JSON.parse(pick.config), forced: 1 }), config: configJson({ ...JSON.parse(pick.config), forced: 1 }), cost: 1e-6, confirmed: 1e-6, trial: 99,
      // and confirmed faster inside the model (src/tune/confirm-model.ts), without which compile skips a timed record.
      inModel: 1.1, inModelLo: 1.02, inModelHi: 1.2 }]);
    d.addTarget(tk, targetFingerprint(r.tune.fingerprint));
    d.close();
    const compiled = await compileModel(loadOnnxBytes(MM), { target: 'wgsl', db });
    expect(compiled.plan.kernels[0].tuned).toBe(true);
    const used = (compiled.artifact.payload as { built: { plan: { kernels: { config: unknown; tuned: boolean }[] } } }).built.plan.kernels[0];
    expect(used.config).toEqual(JSON.parse(pick.schedule));
    const inputs = randomInputs(MM);
    const got = await compiled.target.run!(compiled.artifact, inputs);
    const ref = await runOrt(MM, inputs);
    for (const [k, v] of Object.entries(ref)) expect(compareTensors(k, got.outputs[k], v, 1e-4).ok).toBe(true);
    // Without the database the default rule's config is used.
    const plain = await compileModel(loadOnnxBytes(MM), { target: 'wgsl' });
    expect(plain.plan.kernels[0].tuned).toBe(false);
  }, 60_000);
});
