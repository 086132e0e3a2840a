// One array layer generated alone: the unit of per-layer schedule search (targets/npu/tune.ts and the
// tuner's NPU tasks in src/tune/npu). A layer starts and ends at a barrier, so its cycles in isolation
// are its cycles in the model.
import type { Graph, Node } from '../../src/ir/graph/graph.ts';
import type { NpuConfig } from './config.ts';
import { encodeProgram } from './isa.ts';
import { Emitter, SpaceError } from './codegen/emitter.ts';
import { Layout } from './codegen/layout.ts';
import { Fusion, NotMapped } from './codegen/nodes.ts';
import type { Ctx } from './codegen/context.ts';
import { mapNode } from './codegen/generate.ts';
import type { GemmSchedule } from './codegen/schedule.ts';
import { simulate } from './sim/simulate.ts';

export { SpaceError };

export const ARRAY_OPS = new Set(['Conv', 'MatMul', 'Gemm']);

export interface NpuLayerEnv {
  readonly graph: Graph;
  readonly cfg: NpuConfig;
  readonly fusion: Fusion;
}

export function npuEnv(graph: Graph, cfg: NpuConfig): NpuLayerEnv {
  return { graph, cfg, fusion: new Fusion(graph) };
}

export interface Emitted { readonly instrs: Emitter['instrs']; readonly dramBytes: number; readonly space: readonly GemmSchedule[]; readonly chosen?: GemmSchedule }

/** Code for one array layer alone under a schedule (null = the default rule). Static: throws
 *  SpaceError when the schedule does not fit the scratchpad/accumulator; null when not an array layer. */
export function emitLayer(env: NpuLayerEnv, n: Node, s: GemmSchedule | null): Emitted | null {
  const e = new Emitter(env.cfg);
  const layout = new Layout();
  const ctx: Ctx = { graph: env.graph, cfg: env.cfg, e, layout, fusion: env.fusion, schedule: s ? { [n.name]: s } : {}, chosen: {}, spaces: {}, mapping: [] };
  try {
    const m = mapNode(ctx, n);
    e.beginLayer(n.name, m.nodes.map((x) => x.name), m.kind);
    e.interleaved(() => m.emit());
    e.endLayer();
  } catch (err) {
    if (err instanceof NotMapped) return null;
    throw err;
  }
  e.halt();
  return { instrs: e.instrs, dramBytes: layout.bytes, space: ctx.spaces[n.name] ?? [], chosen: ctx.chosen[n.name] };
}

/** Cycles of an emitted layer on the simulator (timing mode). */
export function layerCycles(env: NpuLayerEnv, em: Emitted): number {
  return simulate(encodeProgram({ cores: env.cfg.cores, instrs: em.instrs }), env.cfg, { functional: false, dramBytes: em.dramBytes }).cycles;
}
