// `tscc db stats|best|export|import|prune --db FILE`: look after a tuning database.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DbError, TuningDb, exportJsonl, importJsonl } from '../../tuning-db/index.ts';
import { FileError, UsageError } from '../util/errors.ts';
import type { Io } from './main.ts';

function open(file: string, readonly = false): TuningDb {
  try { return TuningDb.open(file, { readonly }); } catch (e) { throw new FileError((e as DbError).message); }
}

function withDb<T>(file: string, readonly: boolean, f: (db: TuningDb) => T): T {
  const db = open(file, readonly);
  try { return f(db); } finally { db.close(); }
}

export function dbCommand(p: Command, io: Io): void {
  const db = p.command('db').description('inspect and maintain a tuning database');
  const file = (c: Command) => c.option('--db <file>', 'tuning database (SQLite)', 'tscc-tuning.db');
  file(db.command('stats')).description('record counts').action((o: { db: string }) => withDb(o.db, true, (d) => {
    const s = d.stats();
    io.out(`${o.db}: schema v${d.schemaVersion}, ${s.records} records (${s.ok} ok, ${s.failed} failed), ${s.workloads} workloads, ${s.targets} targets`);
    const names = new Map(d.workloads().map((w) => [w.workloadKey, w.name]));
    for (const t of d.targets()) io.out(`  target ${t.targetKey.slice(0, 12)}: ${t.fingerprint}`);
    for (const b of d.bestAll()) io.out(`  ${names.get(b.workloadKey) ?? b.workloadKey.slice(0, 12)} @ ${b.targetKey.slice(0, 12)}: best ${b.cost} (trial ${b.trial})`);
  }));
  file(db.command('best')).description('the best record per workload and target, as JSON lines').action((o: { db: string }) => withDb(o.db, true, (d) => {
    for (const b of d.bestAll()) io.out(JSON.stringify({ workloadKey: b.workloadKey, targetKey: b.targetKey, cost: b.cost, trial: b.trial, config: JSON.parse(b.config), schedule: JSON.parse(b.schedule) }));
  }));
  file(db.command('export').argument('<out>', 'a .jsonl file')).description('write every record as JSON lines')
    .action((out: string, o: { db: string }) => withDb(o.db, true, (d) => {
      const text = exportJsonl(d);
      try { writeFileSync(out, text); } catch (e) { throw new FileError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code})`); }
      io.out(`exported ${text.split('\n').filter(Boolean).length} lines → ${out}`);
    }));
  file(db.command('import').argument('<in>', 'a .jsonl file from db export')).description('merge records (existing ones are kept)')
    .action((inp: string, o: { db: string }) => {
      let text: string;
      try { text = readFileSync(inp, 'utf8'); } catch (e) { throw new FileError(`${inp}: cannot read (${(e as NodeJS.ErrnoException).code})`); }
      withDb(o.db, false, (d) => {
        let r;
        try { r = importJsonl(d, text); } catch (e) { throw new UsageError(`${inp}: ${(e as Error).message}`); }
        io.out(`imported ${r.added} new of ${r.records} records → ${o.db}`);
      });
    });
  file(db.command('prune')).description('keep the best N records per workload and target (and each default)')
    .option('--keep <n>', 'records to keep per workload and target', '10')
    .action((o: { db: string; keep: string }) => withDb(o.db, false, (d) => {
      const keep = Number(o.keep);
      if (!Number.isInteger(keep) || keep < 1) throw new UsageError(`--keep ${o.keep}: expected a positive integer`);
      io.out(`pruned ${d.prune(keep)} records`);
    }));
}
