// NPU tuning: the NPU target schedules from graph nodes, not Tensor IR, so its knobs are its own
// per-layer record (targets/npu/codegen/schedule.ts: GemmSchedule — tile shape nT×kT, the dimension
// split among cores, the stationary operand and conv mode for convolutions, and accumulator chunking
// mChunk/nChunk). Each candidate layer is generated alone and timed on the cycle simulator, the way
// targets/npu/tune.ts does (both through targets/npu/layer.ts); configs the code generator rejects (SpaceError: scratchpad/accumulator
// capacity) are invalid and never reach the simulator.
import { createHash } from 'node:crypto';
import type { Node } from '../../ir/graph/graph.ts';
import type { NpuConfig } from '../../../targets/npu/config.ts';

export { ARRAY_OPS, type Emitted, type NpuLayerEnv, SpaceError, emitLayer, layerCycles, npuEnv } from '../../../targets/npu/layer.ts';

/** The workload key of an NPU layer: its node (op, attributes, input/output types) and the preset's data type. */
export function layerKey(n: Node, cfg: NpuConfig): string {
  const text = JSON.stringify({
    op: n.op, attrs: n.attrs, dtype: cfg.dataType,
    inputs: n.inputs.map((v) => (v ? { type: v.type, constant: v.constant ? v.constant.size : 0 } : null)),
    outputs: n.outputs.map((v) => v.type),
  }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array || ArrayBuffer.isView(v) ? undefined : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
