// The PIM schedule space: every point compiles to a timing-legal stream whose result is the intent
// bit for bit (kSplit changes the summation order, the other knobs only the command order).
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../../models/builder.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import type { Program } from '../../../targets/pim/codegen/program.ts';
import { createPimTarget } from '../../../targets/pim/index.ts';
import { defaultGemvSchedule, parseGemvSchedule, type GemvProblem } from '../../../targets/pim/layout.ts';
import { getPreset } from '../../../targets/pim/presets.ts';
import { expectRoundTrip } from './helpers.ts';
import { intentOutputs } from './intent.ts';

describe('schedule space of a batched GEMV [3, 400] × [400, 60] on hbm3', () => {
  const b = new OnnxBuilder({ opset: 17 });
  b.output(b.op('MatMul', [b.input('x', 'f32', [3, 400]), b.initializer(randomTensor('f32', [400, 60], 5))]));
  const bytes = b.toBytes();
  const model = loadOnnxBytes(bytes);
  const inputs = { x: randomTensor('f32', [3, 400], 6) };

  it('enumerates kSplit × rowsPerPass × overlap, all valid; each runs legally and matches the intent and onnxruntime', async () => {
    const base = await compileModel(model, { target: 'pim', noPasses: true });
    const node = base.plan.kernels[0].node;
    const space = createPimTarget('hbm3').scheduleSpace(node);
    expect(space.length).toBe(5 * 2 * 2); // kSplit 1…16 (divisors of 32 PCs, ≤ 25 column vectors of k), rowsPerPass 1…2 (8 accumulators / M 3)
    expect(space).toContainEqual(defaultGemvSchedule(getPreset('hbm3'), { M: 3, N: 60, K: 400 } as GemvProblem));
    const ref = (await runOrt(bytes, inputs))[model.graph.outputs[0].name];
    const cycles = new Set<number>();
    for (const s of space) {
      const t = createPimTarget('hbm3', { schedules: { [base.plan.kernels[0].name]: parseGemvSchedule(JSON.parse(JSON.stringify(s))) } });
      const artifact = await t.compile(base.plan);
      const programs = (artifact.payload as { programs: Program[] }).programs;
      expect(programs[0].gemv![0].layout.schedule).toEqual(s);
      const r = await t.run!(artifact, inputs);
      const pim = { compiled: { ...base, artifact }, programs, inputs, outputs: r.outputs, diffs: [], cycles: r.cycles ?? 0 };
      expectRoundTrip(pim.compiled, programs);
      const got = Object.values(r.outputs)[0];
      expect(intentOutputs(pim)[0], JSON.stringify(s)).toEqual(Array.from(got.toF32()));
      expect(compareTensors('y', got, ref, 1e-2).ok, JSON.stringify(s)).toBe(true);
      cycles.add(r.cycles!);
    }
    expect(cycles.size).toBeGreaterThan(5); // the knobs change the schedule's cost
  }, 60_000);
  it('rejects schedules outside the space with a message', () => {
    expect(() => parseGemvSchedule({ kSplit: 2 })).toThrow(/rowsPerPass/);
  });
});

describe('schedule space of attention decode q·Kᵀ over 4 heads', () => {
  const b = new OnnxBuilder({ opset: 17 });
  b.output(b.op('MatMul', [b.input('q', 'f32', [1, 4, 1, 32]), b.input('k_t', 'f32', [1, 4, 32, 40])]));
  const bytes = b.toBytes();
  const model = loadOnnxBytes(bytes);
  const inputs = { q: randomTensor('f32', [1, 4, 1, 32], 1), k_t: randomTensor('f32', [1, 4, 32, 40], 2) };

  it('places heads on pseudo-channel groups side by side; every point matches the intent', async () => {
    const base = await compileModel(model, { target: 'pim', noPasses: true });
    const name = base.plan.kernels[0].name;
    const space = createPimTarget('hbm3').scheduleSpace(base.plan.kernels[0].node);
    expect(new Set(space.map((s) => s.pcGroups))).toEqual(new Set([1, 2, 4]));
    const programs0 = (base.artifact.payload as { programs: Program[] }).programs;
    expect(programs0[0].gemv![0].layout.schedule.pcGroups).toBe(4); // the default
    const ref = (await runOrt(bytes, inputs))[model.graph.outputs[0].name];
    const byGroups = new Map<number, number>();
    for (const s of space.filter((x) => x.rowsPerPass === 1 || x.rowsPerPass === 8)) {
      const t = createPimTarget('hbm3', { schedules: { [name]: s } });
      const artifact = await t.compile(base.plan);
      const programs = (artifact.payload as { programs: Program[] }).programs;
      const r = await t.run!(artifact, inputs);
      const got = Object.values(r.outputs)[0];
      const pim = { compiled: { ...base, artifact }, programs, inputs, outputs: r.outputs, diffs: [], cycles: r.cycles ?? 0 };
      expect(intentOutputs(pim)[0], JSON.stringify(s)).toEqual(Array.from(got.toF32()));
      expect(compareTensors('y', got, ref, 1e-2).ok, JSON.stringify(s)).toBe(true);
      byGroups.set(s.pcGroups, Math.min(byGroups.get(s.pcGroups) ?? Infinity, r.cycles!));
    }
    expect(byGroups.get(4)!).toBeLessThan(byGroups.get(1)!);
  }, 60_000);
});
