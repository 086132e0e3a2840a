// Typed access to the tuning database (one SQLite file, better-sqlite3). WAL mode and a busy timeout
// let several tuning processes share one file: readers never block, writers queue. Each measured
// batch is one transaction, so a killed process loses at most the batch it was measuring, never a
// committed record. Records are keyed exactly by (workload key, target key, config hash); a unique
// constraint makes a second insert of the same config a no-op, so concurrent tuners cannot create
// duplicates. This folder imports nothing else of tscc.
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

export interface TuningRecord {
  readonly workloadKey: string;
  readonly targetKey: string;
  readonly configHash: string;
  /** The knob values, JSON. */
  readonly config: string;
  /** The schedule steps the config stands for, JSON (replayed by compile). */
  readonly schedule: string;
  readonly ok: boolean;
  /** Measured cost (ms or cycles, lower is better); null when the measurement failed. */
  readonly cost: number | null;
  readonly error?: string | null;
  /** 0 is the target's default schedule. */
  readonly trial: number;
  readonly features?: Float32Array | null;
  readonly createdAt?: number;
  /** Cost re-measured after the search, beside the default's (timed targets); null when not confirmed. */
  readonly confirmed?: number | null;
  /** Timed targets: speedup default/tuned of this config's dispatches inside a model, median and 95 % CI; null when not checked. */
  readonly inModel?: number | null;
  readonly inModelLo?: number | null;
  readonly inModelHi?: number | null;
}

export interface WorkloadInfo { readonly workloadKey: string; readonly name: string; readonly tir: string }

export class DbError extends Error {}

interface Row {
  workload_key: string; target_key: string; config_hash: string; config: string; schedule: string;
  ok: number; cost: number | null; error: string | null; trial: number; features: Buffer | null; created_at: number;
  confirmed: number | null;
  in_model: number | null; in_model_lo: number | null; in_model_hi: number | null;
}

function fromRow(r: Row): TuningRecord {
  const f = r.features;
  return {
    workloadKey: r.workload_key, targetKey: r.target_key, configHash: r.config_hash, config: r.config,
    schedule: r.schedule, ok: r.ok === 1, cost: r.cost, error: r.error, trial: r.trial, createdAt: r.created_at, confirmed: r.confirmed,
    inModel: r.in_model, inModelLo: r.in_model_lo, inModelHi: r.in_model_hi,
    features: f ? new Float32Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)) : null,
  };
}

