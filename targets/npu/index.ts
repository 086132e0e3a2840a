// `--target npu[:onnxim-tpuv4|edge16|path/to/config.json]`: the NPU Target. Its schedule is the
// per-layer record in codegen/schedule.ts, so `defaultSchedule` returns no Tensor IR steps.
import type { Artifact, ModulePlan, RunOutput, Target, TargetFactory } from '../target.ts';
import type { Node } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { loadConfig } from './config.ts';
import { compileWithRecords, layerCycles, runNpu, type NpuCompiled } from './npu.ts';
import type { NpuSchedule } from './codegen/schedule.ts';
import { inlineFused } from './codegen/inline.ts';
import { ISA_VERSION } from './isa.ts';

const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);

export const createTarget: TargetFactory = (variant) => {
  const cfg = loadConfig(variant);
  const precision = cfg.dataType === 'int8' ? 'int8 (int32 accumulate; f16 vector unit)' : 'f16 (f32 accumulate)';
  const target: Target = {
    name: 'npu',
    variant: variant ?? cfg.name,
    fingerprint: () => `npu-isa${ISA_VERSION}:${JSON.stringify(cfg)}`,
    // Every node runs: what the array and vector unit cannot express becomes a reported host fallback.
    // Fused nodes are declined so the fuse pass hands back their members: this code generator forms its
    // own layers (conv + bias + activation + residual, element-wise chains).
    // Quantized groups (Fused with `quant`) are accepted and inlined: their QDQ pattern is what the
    // int8 path reads (codegen/qdq.ts).
    // Recurrent nodes are refused so the driver unrolls them (passes/graph/rnn.ts) into MatMul/Add/
    // Sigmoid/Tanh/Mul, which run on the array and vector unit instead of a host fallback.
    supports: (node: Node) => (node.body && !node.quant ? { ok: false, reason: 'the NPU code generator fuses its own layers' }
      : RECURRENT.has(node.op) ? { ok: false, reason: `${node.op} runs on the NPU once unrolled (decompose-rnn)` }
        : { ok: true, precisions: [cfg.dataType, ...(cfg.dataType === 'int8' ? [] : ['int8'])] }),
    lowersToTensorIR: false,
    defaultSchedule: () => [],
    async compile(plan: ModulePlan): Promise<Artifact> {
      const { c, sim, tuned } = compileWithRecords(inlineFused(plan.graph), cfg, (plan.layerSchedules ?? {}) as NpuSchedule);
      const cycles = Math.ceil(sim.cycles);
      const per = layerCycles(c, sim);
      const ms = (cyc: number) => cyc / (cfg.coreFreq * 1e3);
      const kernels = c.program.layers.map((l) => {
        const host = l.kind === 'host';
        const cyc = Math.round(per.get(l.name)?.cycles ?? 0);
        return { name: l.name, ops: l.ops, target: host ? 'host' : 'npu', precision: host ? 'f32 (host fallback)' : l.precision ?? (l.kind === 'array' ? precision : `f16 (${l.kind === 'dma' ? 'DMA' : 'vector unit'})`), latencyMs: ms(cyc), cycles: cyc, tuned: tuned.has(l.name) };
      });
      const summary = {
        preset: cfg.name, cycles, utilization: sim.utilization, macs: sim.macs, dramBytes: sim.dramBytes,
        stalls: sim.stalls, unitBusy: sim.unitBusy, instructions: c.program.binary.instrs.length,
        hostFallbacks: c.program.host.map((h) => ({ node: h.node.name, op: h.node.op, reason: h.reason })),
        schedules: c.program.schedules, tunedLayers: [...tuned],
      };
      const files = new Map<string, string | Uint8Array>([
        ['program.bin', c.bin], ['program.s', c.asm], ['model.mapping', c.mapping],
        ['npu.json', JSON.stringify(summary, null, 2) + '\n'],
      ]);
      return { target: `npu:${cfg.name}`, files, kernels, latencyMs: ms(cycles), latencySource: 'simulated', cycles, payload: c };
    },
    async run(artifact: Artifact, inputs: TensorMap): Promise<RunOutput> {
      const c = artifact.payload as NpuCompiled;
      const { outputs, sim } = runNpu(c, inputs);
      const host = c.program.host.length ? `, ${c.program.host.length} host fallback op(s) not counted` : '';
      return { outputs, cycles: Math.ceil(sim.cycles), ms: sim.cycles / (cfg.coreFreq * 1e3), how: `NPU simulator (${cfg.name}, functional${host})` };
    },
  };
  return target;
};
