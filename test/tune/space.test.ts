import { describe, expect, it } from 'vitest';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { FEATURE_LENGTH, featurize } from '../../src/tune/features/features.ts';
import { configHash } from '../../src/tune/keys.ts';
import { InterpMeasurer } from '../../src/tune/measure/interp.ts';
import { Rng } from '../../src/tune/rng.ts';
import { randomValid } from '../../src/tune/search.ts';
import { buildSpace } from '../../src/tune/space/index.ts';
import { gpuSpace } from '../../src/tune/space/gpu.ts';
import { WEBGPU_LIMITS, usage } from '../../src/tune/space/limits.ts';
import { analyzeNest } from '../../src/tune/space/nest.ts';
import { convFunc, matmulFunc } from './fixtures/kernels.ts';

describe('search spaces', () => {
  it('finds the spatial and reduction loops of matmul and conv', () => {
    const mm = analyzeNest(matmulFunc(8, 12, 16));
    expect(mm.spatial.map((l) => [l.name, l.extent])).toEqual([['i0', 8], ['i1', 12]]);
    expect(mm.reduce.map((l) => [l.name, l.extent])).toEqual([['rk', 16]]);
    const cv = analyzeNest(convFunc(4, 8, 8, 3));
    expect(cv.spatial.map((l) => l.extent)).toEqual([1, 8, 8, 8]);
    expect(cv.reduce.map((l) => l.extent)).toEqual([4, 3, 3]);
  });

  it('every valid CPU config computes what the unscheduled kernel computes', async () => {
    const f = convFunc(4, 8, 8, 3);
    const space = buildSpace(f, 'interp');
    const rng = new Rng(3);
    const seen = new Set<string>();
    const m = new InterpMeasurer({ repeats: 1, minMs: 0.01, warmupMs: 0 });
    for (let i = 0; i < 12; i++) {
      const c = randomValid(space, rng, seen)!;
      seen.add(configHash(c));
      const r = space.check(c);
      if (!r.ok) throw new Error(r.reason);
      const [res] = await m.measure([{ base: space.nest.func, func: r.func, steps: r.steps, config: c }]);
      expect(res.error).toBeUndefined();
      expect(res.ok).toBe(true);
    }
  });

  it('GPU configs over the device limits are rejected before measurement; valid ones fit and compute correctly', () => {
    const f = matmulFunc(16, 16, 8);
    const small = { ...WEBGPU_LIMITS, maxThreadsPerBlock: 8, maxSharedBytes: 200 };
    const space = gpuSpace(analyzeNest(f), small);
    const reasons = new Set<string>();
    let valid = 0;
    const inputs = f.inputs.map((b, i) => randomTensor(b.dtype, b.shape, 9 + i));
    const want = runFunc(f, inputs)[0].toNumbers();
    for (const c of space.all()) {
      const r = space.check(c);
      if (!r.ok) { reasons.add(r.reason.replace(/\d+/g, 'N')); continue; }
      valid++;
      const u = usage(r.func);
      expect(u.threadsPerBlock).toBeLessThanOrEqual(8);
      expect(u.sharedBytes).toBeLessThanOrEqual(200);
      if (valid % 10 === 1) {
        const got = runFunc(r.func, inputs)[0].toNumbers();
        got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
      }
    }
    expect(valid).toBeGreaterThan(10);
    expect([...reasons].some((r) => r.includes('threads per block'))).toBe(true);
    expect([...reasons].some((r) => r.includes('shared memory'))).toBe(true);
  });

  it('features are fixed-length, deterministic and tell schedules apart', () => {
    const f = matmulFunc(16, 16, 16);
    const space = buildSpace(f, 'interp');
    const a = space.check({ ta: 4, tb: 8, order: 0, tk: 4, unroll: 1 });
    const b = space.check({ ta: 16, tb: 1, order: 0, tk: 16, unroll: 0 });
    if (!a.ok || !b.ok) throw new Error('expected valid configs');
    const fa = featurize(a.func);
    expect(fa.length).toBe(FEATURE_LENGTH);
    expect([...featurize(a.func)]).toEqual([...fa]);
    expect([...featurize(b.func)]).not.toEqual([...fa]);
    expect(featurize(convFunc(4, 8, 8, 3)).length).toBe(FEATURE_LENGTH);
  });
});
