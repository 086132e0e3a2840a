// `tscc compile --target npu --db FILE` applies the tuner's per-layer records: tune tiny-cnn for a few
// trials into a fresh database, compile with and without it, and check the report marks the layers
// that took a record as tuned and the program is no slower than the default.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../src/cli/main.ts';
import { loadModel } from '../../../src/api.ts';
import { tuneModel } from '../../../src/tune/driver.ts';

const io = (): Io & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s) };
};
const model = new URL('../../../models/tiny-cnn.onnx', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tscc-npu-db-'));

async function compileReport(out: string, extra: string[]): Promise<{ totals: { cycles: number }; kernels: { name: string; tuned: boolean; cycles: number }[] }> {
  const o = io();
  expect(await main(['compile', model, '--target', 'npu:edge16', '-o', out, ...extra], o), o.lines.join('\n')).toBe(0);
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
}

describe('tscc compile --target npu --db', () => {
  it('uses tuned layer records, marks them tuned, and is never slower than the default', async () => {
    const db = join(dir, 'tune.db');
    const summary = await tuneModel(await loadModel(model), { target: 'npu:edge16', db, trials: 12, seed: 3 });
    const improved = summary.kernels.filter((k) => k.best !== null && k.defaultCost !== null && k.best < k.defaultCost);
    expect(improved.length).toBeGreaterThan(0);
    const plain = await compileReport(join(dir, 'plain'), []);
    const tuned = await compileReport(join(dir, 'tuned'), ['--db', db]);
    expect(plain.kernels.some((k) => k.tuned)).toBe(false);
    const marked = tuned.kernels.filter((k) => k.tuned);
    expect(marked.length).toBeGreaterThan(0);
    expect(tuned.totals.cycles).toBeLessThanOrEqual(plain.totals.cycles);
    // A tuned layer is no slower than the same layer compiled by the default rule.
    for (const k of marked) expect(k.cycles).toBeLessThanOrEqual(plain.kernels.find((p) => p.name === k.name)!.cycles);
  });

  it('a database without records for this target changes nothing', async () => {
    const db = join(dir, 'other.db');
    await tuneModel(await loadModel(model), { target: 'npu:onnxim-tpuv4', db, trials: 2, seed: 1 });
    const plain = await compileReport(join(dir, 'plain2'), []);
    const other = await compileReport(join(dir, 'other'), ['--db', db]);
    expect(other.kernels.some((k) => k.tuned)).toBe(false);
    expect(other.totals.cycles).toBe(plain.totals.cycles);
  });
});
