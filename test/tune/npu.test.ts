// NPU tuning: the layer records of targets/npu as the search space, cycles from its simulator.
import { describe, expect, it } from 'vitest';
import { TuningDb } from '../../tuning-db/index.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { configHash, DEFAULT_CONFIG } from '../../src/tune/keys.ts';
import { XgbModel } from '../../src/tune/model/xgboost.ts';
import { npuEnv } from '../../src/tune/npu/layer.ts';
import { npuTask } from '../../src/tune/npu/task.ts';
import { Rng } from '../../src/tune/rng.ts';
import { tuneTask } from '../../src/tune/tuner.ts';
import { loadConfig } from '../../targets/npu/config.ts';
import { compileNpu, timeNpu } from '../../targets/npu/npu.ts';
import type { GemmSchedule } from '../../targets/npu/codegen/schedule.ts';
import { FEATURE_LENGTH } from '../../src/tune/features/features.ts';
import { oneOpModel } from '../helpers/check.ts';

const graph = loadOnnxBytes(oneOpModel({
  op: 'Conv', inputs: [['f32', [1, 32, 14, 14]], randomTensor('f32', [64, 32, 3, 3], 1), randomTensor('f32', [64], 2)], attrs: { pads: [1, 1, 1, 1] },
})).graph;
const cfg = loadConfig('onnxim-tpuv4');

describe('NPU layer tuning', () => {
  it('measures deterministic simulator cycles for the layer records of the target', async () => {
    const t = npuTask(npuEnv(graph, cfg), graph.nodes[0])!;
    expect(t.size).toBeGreaterThan(20);
    const rng = new Rng(4);
    const c = t.random(rng);
    const r = t.check(c);
    if (!r.ok) throw new Error(r.reason);
    expect(r.features.length).toBe(FEATURE_LENGTH);
    const [a] = await t.measure([r]), [b] = await t.measure([r]);
    expect(a.ok).toBe(true);
    expect(a.cost).toBeGreaterThan(0);
    expect(b.cost).toBe(a.cost);
  });

  it('tunes from the default (trial 0), and the best record replays in the full compile', async () => {
    const t = npuTask(npuEnv(graph, cfg), graph.nodes[0])!;
    const db = TuningDb.open(':memory:');
    const best = await tuneTask(t, 'npu-test', db, { trials: 17, batch: 8, model: new XgbModel({ rounds: 20 }) });
    const recs = db.lookup(t.workloadKey, db.all()[0].targetKey);
    expect(recs.length).toBe(17);
    const dflt = recs.find((r) => r.configHash === configHash(DEFAULT_CONFIG))!;
    expect(dflt.trial).toBe(0);
    expect(best!.cost).toBeLessThanOrEqual(dflt.cost!);
    // Compiling the whole graph with the record gives the program the tuner measured.
    const s = JSON.parse(best!.schedule) as GemmSchedule;
    const full = timeNpu(compileNpu(graph, cfg, { schedule: { [graph.nodes[0].name]: s } })).cycles;
    const plain = timeNpu(compileNpu(graph, cfg)).cycles;
    if (best!.cost! < dflt.cost!) expect(full).toBeLessThan(plain);
    else expect(full).toBe(plain);
    db.close();
  });
});
