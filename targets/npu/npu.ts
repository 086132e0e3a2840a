// The NPU pipeline as a library: graph → program (code generator) → binary + assembly + .mapping →
// simulator. The Target in index.ts and the tests/bench use these.
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import type { NpuConfig } from './config.ts';
import { disassemble } from './asm.ts';
import { encodeProgram } from './isa.ts';
import { generate, type Program } from './codegen/generate.ts';
import type { GemmSchedule, NpuSchedule } from './codegen/schedule.ts';
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

/** Compiles with tuned per-layer records (`tscc compile --db`), keeping a record only where its layer
 *  is no slower in the full program than under the default rule, and the program no slower overall:
 *  a tuned compile is never slower than the default. Returns the layers that kept their record. */
export function compileWithRecords(graph: Graph, cfg: NpuConfig, records: NpuSchedule): { c: NpuCompiled; sim: SimResult; tuned: ReadonlySet<string> } {
  const base = compileNpu(graph, cfg), bsim = timeNpu(base);
  if (Object.keys(records).length === 0) return { c: base, sim: bsim, tuned: new Set() };
  const pb = layerCycles(base, bsim);
  let keep: Record<string, GemmSchedule> = { ...records };
  for (let round = 0; round < 2; round++) {
    const c = compileNpu(graph, cfg, { schedule: keep }), sim = timeNpu(c), per = layerCycles(c, sim);
    const slower = Object.keys(keep).filter((k) => !per.has(k) || per.get(k)!.cycles > (pb.get(k)?.cycles ?? Infinity));
    if (slower.length === 0 && sim.cycles <= bsim.cycles) return { c, sim, tuned: new Set(Object.keys(keep)) };
    keep = Object.fromEntries(Object.entries(keep).filter(([k]) => !slower.includes(k)));
    if (Object.keys(keep).length === 0) break;
  }
  return { c: base, sim: bsim, tuned: new Set() };
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

/** Per-layer cycles: the phases (barrier to barrier) that end inside the layer — one, or more where a
 *  layer synchronizes the cores in the middle (ConvTranspose phases). */
export function layerCycles(c: NpuCompiled, sim: SimResult): Map<string, { cycles: number; macs: number }> {
  const out = new Map<string, { cycles: number; macs: number }>();
  const ph = sim.phases;
  let k = 0;
  for (const l of c.program.layers) {
    let cycles = 0, macs = 0;
    while (k < ph.length && ph[k].index < l.first) k++;
    for (; k < ph.length && ph[k].index < l.last; k++) { cycles += ph[k].cycles; macs += ph[k].macs; }
    out.set(l.name, { cycles: l.kind === 'host' ? 0 : cycles, macs });
  }
  return out;
}
