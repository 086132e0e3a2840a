import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, TuningDb, type TuningRecord, exportJsonl, importJsonl } from '../../tuning-db/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscc-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `t${n++}.db`);

const rec = (over: Partial<TuningRecord>): TuningRecord => ({
  workloadKey: 'w1', targetKey: 't1', configHash: 'c1', config: '{"a":1}', schedule: '[]', ok: true, cost: 2, trial: 1,
  features: Float32Array.from([1, 2, 3]), ...over,
});

describe('tuning database', () => {
  it('opens in WAL mode at the current schema version', () => {
    const p = fresh();
    const db = TuningDb.open(p);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    db.close();
    const raw = new Database(p);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('migrates a version-1 file in place and refuses a newer one', () => {
    const p = fresh();
    const raw = new Database(p);
    raw.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);');
    raw.exec(MIGRATIONS[0].sql);
    raw.close();
    const db = TuningDb.open(p);
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    db.addTarget('t1', 'npu:edge16|…');
    expect(db.targets()).toEqual([{ targetKey: 't1', fingerprint: 'npu:edge16|…' }]);
    db.close();
    const r2 = new Database(p);
    r2.exec(`UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`);
    r2.close();
    expect(() => TuningDb.open(p)).toThrow(/newer/);
  });

  it('keys records exactly: a second insert of the same key is ignored, another target misses', () => {
    const db = TuningDb.open(fresh());
    expect(db.recordBatch([rec({}), rec({ configHash: 'c2', cost: 1, trial: 2 }), rec({ cost: 9 })])).toBe(2);
    expect(db.lookup('w1', 't1').map((r) => r.configHash)).toEqual(['c1', 'c2']);
    expect(db.lookup('w1', 't2')).toEqual([]);
    expect(db.best('w1', 't2')).toBeUndefined();
    expect(db.best('w1', 't1')?.configHash).toBe('c2');
    expect([...db.lookup('w1', 't1')[0].features!]).toEqual([1, 2, 3]);
    db.close();
  });

  it('the best ignores failures; prune keeps the best N and the default', () => {
    const db = TuningDb.open(fresh());
    db.recordBatch([
      rec({ configHash: 'd', trial: 0, cost: 5 }),
      rec({ configHash: 'f', ok: false, cost: null, error: 'boom', trial: 1 }),
      ...[1, 2, 3, 4].map((c) => rec({ configHash: `c${c}`, cost: c + 1, trial: c + 1 })),
    ]);
    expect(db.best('w1', 't1')?.configHash).toBe('c1');
    expect(db.prune(2)).toBe(3);
    expect(db.lookup('w1', 't1').map((r) => r.configHash).sort()).toEqual(['c1', 'c2', 'd']);
    db.close();
  });

  it('records confirmed (re-measured) costs, kept through export and import', () => {
    const a = TuningDb.open(fresh());
    a.recordBatch([rec({ configHash: 'd', trial: 0, cost: 5 }), rec({ configHash: 'b', cost: 4, trial: 1 })]);
    expect(a.lookup('w1', 't1').map((r) => r.confirmed)).toEqual([null, null]);
    a.confirm([{ workloadKey: 'w1', targetKey: 't1', configHash: 'b', cost: 6 }, { workloadKey: 'w1', targetKey: 't1', configHash: 'd', cost: 5.5 }]);
    expect(a.lookup('w1', 't1').map((r) => r.confirmed)).toEqual([5.5, 6]);
    const b = TuningDb.open(fresh());
    importJsonl(b, exportJsonl(a));
    expect(b.lookup('w1', 't1').map((r) => r.confirmed)).toEqual([5.5, 6]);
    a.close(); b.close();
  });

  it('transfer reads other workloads of the same target only', () => {
    const db = TuningDb.open(fresh());
    db.recordBatch([rec({}), rec({ workloadKey: 'w2' }), rec({ workloadKey: 'w3', targetKey: 't2' })]);
    expect(db.others('w1', 't1', 10).map((r) => r.workloadKey)).toEqual(['w2']);
    db.close();
  });

  it('exports and imports as JSON lines, merging without duplicates', () => {
    const a = TuningDb.open(fresh());
    a.addWorkload({ workloadKey: 'w1', name: 'mm', tir: 'func kernel() {}' });
    a.recordBatch([rec({}), rec({ configHash: 'c2', ok: false, cost: null, error: 'x' })]);
    const text = exportJsonl(a);
    const b = TuningDb.open(fresh());
    b.recordBatch([rec({})]);
    expect(importJsonl(b, text)).toEqual({ records: 2, added: 1 });
    expect(b.stats()).toMatchObject({ records: 2, ok: 1, failed: 1, workloads: 1 });
    expect(b.workloads()[0].name).toBe('mm');
    expect(() => importJsonl(b, '{"type":"nope"}')).toThrow(/line 1/);
    a.close(); b.close();
  });
});
