import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { NearModel, RandomModel, pairwiseAccuracy } from '../../src/tune/model/model.ts';
import { parseXgbModel, predictTrees } from '../../src/tune/model/trees.ts';
import { XgbModel } from '../../src/tune/model/xgboost.ts';
import { Rng } from '../../src/tune/rng.ts';

const DIMS = 40;

function data(n: number, seed: number): { x: Float32Array; y: Float64Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * DIMS), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < DIMS; j++) x[i * DIMS + j] = rng.next() * 4;
    const r = x.subarray(i * DIMS);
    y[i] = Math.sin(r[0]) + r[1] * r[2] / 4 - (r[3] > 2 ? 1 : 0);
  }
  return { x, y };
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

describe('cost models', () => {
  it('the TypeScript tree walker reproduces ml-xgboost predictions from the saved model', async () => {
    type B = { train(x: number[][], y: number[]): void; predict(x: number[][]): number[]; toJSON(): { model: number[] }; free(): void };
    const XGB = await (createRequire(import.meta.url)('ml-xgboost') as Promise<new (o: object) => B>);
    const { x, y } = data(300, 1);
    const rows = Array.from({ length: 300 }, (_, i) => Array.from(x.subarray(i * DIMS, (i + 1) * DIMS)));
    const b = new XGB({ objective: 'reg:linear', max_depth: 5, eta: 0.3, subsample: 1, iterations: 30, silent: 1 });
    b.train(rows, Array.from(y));
    const theirs = b.predict(rows.slice(0, 50));
    const trees = parseXgbModel(Uint8Array.from(b.toJSON().model, (v) => v & 255));
    b.free();
    expect(trees.roots.length).toBe(30);
    const ours = predictTrees(trees, x.subarray(0, 50 * DIMS), DIMS);
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 4));
  });

  it('XGBoost learns a ranking (pairwise accuracy ≥ 0.8 on held-out rows); random does not', async () => {
    const train = data(400, 2), test = data(200, 3);
    const m = new XgbModel();
    await m.fit(train.x, train.y, DIMS);
    // predict: lower is better, so rank by the negation against the goodness target.
    const acc = pairwiseAccuracy(Array.from(m.predict(test.x, DIMS), (v) => -v), test.y);
    expect(acc).toBeGreaterThanOrEqual(0.8);
    const r = pairwiseAccuracy(new RandomModel(5).predict(test.x, DIMS), test.y);
    expect(r).toBeLessThan(0.6);
  });

  it('rank:pairwise learns the same ranking from the same rows (both objectives are measured in bench/tuning.ts)', async () => {
    const train = data(400, 2), test = data(200, 3);
    const m = new XgbModel({ objective: 'rank:pairwise' });
    await m.fit(train.x, train.y, DIMS);
    expect(pairwiseAccuracy(Array.from(m.predict(test.x, DIMS), (v) => -v), test.y)).toBeGreaterThanOrEqual(0.8);
  });

  it('the default prior ranks rows by feature distance to the default, its own features last', () => {
    const ref = Float32Array.from([1, 2, 3]);
    const x = Float32Array.from([1, 2, 3, 1, 2, 5, 1, 2, 3.5, 9, 9, 9]);
    const s = new NearModel(ref).predict(x, 3);
    expect(Array.from(s.slice(1))).toEqual([4, 0.25, 64 + 49 + 36]);
    expect(s[0]).toBe(Infinity);
  });

  it('scores at least 50,000 candidates per second of CPU time', async () => {
    const train = data(400, 4);
    const m = new XgbModel();
    await m.fit(train.x, train.y, DIMS);
    const big = data(50_000, 5).x;
    m.predict(big.subarray(0, 1000 * DIMS), DIMS); // let the JIT settle
    const t0 = cpuMs();
    m.predict(big, DIMS);
    const rate = 50_000 / ((cpuMs() - t0) / 1000);
    expect(rate).toBeGreaterThanOrEqual(50_000);
  });
});
