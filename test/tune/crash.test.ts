// Tuning processes killed with SIGKILL at random points: the database always opens, no committed
// record is lost, and a resumed run never measures a config that is already recorded. Four processes
// run at once on one file in every round (each on its own workload, so "already recorded" is exact),
// and four processes on the same workload leave no duplicate or corrupt rows.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { TuningDb } from '../../tuning-db/index.ts';
import { FEATURE_LENGTH } from '../../src/tune/features/features.ts';
import { targetKey, workloadKey } from '../../src/tune/keys.ts';
import { INTERP_TARGET } from '../../src/tune/targets.ts';
import { Rng } from '../../src/tune/rng.ts';
import { matmulFunc } from './fixtures/kernels.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WORKER = new URL('./fixtures/worker.ts', import.meta.url).pathname;
const SHAPES = [[16, 16, 16], [16, 8, 32], [8, 32, 16], [32, 16, 8]] as const;
const TK = targetKey(INTERP_TARGET.fingerprint);

interface Run { measuring: string[][]; committed: string[]; code: number | null; signal: string | null }

function start(db: string, shape: readonly number[], trials: number, seed: number, batch = 3): { child: ChildProcess; done: Promise<Run> } {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that SIGKILL would miss.
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, db, ...shape.map(String), String(trials), String(seed), String(batch)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { measuring: [], committed: [], code: null, signal: null };
  let buf = '', err = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith('measuring ')) run.measuring.push(l.slice(10).split(','));
      if (l.startsWith('committed ')) run.committed.push(...l.slice(10).split(','));
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const done = new Promise<Run>((resolve) => child.on('exit', (code, signal) => {
    run.code = code; run.signal = signal;
    if (code !== 0 && signal !== 'SIGKILL') console.error(err);
    resolve(run);
  }));
  return { child, done };
}

function hashesOf(db: string, shape: readonly number[]): Set<string> {
  const d = TuningDb.open(db);
  try {
    expect(d.integrity()).toBe('ok');
    return d.measuredHashes(workloadKey(matmulFunc(shape[0], shape[1], shape[2])), TK);
  } finally { d.close(); }
}

function checkRows(db: string): void {
  const d = new Database(db, { readonly: true });
  const dup = d.prepare(`SELECT count(*) n FROM (SELECT workload_key, target_key, config_hash, count(*) c FROM records
    GROUP BY 1, 2, 3 HAVING c > 1)`).get() as { n: number };
  expect(dup.n).toBe(0);
  const rows = d.prepare('SELECT config, schedule, ok, cost, features FROM records').all() as { config: string; schedule: string; ok: number; cost: number | null; features: Buffer | null }[];
  for (const r of rows) {
    expect(() => JSON.parse(r.config)).not.toThrow();
    expect(Array.isArray(JSON.parse(r.schedule))).toBe(true);
    if (r.ok) expect(r.cost).toBeGreaterThan(0);
    expect(r.features?.byteLength).toBe(FEATURE_LENGTH * 4);
  }
  d.close();
}

describe('tuning survives SIGKILL', () => {
  it('loses no committed record and re-measures nothing after 24 kills (4 processes at a time on one file)', async () => {
    const db = join(dir, 'crash.db');
    const rng = new Rng(7);
    // More trials than a worker can finish before its kill lands, so every round kills all four.
    const KILL_TRIALS = 400;
    let kills = 0, remeasured = 0;
    for (let round = 0; round < 6; round++) {
      const before = SHAPES.map((s) => hashesOf(db, s));
      const runs = SHAPES.map((s, w) => start(db, s, KILL_TRIALS, 100 * round + w));
      // Kill each at a random point: during start-up, model fitting, measurement or a commit.
      runs.forEach((r) => setTimeout(() => r.child.kill('SIGKILL'), 500 + rng.int(3000)));
      const results = await Promise.all(runs.map((r) => r.done));
      kills += results.filter((r) => r.signal === 'SIGKILL').length;
      for (let w = 0; w < SHAPES.length; w++) {
        const after = hashesOf(db, SHAPES[w]);
        for (const h of results[w].committed) expect(after.has(h)).toBe(true);
        remeasured += results[w].measuring.flat().filter((h) => before[w].has(h)).length;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(remeasured).toBe(0);
    // Resume to completion: every workload reaches 8 more trials, measuring only what was missing.
    const before = SHAPES.map((s) => hashesOf(db, s));
    const want = before.map((b) => b.size + 8);
    const final = await Promise.all(SHAPES.map((s, w) => start(db, s, want[w], 900 + w, 8).done));
    final.forEach((r, w) => {
      expect(r.code).toBe(0);
      expect(r.measuring.flat().filter((h) => before[w].has(h))).toEqual([]);
      expect(hashesOf(db, SHAPES[w]).size).toBe(want[w]);
    });
    checkRows(db);
  }, 420_000);

  it('four processes tuning the same workload on one file leave no duplicate or corrupt rows', async () => {
    const db = join(dir, 'same.db');
    const runs = await Promise.all([1, 2, 3, 4].map((seed) => start(db, SHAPES[0], 16, seed).done));
    for (const r of runs) expect(r.code).toBe(0);
    checkRows(db);
    const n = hashesOf(db, SHAPES[0]).size;
    expect(n).toBeGreaterThanOrEqual(16);
  }, 120_000);
});
