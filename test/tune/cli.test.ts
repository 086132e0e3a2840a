import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseDuration } from '../../src/cli/tune.ts';
import { oneOpModel } from '../helpers/check.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-tune-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tscc tune and tscc db', () => {
  const model = join(dir, 'mm.onnx');
  writeFileSync(model, oneOpModel({ op: 'MatMul', inputs: [['f32', [8, 16]], ['f32', [16, 8]]] }));
  const db = join(dir, 'tune.db'), log = join(dir, 'events.jsonl');

  it('tunes, logs JSON lines, resumes, and the db commands read the result', async () => {
    const r = await cli('tune', model, '--target', 'interp', '--trials', '4', '--batch', '3', '--db', db, '--log-json', log);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/MatMul_0: 4 trials, best .* vs default/);
    const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    // Trial 0, then batches growing with what is measured: 2, then the 1 trial left.
    expect(events.map((e) => e.type)).toEqual(['kernel_start', 'batch', 'batch', 'batch', 'kernel_done']);
    const again = await cli('tune', model, '--target', 'interp', '--trials', '4', '--db', db, '--log-json', log);
    expect(again.code).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n').slice(5).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['kernel_start', 'kernel_done']);
    const stats = await cli('db', 'stats', '--db', db);
    expect(stats.out).toMatch(/4 records \(4 ok, 0 failed\), 1 workloads, 1 targets/);
    const best = await cli('db', 'best', '--db', db);
    expect(JSON.parse(best.out)).toMatchObject({ trial: expect.any(Number), schedule: expect.any(Array) });
    const exp = join(dir, 'x.jsonl');
    expect((await cli('db', 'export', exp, '--db', db)).code).toBe(0);
    const db2 = join(dir, 'copy.db');
    expect((await cli('db', 'import', exp, '--db', db2)).out).toMatch(/imported 4 new of 4 records/);
    expect((await cli('db', 'prune', '--keep', '1', '--db', db2)).out).toMatch(/pruned [0-9]+ records/);
  });

  it('refuses bad flags, missing databases and CUDA measurement without a GPU, in one line', async () => {
    expect((await cli('tune', model, '--target', 'interp', '--budget', '8 hours', '--db', db)).err).toMatch(/--budget 8 hours/);
    expect((await cli('tune', model, '--target', 'interp', '--trials', '0', '--db', db)).code).toBe(1);
    const miss = await cli('db', 'stats', '--db', join(dir, 'nope.db'));
    expect(miss.code).toBe(1);
    expect(miss.err).toMatch(/nope\.db/);
    if (!existsSync('/dev/nvidia0')) {
      const cuda = await cli('tune', model, '--target', 'cuda', '--db', db);
      expect(cuda.code).toBe(1);
      expect(cuda.err).toMatch(/CUDA GPU/);
    }
    expect(parseDuration('1h30m')).toBe(5400e3);
    expect(parseDuration('90')).toBe(90e3);
  });
});
