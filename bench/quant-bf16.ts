// `bench/quant.ts --bf16-breakdown`: is the 45 dB line reachable by any honest bf16 scheme? Uniform
// bf16 rounds every weight once and every group-boundary activation once (passes/quantize/README.md).
// This separates the two on held-out inputs (src/quant/sensitivity-float.ts): if weights-only bf16
// (activations f32) is already under the line, no deployment storing the weights in bf16 meets it.
// Otherwise the activations dominate: the groups whose bf16 costs most end to end are listed, and
// keeping the k worst of them fp32 (weights and boundaries) — mixed precision, auto's job — is
// measured, then auto itself with bf16 as the only candidate at that floor.
import type { Graph } from '../src/ir/graph/graph.ts';
import { runGraph, type TensorMap } from '../src/runtime/interpreter.ts';
import type { Precision } from '../src/quant/precision.ts';
import { searchGreedy } from '../src/quant/search.ts';
import type { Analyzer } from '../src/quant/sensitivity.ts';
import { activationsOnly, weightsOnly } from '../src/quant/sensitivity-float.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';

const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '∞');
/** SQNR of independent noises added: 10^(−a/10) + 10^(−b/10) in dB. */
const sumDb = (a: number, b: number) => -10 * Math.log10(10 ** (-a / 10) + 10 ** (-b / 10));

/** `perGroup: false` stops after the verdict (the per-group part runs a suffix per group and sample). */
export async function bf16Breakdown(an: Analyzer, held: readonly TensorMap[], refs: readonly TensorMap[], line = 45, perGroup = true): Promise<void> {
  const sqnr = (q: Graph) => metricsOf(refs, held.map((s) => runGraph(q, s))).sqnr;
  const uniform = (p: Precision) => new Map(an.groups.map((g) => [g.name, p]));
  console.log(`format | both (uniform) | weights only (activations f32) | activations only (weights f32) | w ⊕ a predicted   [held-out ${held.length}]`);
  const at: Record<string, { w: number; a: number }> = {};
  for (const p of ['fp16', 'bf16'] as const) {
    const plan = uniform(p);
    const both = sqnr(an.quantize(plan)), w = sqnr(weightsOnly(an, plan)), a = sqnr(activationsOnly(an, plan));
    at[p] = { w, a };
    console.log(`${p}   | ${db(both)} dB | ${db(w)} dB | ${db(a)} dB | ${db(sumDb(w, a))} dB`);
  }
  const { w, a } = at.bf16;
  if (w < line) console.log(`VERDICT: weights-only bf16 is ${db(w)} dB < ${line} dB: no bf16 deployment that stores the weights in bf16 can meet ${line} dB on this model (activations f32 or not).`);
  else if (a < line) console.log(`VERDICT: weights-only bf16 is ${db(w)} dB ≥ ${line} dB, activations-only ${db(a)} dB: the activations dominate; the line needs f32 at some boundaries (mixed precision).`);
  else console.log(`VERDICT: weights-only ${db(w)} dB and activations-only ${db(a)} dB are each ≥ ${line} dB; together ${db(sumDb(w, a))} dB predicted.`);
  if (!perGroup) return;
  // Per group, end to end with only that group bf16 (on the search's verification samples).
  const ranked = an.groups.map((g) => ({ g, sqnr: an.endToEnd(g, 'bf16').sqnr })).sort((x, y) => x.sqnr - y.sqnr);
  console.log(`worst groups in bf16 alone (end to end, verify split): ${ranked.slice(0, 8).map((r) => `${r.g.name} ${db(r.sqnr)}`).join(', ')}`);
  for (const k of [1, 2, 4, 8, 16, 32].filter((k) => k < an.groups.length)) {
    const plan = uniform('bf16');
    for (const r of ranked.slice(0, k)) plan.set(r.g.name, 'fp32');
    const kept = ranked.slice(0, k).reduce((s, r) => s + an.weightBytes(r.g, 'fp32') - an.weightBytes(r.g, 'bf16'), 0);
    console.log(`bf16 with the ${k} worst group(s) fp32: held-out ${db(sqnr(an.quantize(plan)))} dB, activations-only ${db(sqnr(activationsOnly(an, plan)))} dB (+${kept.toLocaleString('en-US')} weight bytes)`);
  }
  const auto = searchGreedy(an, { candidates: ['bf16'], budget: { accuracy: { metric: 'sqnr', min: line } }, marginDb: 0.5 });
  const nF32 = an.groups.filter((g) => (auto.plan.get(g.name) ?? 'fp32') === 'fp32').length;
  const size = (auto.bytes / an.modelBytes(new Map())) * 100;
  console.log(`auto bf16/fp32 at sqnr>=${line} (0.5 dB margin): ${nF32} of ${an.groups.length} groups fp32, ${size.toFixed(1)}% of fp32 size (uniform bf16 ${((an.modelBytes(uniform('bf16')) / an.modelBytes(new Map())) * 100).toFixed(1)}%), verify ${db(auto.metrics.sqnr)} dB, held-out ${db(sqnr(an.quantize(auto.plan)))} dB, ${auto.evaluations} evaluations`);
}
