// A PIM GEMV kernel (MatMul/Gemm: GEMV, batched GEMV, attention decode) as a TuneTask. The space is
// the PIM code generator's own schedule (targets/pim/layout.ts `GemvSchedule`): the weight layout
// (kSplit: pseudo-channel groups sharing a reduction; pcGroups: groups running different GEMVs of a
// node side by side) and the command order (rowsPerPass: output rows accumulated per pass; overlap:
// global-buffer loads slipped between MACs; refresh: per-bank rounds or all-bank REF). Knobs hold the
// values themselves; a combination the layout pass rejects (a divisor that does not divide, too
// many accumulators, too few DRAM rows) is invalid and never measured. Cost: the cycles of the
// kernel's command streams re-checked by the simulator's timing model (deterministic). The record's
// schedule is the GemvSchedule: `compile --db` hands it to the PIM target as KernelPlan.config.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import { lowerGraph } from '../../lower/lower.ts';
import { lookupPass, optimizeGraph, runPasses } from '../../../passes/index.ts';
import type { Target } from '../../../targets/target.ts';
import { parseVariant } from '../../../targets/pim/index.ts';
import type { PrimFunc } from '../../ir/tensor/func.ts';
import { compileKernel } from '../../../targets/pim/codegen/program.ts';
import { gemvProblems } from '../../../targets/pim/codegen/ops.ts';
import type { PimFormat } from '../../../targets/pim/fp.ts';
import { defaultGemvSchedule, gemvLayout, gemvSpace, type GemvProblem, type GemvSchedule } from '../../../targets/pim/layout.ts';
import { banksPerPc, pcCount, type PimConfig } from '../../../targets/pim/presets.ts';
import { Timeline } from '../../../targets/pim/sim/timing.ts';
import type { Stream } from '../../../targets/pim/commands.ts';
import { featureVector, lg } from '../features/features.ts';
import { type Config, canonicalTir, workloadKey } from '../keys.ts';
import { type TuneTask, recordTask } from '../task.ts';

const REFRESH = ['perBank', 'allBank'] as const;

/** Cycles of a kernel's streams on the simulator's timing model (every command re-checked). */
export function streamCycles(cfg: PimConfig, streams: readonly Stream[]): number {
  let cycles = 0;
  for (const s of streams) {
    const tl = new Timeline(cfg);
    s.commands.forEach((c, i) => tl.check(c, i));
    cycles = Math.max(cycles, tl.done);
  }
  return cycles;
}

export function pimFeatures(cfg: PimConfig, p: GemvProblem, count: number, s: GemvSchedule): Float32Array {
  const P = pcCount(cfg) / s.pcGroups, Pp = P / s.kSplit, G = Pp * banksPerPc(cfg);
  const S = Math.ceil(p.N / G), J = Math.ceil(Math.ceil(p.K / cfg.lanes / s.kSplit) / cfg.columns);
  const sweep = cfg.timing.nRCD + cfg.columns * p.M * cfg.timing.nCCDAB + cfg.timing.nRTP + cfg.timing.nRP;
  return featureVector([
    lg(p.M), lg(p.N), lg(p.K), lg(count), lg(s.kSplit), lg(s.rowsPerPass), s.overlap ? 1 : 0, lg(s.pcGroups),
    s.refresh === 'allBank' ? 1 : 0, lg(S), lg(J), lg(S * J), lg(Math.ceil(S / s.rowsPerPass)),
    lg(S * J * sweep * Math.ceil(count / s.pcGroups)), lg((p.M * cfg.columns) / (cfg.gbSlots / 2)), p.bias ? 1 : 0,
  ]);
}

/** The tuning task of one PIM kernel (a lowered MatMul/Gemm), or undefined when PIM has no choices for it. */
export function pimTask(cfg: PimConfig, fmt: PimFormat, node: Node, func: PrimFunc, name: string): TuneTask | undefined {
  const probs = gemvProblems(node);
  if (typeof probs === 'string' || probs.length === 0) return undefined;
  const p = probs[0], count = probs.length;
  const listed = gemvSpace(cfg, p, count);
  const values = (k: keyof GemvSchedule) => [...new Set(listed.map((s) => Number(s[k])))].sort((a, b) => a - b);
  const refresh = cfg.timing.nRFCpb > 0 && cfg.timing.nREFI > 0 ? [0, 1] : [1];
  return recordTask<GemvSchedule>({
    name, workloadKey: workloadKey(func), description: canonicalTir(func),
    knobs: [['ks', values('kSplit')], ['r', values('rowsPerPass')], ['ov', [0, 1]], ['pg', values('pcGroups')], ['rf', refresh]],
    scheduleOf: (c: Config) => ({ kSplit: c.ks, rowsPerPass: c.r, overlap: c.ov === 1, pcGroups: c.pg, refresh: REFRESH[c.rf] }),
    // The layout pass's own validation (divisors, accumulators, DRAM rows) is the static check.
    validate: (s) => probs.forEach((q, i) => gemvLayout(cfg, q, s, 0, i)),
    features: (s) => pimFeatures(cfg, p, count, s),
    defaultSchedule: defaultGemvSchedule(cfg, p, count),
    cost: (s) => streamCycles(cfg, compileKernel(cfg, node, name, { fmt, rowBase: 0, schedule: s }).streams),
  });
}

/** The distinct PIM GEMV kernels of a model as `compile --target pim` plans them (same passes, same lowering). */
export function pimModelTasks(graph: Graph, target: Target): TuneTask[] {
  const { cfg, fmt } = parseVariant(target.variant);
  const seen = new Set<string>();
  const out: TuneTask[] = [];
  // As compile does: recurrent nodes PIM refuses are unrolled first (their MatMuls are GEMVs).
  const unroll = graph.nodes.some((n) => (n.op === 'LSTM' || n.op === 'GRU' || n.op === 'RNN') && !target.supports(n).ok);
  const source = unroll ? runPasses(graph, [lookupPass('decompose-rnn')]) : graph;
  for (const call of lowerGraph(optimizeGraph(source, { target })).calls) {
    if ((call.node.op !== 'MatMul' && call.node.op !== 'Gemm') || !target.supports(call.node).ok) continue;
    const t = pimTask(cfg, fmt, call.node, call.func, call.func.name);
    if (t && !seen.has(t.workloadKey)) { seen.add(t.workloadKey); out.push(t); }
  }
  return out;
}
