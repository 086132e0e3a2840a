// The PIM target: `--target pim[:hbm3|hbm2|aim][:fp16|bf16]`. MatMul/Gemm with few rows (GEMV,
// batched GEMV, attention decode) and element-wise Add/Mul become per-pseudo-channel command streams;
// the runner executes them on the timing-checked simulator in sim/. Quantized groups (--quantize) run
// in int8, fp16 or bf16 where the preset's PU has it, else in a 16-bit format it has (the kernel report
// says which). See DESIGN.md and COMMANDS.md.
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { Node } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { TargetError, UsageError } from '../../src/util/errors.ts';
import type { Artifact, KernelReport, ModulePlan, RunOutput, Target, TargetFactory } from '../target.ts';
import { compileKernel, runKernel, type Program } from './codegen/program.ts';
import { gemvProblems, pimSupports } from './codegen/ops.ts';
import { gemvSpace, parseGemvSchedule, type GemvSchedule } from './layout.ts';
import { decodeKernel, encodeKernel, printKernel } from './container.ts';
import { FORMATS, is16, type Pim16 } from './fp.ts';
import { matchQdqGemv, precisionLabel } from './codegen/qdq.ts';
import { getPreset, type PimConfig } from './presets.ts';
import { BankArray } from './sim/functional.ts';
import { streamStats } from './sim/run.ts';

interface Payload { readonly cfg: PimConfig; readonly plan: ModulePlan; readonly programs: readonly Program[] }

/**
 * The preset and the 16-bit format float nodes run in: the one named if the preset's PU has it, else
 * its default (`asked` and `note` then say what was substituted: `pim:aim:fp16` runs bf16).
 */
export function parseVariant(variant: string | undefined): { cfg: PimConfig; fmt: Pim16; asked?: Pim16; note?: string } {
  const parts = (variant ?? '').split(':').filter((p) => p !== '');
  let preset: string | undefined, asked: Pim16 | undefined;
  for (const p of parts) {
    if ((FORMATS as readonly string[]).includes(p)) asked = p as Pim16;
    else if (preset === undefined) preset = p;
    else throw new UsageError(`--target pim:${variant}: unexpected "${p}" (pim[:hbm3|hbm2|aim][:fp16|bf16])`);
  }
  const cfg = getPreset(preset);
  const native = cfg.formats.filter(is16);
  if (!asked || native.includes(asked)) return { cfg, fmt: asked ?? native[0] };
  return { cfg, fmt: native[0], asked, note: `the ${cfg.name} PU has no ${asked}` };
}

/** The PIM target plus its schedule space: what the tuner searches, per kernel. */
export interface PimTarget extends Target {
  /** Valid GEMV schedules of a MatMul/Gemm node ([] for element-wise nodes). */
  scheduleSpace(node: Node): GemvSchedule[];
}

export interface PimTargetOptions {
  /** Per kernel name, a GEMV schedule replacing the default (e.g. the tuner's pick). */
  readonly schedules?: Readonly<Record<string, GemvSchedule>>;
}

export const createTarget: TargetFactory = (variant) => createPimTarget(variant);

