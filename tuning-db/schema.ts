// The tuning database schema as an ordered list of migrations. `schema_version` holds the number of
// migrations applied; opening a file runs the missing ones inside one transaction, so an older file
// upgrades in place and a file from a newer tscc is refused instead of being misread.
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE workloads (
        workload_key TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        tir          TEXT NOT NULL
      );
      CREATE TABLE records (
        id           INTEGER PRIMARY KEY,
        workload_key TEXT NOT NULL,
        target_key   TEXT NOT NULL,
        config_hash  TEXT NOT NULL,
        config       TEXT NOT NULL,
        schedule     TEXT NOT NULL,
        ok           INTEGER NOT NULL CHECK (ok IN (0, 1)),
        cost         REAL,
        error        TEXT,
        trial        INTEGER NOT NULL,
        features     BLOB,
        created_at   INTEGER NOT NULL,
        UNIQUE (workload_key, target_key, config_hash)
      );
      CREATE INDEX records_best ON records (workload_key, target_key, ok, cost);
      CREATE INDEX records_target ON records (target_key);
    `,
  },
  {
    version: 2,
    // The human-readable fingerprint behind each target key, for `tscc db stats`.
    sql: `CREATE TABLE targets (target_key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);`,
  },
  {
    version: 3,
    // A timed target's best config and its default re-measured side by side after a search (the
    // search's own best is biased low by noise: it won because it was measured fast once).
    sql: `ALTER TABLE records ADD COLUMN confirmed REAL;`,
  },
  {
    version: 4,
    // A timed target's tuned config checked inside a whole model (src/tune/confirm-model.ts): the
    // median per-round speedup of its dispatches, default plan / tuned plan, and its 95 % CI.
    // A kernel faster alone is not always faster in the model (its inputs come from the previous
    // kernel, other kernels share the caches): compile applies a timed record only when lo > 1.
    sql: `ALTER TABLE records ADD COLUMN in_model REAL;
      ALTER TABLE records ADD COLUMN in_model_lo REAL;
      ALTER TABLE records ADD COLUMN in_model_hi REAL;`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
