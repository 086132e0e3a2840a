// Per-layer schedule search: each array layer is generated alone under every schedule of its space
// and timed on the simulator (a layer starts and ends at a barrier, so its cycles in isolation are its
// cycles in the model). The result is an NpuSchedule record that compileNpu replays deterministically.
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { NpuConfig } from './config.ts';
import { encodeProgram } from './isa.ts';
import { Emitter, SpaceError } from './codegen/emitter.ts';
import { Layout } from './codegen/layout.ts';
import { Fusion, NotMapped } from './codegen/nodes.ts';
import type { Ctx } from './codegen/context.ts';
import { mapNode } from './codegen/generate.ts';
import type { GemmSchedule, NpuSchedule } from './codegen/schedule.ts';
import { simulate } from './sim/simulate.ts';

const ARRAY_OPS = new Set(['Conv', 'MatMul', 'Gemm']);

function layerCycles(graph: Graph, cfg: NpuConfig, fusion: Fusion, nodeIndex: number, s: GemmSchedule | null): { cycles: number; space: readonly GemmSchedule[] } | null {
  const n = graph.nodes[nodeIndex];
  const e = new Emitter(cfg);
  const layout = new Layout();
  const ctx: Ctx = { graph, cfg, e, layout, fusion, schedule: s ? { [n.name]: s } : {}, chosen: {}, spaces: {}, mapping: [] };
  try {
    const m = mapNode(ctx, n);
    e.beginLayer(n.name, m.nodes.map((x) => x.name), m.kind);
    e.interleaved(() => m.emit());
    e.endLayer();
  } catch (err) {
    if (err instanceof NotMapped || err instanceof SpaceError) return null;
    throw err;
  }
  e.halt();
  const sim = simulate(encodeProgram({ cores: cfg.cores, instrs: e.instrs }), cfg, { functional: false, dramBytes: layout.bytes });
  return { cycles: sim.cycles, space: ctx.spaces[n.name] ?? [] };
}

export interface TuneReport { readonly layer: string; readonly before: number; readonly after: number; readonly tried: number }

export function tuneSchedule(graph: Graph, cfg: NpuConfig): { schedule: NpuSchedule; report: TuneReport[] } {
  const fusion = new Fusion(graph);
  const schedule: Record<string, GemmSchedule> = {};
  const report: TuneReport[] = [];
  graph.nodes.forEach((n, i) => {
    if (!ARRAY_OPS.has(n.op)) return;
    const base = layerCycles(graph, cfg, fusion, i, null);
    if (!base) return;
    let best = base.cycles, pick: GemmSchedule | null = null;
    for (const s of base.space) {
      const r = layerCycles(graph, cfg, fusion, i, s);
      if (r && r.cycles < best) { best = r.cycles; pick = s; }
    }
    if (pick) schedule[n.name] = pick;
    report.push({ layer: n.name, before: base.cycles, after: best, tried: base.space.length });
  });
  return { schedule, report };
}
