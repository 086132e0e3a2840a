// Per-layer schedule search: each array layer is generated alone under every schedule of its space
// and timed on the simulator (a layer starts and ends at a barrier, so its cycles in isolation are its
// cycles in the model). The result is an NpuSchedule record that compileNpu replays deterministically.
import type { Graph, Node } from '../../src/ir/graph/graph.ts';
import type { NpuConfig } from './config.ts';
import type { GemmSchedule, NpuSchedule } from './codegen/schedule.ts';
import { ARRAY_OPS, type NpuLayerEnv, SpaceError, emitLayer, layerCycles, npuEnv } from './layer.ts';

/** The layer's cycles and schedule space under `s`; null when it is no array layer or `s` does not fit. */
function timeLayer(env: NpuLayerEnv, n: Node, s: GemmSchedule | null): { cycles: number; space: readonly GemmSchedule[] } | null {
  let em;
  try {
    em = emitLayer(env, n, s);
  } catch (err) {
    if (err instanceof SpaceError) return null;
    throw err;
  }
  return em && { cycles: layerCycles(env, em), space: em.space };
}

export interface TuneReport { readonly layer: string; readonly before: number; readonly after: number; readonly tried: number }

export function tuneSchedule(graph: Graph, cfg: NpuConfig): { schedule: NpuSchedule; report: TuneReport[] } {
  const env = npuEnv(graph, cfg);
  const schedule: Record<string, GemmSchedule> = {};
  const report: TuneReport[] = [];
  for (const n of graph.nodes) {
    if (!ARRAY_OPS.has(n.op)) continue;
    const base = timeLayer(env, n, null);
    if (!base) continue;
    let best = base.cycles, pick: GemmSchedule | null = null;
    for (const s of base.space) {
      const r = timeLayer(env, n, s);
      if (r && r.cycles < best) { best = r.cycles; pick = s; }
    }
    if (pick) schedule[n.name] = pick;
    report.push({ layer: n.name, before: base.cycles, after: best, tried: base.space.length });
  }
  return { schedule, report };
}