export class TuningDb {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) { this.db = db; }

  /** Opens (creating if needed) and migrates the file. `readonly` never writes. */
  static open(path: string, opts: { readonly?: boolean } = {}): TuningDb {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false, timeout: 30_000 });
    } catch (e) {
      throw new DbError(`${path}: cannot open the tuning database (${(e as Error).message})`);
    }
    const t = new TuningDb(db);
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    t.migrate(path, opts.readonly ?? false);
    return t;
  }

  private migrate(path: string, readonly: boolean): void {
    const version = (): number => {
      const has = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get();
      return has ? (this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined)?.version ?? 0 : 0;
    };
    const v = version();
    if (v > SCHEMA_VERSION) throw new DbError(`${path}: schema version ${v} is newer than this tscc understands (${SCHEMA_VERSION})`);
    if (v === SCHEMA_VERSION) return;
    if (readonly) throw new DbError(`${path}: schema version ${v} needs migrating; open it writable once`);
    // IMMEDIATE: two processes opening a fresh file at once must not both run migration 1.
    this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const now = version();
      for (const m of MIGRATIONS) if (m.version > now) this.db.exec(m.sql);
      this.db.exec('DELETE FROM schema_version');
      this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    }).immediate();
  }

  get schemaVersion(): number {
    return (this.db.prepare('SELECT version FROM schema_version').get() as { version: number }).version;
  }

  close(): void { this.db.close(); }

  addWorkload(w: WorkloadInfo): void {
    this.db.prepare('INSERT OR IGNORE INTO workloads (workload_key, name, tir) VALUES (?, ?, ?)').run(w.workloadKey, w.name, w.tir);
  }

  addTarget(targetKey: string, fingerprint: string): void {
    this.db.prepare('INSERT OR IGNORE INTO targets (target_key, fingerprint) VALUES (?, ?)').run(targetKey, fingerprint);
  }

  /** One measured batch, one transaction. Returns how many rows were new (duplicates are ignored). */
  recordBatch(records: readonly TuningRecord[]): number {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO records
      (workload_key, target_key, config_hash, config, schedule, ok, cost, error, trial, features, created_at, confirmed, in_model, in_model_lo, in_model_hi)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    return this.db.transaction((rs: readonly TuningRecord[]) => {
      let n = 0;
      for (const r of rs) {
        const f = r.features ? Buffer.from(r.features.buffer, r.features.byteOffset, r.features.byteLength) : null;
        n += ins.run(r.workloadKey, r.targetKey, r.configHash, r.config, r.schedule, r.ok ? 1 : 0,
          r.ok ? r.cost : null, r.error ?? null, r.trial, f, r.createdAt ?? Date.now(), r.confirmed ?? null,
          r.inModel ?? null, r.inModelLo ?? null, r.inModelHi ?? null).changes;
      }
      return n;
    }).immediate(records);
  }

  /** Sets the confirmed (re-measured) cost of records, in one transaction. */
  confirm(rows: readonly { workloadKey: string; targetKey: string; configHash: string; cost: number }[]): void {
    const up = this.db.prepare('UPDATE records SET confirmed = ? WHERE workload_key = ? AND target_key = ? AND config_hash = ?');
    this.db.transaction(() => { for (const r of rows) up.run(r.cost, r.workloadKey, r.targetKey, r.configHash); }).immediate();
  }

  /** Sets the in-model speedup (median, 95 % CI) of records, in one transaction. */
  confirmInModel(rows: readonly { workloadKey: string; targetKey: string; configHash: string; med: number; lo: number; hi: number }[]): void {
    const up = this.db.prepare('UPDATE records SET in_model = ?, in_model_lo = ?, in_model_hi = ? WHERE workload_key = ? AND target_key = ? AND config_hash = ?');
    this.db.transaction(() => { for (const r of rows) up.run(r.med, r.lo, r.hi, r.workloadKey, r.targetKey, r.configHash); }).immediate();
  }

  /** Every record of a workload on a target (any other target key misses). */
  lookup(workloadKey: string, targetKey: string): TuningRecord[] {
    return (this.db.prepare('SELECT * FROM records WHERE workload_key = ? AND target_key = ? ORDER BY id')
      .all(workloadKey, targetKey) as Row[]).map(fromRow);
  }

  measuredHashes(workloadKey: string, targetKey: string): Set<string> {
    const rows = this.db.prepare('SELECT config_hash FROM records WHERE workload_key = ? AND target_key = ?')
      .all(workloadKey, targetKey) as { config_hash: string }[];
    return new Set(rows.map((r) => r.config_hash));
  }

  /** The `limit` fastest successful records of a workload on a target, fastest first (ties: earlier trial). */
  ranked(workloadKey: string, targetKey: string, limit: number): TuningRecord[] {
    return (this.db.prepare(`SELECT * FROM records WHERE workload_key = ? AND target_key = ? AND ok = 1
      ORDER BY cost ASC, trial ASC LIMIT ?`).all(workloadKey, targetKey, limit) as Row[]).map(fromRow);
  }

  best(workloadKey: string, targetKey: string): TuningRecord | undefined {
    return this.ranked(workloadKey, targetKey, 1)[0];
  }

  /** Successful records of other workloads on the same target, newest first (transfer learning). */
  others(workloadKey: string, targetKey: string, limit: number): TuningRecord[] {
    return (this.db.prepare(`SELECT * FROM records WHERE target_key = ? AND workload_key <> ? AND ok = 1
      AND features IS NOT NULL ORDER BY id DESC LIMIT ?`).all(targetKey, workloadKey, limit) as Row[]).map(fromRow);
  }

  /** The best successful record of every (workload, target) pair. */
  bestAll(): TuningRecord[] {
    return (this.db.prepare(`SELECT r.* FROM records r WHERE r.ok = 1 AND r.id = (SELECT r2.id FROM records r2
      WHERE r2.workload_key = r.workload_key AND r2.target_key = r.target_key AND r2.ok = 1
      ORDER BY r2.cost ASC, r2.trial ASC LIMIT 1) ORDER BY r.workload_key, r.target_key`).all() as Row[]).map(fromRow);
  }

  all(): TuningRecord[] {
    return (this.db.prepare('SELECT * FROM records ORDER BY id').all() as Row[]).map(fromRow);
  }

  workloads(): WorkloadInfo[] {
    return (this.db.prepare('SELECT workload_key, name, tir FROM workloads').all() as { workload_key: string; name: string; tir: string }[])
      .map((w) => ({ workloadKey: w.workload_key, name: w.name, tir: w.tir }));
  }

  targets(): { targetKey: string; fingerprint: string }[] {
    return (this.db.prepare('SELECT target_key, fingerprint FROM targets').all() as { target_key: string; fingerprint: string }[])
      .map((t) => ({ targetKey: t.target_key, fingerprint: t.fingerprint }));
  }

  stats(): { records: number; ok: number; failed: number; workloads: number; targets: number; pairs: number } {
    const q = (sql: string): number => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      records: q('SELECT count(*) n FROM records'),
      ok: q('SELECT count(*) n FROM records WHERE ok = 1'),
      failed: q('SELECT count(*) n FROM records WHERE ok = 0'),
      workloads: q('SELECT count(DISTINCT workload_key) n FROM records'),
      targets: q('SELECT count(DISTINCT target_key) n FROM records'),
      pairs: q('SELECT count(*) n FROM (SELECT DISTINCT workload_key, target_key FROM records)'),
    };
  }

  /**
   * Keeps, per (workload, target), the `keep` best successful records and trial 0 (the default the
   * compiler compares against); drops failures and the rest. Returns the number of rows deleted.
   */
  prune(keep: number): number {
    return this.db.transaction(() => this.db.prepare(`DELETE FROM records WHERE trial <> 0 AND id NOT IN (
      SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY workload_key, target_key ORDER BY cost ASC, trial ASC) rn
        FROM records WHERE ok = 1) WHERE rn <= ?)`).run(keep).changes).immediate();
  }

  /** `PRAGMA integrity_check`; 'ok' when the file is sound. */
  integrity(): string {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  }
}
