// NPU tuning: the NPU target schedules from graph nodes, not Tensor IR, so its knobs are its own
// per-layer record (targets/npu/codegen/schedule.ts: GemmSchedule — tile shape nT×kT, the dimension
// split among cores, the stationary operand and conv mode for convolutions, and accumulator chunking
// mChunk/nChunk). Each candidate layer is generated alone and timed on the cycle simulator, the way
// targets/npu/tune.ts does; configs the code generator rejects (SpaceError: scratchpad/accumulator
// capacity) are invalid and never reach the simulator.
import { createHash } from 'node:crypto';
import type { Graph, Node } from '../../ir/graph/graph.ts';
import type { NpuConfig } from '../../../targets/npu/config.ts';
import { encodeProgram } from '../../../targets/npu/isa.ts';
import { Emitter, SpaceError } from '../../../targets/npu/codegen/emitter.ts';
import { Layout } from '../../../targets/npu/codegen/layout.ts';
import { Fusion, NotMapped } from '../../../targets/npu/codegen/nodes.ts';
import type { Ctx } from '../../../targets/npu/codegen/context.ts';
import { mapNode } from '../../../targets/npu/codegen/generate.ts';
import type { GemmSchedule } from '../../../targets/npu/codegen/schedule.ts';
import { simulate } from '../../../targets/npu/sim/simulate.ts';

export const ARRAY_OPS = new Set(['Conv', 'MatMul', 'Gemm']);

export interface LayerRun { readonly cycles: number; readonly space: readonly GemmSchedule[]; readonly chosen?: GemmSchedule }

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

/** Cycles of an emitted layer on the simulator (timing mode: a layer starts and ends at a barrier,
 *  so its cycles alone are its cycles in the model). */
export function layerCycles(env: NpuLayerEnv, em: Emitted): number {
  return simulate(encodeProgram({ cores: env.cfg.cores, instrs: em.instrs }), env.cfg, { functional: false, dramBytes: em.dramBytes }).cycles;
}

export { SpaceError };

/** The workload key of an NPU layer: its node (op, attributes, input/output types) and the preset's data type. */
export function layerKey(n: Node, cfg: NpuConfig): string {
  const text = JSON.stringify({
    op: n.op, attrs: n.attrs, dtype: cfg.dataType,
    inputs: n.inputs.map((v) => (v ? { type: v.type, constant: v.constant ? v.constant.size : 0 } : null)),
    outputs: n.outputs.map((v) => v.type),
  }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array || ArrayBuffer.isView(v) ? undefined : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