export function createPimTarget(variant: string | undefined, opts: PimTargetOptions = {}): PimTarget {
  const { cfg, fmt, asked, note } = parseVariant(variant);
  const ms = (cycles: number) => (cycles * cfg.tCKns) / 1e6;
  const target: PimTarget = {
    name: 'pim',
    variant: `${cfg.name}:${fmt}`,
    fingerprint: () => JSON.stringify({ target: 'pim', cfg, fmt, schedules: opts.schedules ?? {} }),
    supports: (node: Node) => pimSupports(node, cfg),
    scheduleSpace(node: Node): GemvSchedule[] {
      const q = node.body ? matchQdqGemv(node) : undefined;
      const compute = q && typeof q !== 'string' ? q.compute : node;
      if (compute.op !== 'MatMul' && compute.op !== 'Gemm') return [];
      const probs = gemvProblems(compute);
      const int8 = q && typeof q !== 'string' && q.int8 && cfg.formats.includes('int8');
      return typeof probs === 'string' || probs.length === 0 ? [] : gemvSpace(cfg, probs[0], probs.length, int8 ? 'int8' : fmt);
    },
    // The PIM schedule (layout + command order, layout.ts) is chosen in compile(); no loop steps.
    defaultSchedule: () => [],
    async compile(plan: ModulePlan): Promise<Artifact> {
      const files = new Map<string, string | Uint8Array>();
      const programs: Program[] = [];
      const kernels: KernelReport[] = [];
      let rowBase = 0;
      for (const k of plan.kernels) {
        // An explicit override first, else a tuned record (`compile --db`: KernelPlan.config, src/tune/pim).
        const schedule = opts.schedules?.[k.name] ?? (k.config !== undefined ? (k.config as GemvSchedule) : undefined);
        const prog = compileKernel(cfg, k.node, k.name, { fmt, ...(asked ? { requested: asked, note } : {}), rowBase, schedule: schedule && parseGemvSchedule(schedule) });
        rowBase += prog.rowsUsed;
        programs.push(prog);
        files.set(`pim/${k.name}.pim`, encodeKernel(prog.streams));
        files.set(`pim/${k.name}.txt`, printKernel(prog.streams));
        const stats = streamStats(cfg, prog.streams, prog.cycles);
        const precision = { ran: prog.fmt, requested: prog.requested, ...(prog.note ? { substituted: prog.note } : {}) };
        const gemv = prog.gemv?.map(({ problem, layout, host }) => ({ problem, layout, host }));
        files.set(`pim/${k.name}.json`, JSON.stringify({ op: prog.op, fmt: prog.fmt, precision, stats, gemv, eltwise: prog.eltwise, hostBytes: prog.hostBytes }, null, 1) + '\n');
        const ops = k.node.body ? k.node.body.nodes.map((m) => m.name) : [k.node.name];
        kernels.push({ name: k.name, ops, target: `pim:${cfg.name}`, precision: precisionLabel(prog.fmt, prog.requested, prog.note, prog.qdq), cycles: prog.cycles, latencyMs: ms(prog.cycles), tuned: k.tuned });
      }
      const cycles = programs.reduce((s, p) => s + p.cycles, 0);
      files.set('pim/config.json', JSON.stringify(cfg, null, 1) + '\n');
      const payload: Payload = { cfg, plan, programs };
      return { target: `pim:${cfg.name}:${fmt}`, files, kernels, latencyMs: ms(cycles), latencySource: 'simulated', cycles, payload };
    },
    async run(artifact: Artifact, inputs: TensorMap): Promise<RunOutput> {
      const { plan, programs } = artifact.payload as Payload;
      const env = new Map<string, Tensor>(Object.entries(inputs));
      const banks = new Map<number, BankArray>();
      const memory = (pc: number) => { let b = banks.get(pc); if (!b) { b = new BankArray(cfg); banks.set(pc, b); } return b; };
      let cycles = 0;
      plan.kernels.forEach((k, i) => {
        const ins = k.node.inputs.map((v) => {
          if (!v) return new Tensor('f32', [0]);
          const t = env.get(v.name) ?? v.constant;
          if (!t) throw new TargetError(`PIM runner: value "${v.name}" of node "${k.node.name}" is not available`);
          return t;
        });
        // Execute the encoded command streams the artifact holds, not the generator's objects.
        const streams = decodeKernel(artifact.files.get(`pim/${k.name}.pim`) as Uint8Array);
        const r = runKernel(cfg, { ...programs[i], streams }, k.node, ins, memory);
        env.set(k.node.outputs[0].name, r.output);
        cycles += r.stats.cycles;
      });
      const outputs: TensorMap = {};
      for (const v of plan.graph.outputs) {
        const t = env.get(v.name) ?? v.constant;
        if (!t) throw new TargetError(`PIM runner: graph output "${v.name}" was not computed`);
        outputs[v.name] = t;
      }
      const fmts = [...new Set(programs.map((p) => p.fmt))].join('/') || fmt;
      return { outputs, cycles, ms: ms(cycles), how: `PIM simulator (${cfg.name}, ${fmts}, timing-checked)` };
    },
  };
  return target;
}
