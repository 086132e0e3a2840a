// What `tscc compile --target npu --db FILE` applies: the NPU has no Tensor IR kernels (it generates
// code from graph nodes), so its tuned records are per array layer, keyed like the tuner keys them
// (layer.ts: layerKey of the node and preset, target key of the fingerprint). A layer takes its best
// record only when the database also holds its default (trial 0) and the record is at least as fast;
// the target then re-checks every layer against its default in the full program (targets/npu/index.ts).
import { TuningDb } from '../../../tuning-db/index.ts';
import type { Graph } from '../../ir/graph/graph.ts';
import { FileError } from '../../util/errors.ts';
import type { NpuConfig } from '../../../targets/npu/config.ts';
import type { GemmSchedule } from '../../../targets/npu/codegen/schedule.ts';
import { configHash, DEFAULT_CONFIG, targetKey } from '../keys.ts';
import { ARRAY_OPS, layerKey } from './layer.ts';

export function npuTunedLayers(db: TuningDb, fingerprint: string, graph: Graph, cfg: NpuConfig): Record<string, GemmSchedule> {
  const tk = targetKey(fingerprint);
  const out: Record<string, GemmSchedule> = {};
  for (const n of graph.nodes) {
    if (!ARRAY_OPS.has(n.op) || !n.name) continue;
    const wk = layerKey(n, cfg);
    const best = db.best(wk, tk);
    if (!best || best.cost === null) continue;
    const dflt = db.lookup(wk, tk).find((r) => r.configHash === configHash(DEFAULT_CONFIG));
    if (!dflt || !dflt.ok || dflt.cost === null || best.configHash === dflt.configHash || best.cost > dflt.cost) continue;
    out[n.name] = JSON.parse(best.schedule) as GemmSchedule;
  }
  return out;
}

/** Opens `path` read-only for one compile (a missing or unreadable file is the user's E_FILE). */
export function npuLayerSchedules(path: string, fingerprint: string, graph: Graph, cfg: NpuConfig): Record<string, GemmSchedule> {
  let db: TuningDb;
  try { db = TuningDb.open(path, { readonly: true }); } catch (e) { throw new FileError(`--db ${path}: ${(e as Error).message}`); }
  try { return npuTunedLayers(db, fingerprint, graph, cfg); } finally { db.close(); }
}
