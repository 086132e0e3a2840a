// The NPU pipeline as a library: graph → program (code generator) → binary + assembly + .mapping →
// simulator. The Target in index.ts and the tests/bench use these.
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import type { NpuConfig } from './config.ts';
import { disassemble } from './asm.ts';
import { encodeProgram } from './isa.ts';
import { generate, type Program } from './codegen/generate.ts';
import type { NpuSchedule } from './codegen/schedule.ts';
import { simulate, type SimResult } from './sim/simulate.ts';
import { initDram, readTensor, runHost } from './runtime.ts';

export interface NpuCompiled {
  readonly graph: Graph;
  readonly cfg: NpuConfig;
  readonly program: Program;
  readonly bin: Uint8Array;
  readonly asm: string;
  readonly mapping: string;
}

export interface CompileNpuOptions {
  /** Per-layer schedules (e.g. from tune.ts); layers not named use the default rule. */
  readonly schedule?: NpuSchedule;
}

export function compileNpu(graph: Graph, cfg: NpuConfig, o: CompileNpuOptions = {}): NpuCompiled {
  const program = generate(graph, cfg, { schedule: o.schedule });
  const bin = encodeProgram(program.binary);
  const asm = disassemble(program.binary, program.comments);
  const mapping = program.mapping.map((m) => m.text).join('\n') + (program.mapping.length ? '\n' : '');
  return { graph, cfg, program, bin, asm, mapping };
}

/** Timing only: no data, no memories; what bench/npu and the compile report use. */
export function timeNpu(c: NpuCompiled): SimResult {
  return simulate(c.bin, c.cfg, { functional: false, dramBytes: c.program.layout.bytes });
}

export function runNpu(c: NpuCompiled, inputs: TensorMap): { outputs: TensorMap; sim: SimResult } {
  const { graph, program } = c;
  const sim = simulate(c.bin, c.cfg, {
    functional: true, dramBytes: program.layout.bytes,
    init: (m) => initDram(m, program.layout, graph, inputs),
    host: (id, m) => {
      const h = program.host[id];
      if (!h) throw new Error(`host call ${id} is not in the program's host table`);
      runHost(m, program.layout, h.node, graph.opset);
    },
  });
  const outputs: TensorMap = {};
  for (const v of graph.outputs) outputs[v.name] = readTensor(sim.dram!, program.layout.get(v), v);
  return { outputs, sim };
}

/** Per-layer cycles from the barrier that closes each layer. */
export function layerCycles(c: NpuCompiled, sim: SimResult): Map<string, { cycles: number; macs: number }> {
  const byBarrier = new Map(sim.phases.map((p) => [p.index, p]));
  const out = new Map<string, { cycles: number; macs: number }>();
  for (const l of c.program.layers) {
    const p = byBarrier.get(l.last - 1);
    out.set(l.name, { cycles: l.kind === 'host' ? 0 : p?.cycles ?? 0, macs: p?.macs ?? 0 });
  }
  return out;
}
