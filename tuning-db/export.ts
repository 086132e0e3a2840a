// Export/import as JSON lines: one object per line (workloads, targets, then records), so files from
// several machines concatenate and import merges them (existing keys win; nothing is overwritten).
import type { TuningDb, TuningRecord } from './db.ts';

type Line =
  | { type: 'workload'; workloadKey: string; name: string; tir: string }
  | { type: 'target'; targetKey: string; fingerprint: string }
  | ({ type: 'record'; features: number[] | null } & Omit<TuningRecord, 'features'>);

export function exportJsonl(db: TuningDb): string {
  const lines: Line[] = [
    ...db.workloads().map((w) => ({ type: 'workload' as const, ...w })),
    ...db.targets().map((t) => ({ type: 'target' as const, ...t })),
    ...db.all().map((r) => ({ type: 'record' as const, ...r, features: r.features ? [...r.features] : null })),
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
}

/** Returns how many records were new. Throws on a malformed line, naming it. */
export function importJsonl(db: TuningDb, text: string): { records: number; added: number } {
  const records: TuningRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let l: Line;
    try { l = JSON.parse(raw) as Line; } catch { throw new Error(`line ${i + 1}: not JSON`); }
    if (l.type === 'workload') db.addWorkload(l);
    else if (l.type === 'target') db.addTarget(l.targetKey, l.fingerprint);
    else if (l.type === 'record') {
      if (typeof l.workloadKey !== 'string' || typeof l.targetKey !== 'string' || typeof l.configHash !== 'string') {
        throw new Error(`line ${i + 1}: a record needs workloadKey, targetKey and configHash`);
      }
      records.push({ ...l, features: l.features ? Float32Array.from(l.features) : null });
    } else throw new Error(`line ${i + 1}: unknown type ${JSON.stringify((l as { type: unknown }).type)}`);
  });
  return { records: records.length, added: db.recordBatch(records) };
}
