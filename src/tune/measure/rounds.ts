// Whole-model timing of WGSL plans side by side: rounds of one run of every session, in an order
// drawn at random per round, in blocks of freshly loaded sessions; and the median per-round speedup
// with a bootstrap confidence interval. Shared by the tuner's in-model confirmation
// (../confirm-model.ts) and bench/tuning.ts, so the bench measures what the driver decides on.
// Why blocks: with one set of sessions for all rounds, two identical default plans read up to 1 %
// apart (the session loaded first read slower; session 3, src/tune/README.md); re-loading the
// sessions in a random order per block brought that A/A control to 1.000 ± 0.5 %.
import type { WgslPayload } from '../../../targets/wgsl/index.ts';
import { nodeGpu } from '../../../targets/wgsl/node.ts';
import { type Session, createSession } from '../../../targets/wgsl/runtime.js';
import { randomTensor, shuffle } from '../../runtime/random.ts';
import type { DType } from '../../ir/graph/dtype.ts';
import { median } from '../../util/stats.ts';
import { Rng } from '../rng.ts';

export type Clock = 'gpu' | 'wall' | 'cpu';
/** Per session: each kept run's time by clock (ms), and the GPU time of each dispatch of each run. */
export interface Timings { clocks: Record<Clock, number[]>; dispatches: number[][] }
export interface Ci { readonly med: number; readonly lo: number; readonly hi: number }

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const empty = (): Timings => ({ clocks: { gpu: [], wall: [], cpu: [] }, dispatches: [] });

/** Median of the per-round ratios `dflt[i] / tuned[i]` and its bootstrap 95 % CI (2000 resamples, fixed seed). */
export function speedupCi(dflt: readonly number[], tuned: readonly number[]): Ci {
  // 0 / 0 (a dispatch shorter than the clock's tick both ways) is no difference, not NaN.
  const ratios = dflt.map((d, i) => (d === tuned[i] ? 1 : d / tuned[i]));
  const rng = new Rng(17), meds: number[] = [];
  for (let b = 0; b < 2000; b++) meds.push(median(Array.from(ratios, () => ratios[rng.int(ratios.length)])));
  meds.sort((x, y) => x - y);
  return { med: median(ratios), lo: meds[49], hi: meds[1949] };
}

/**
 * Ratio of the `q`-quantiles of two plans' times, default/tuned, with a bootstrap 95 % CI (rounds
 * resampled, 2000 times, fixed seed). Why beside the median per-round ratio: on a loaded CPU
 * adapter a dispatch's time is its own time plus whole scheduler time slices given to other jobs
 * (4 ms steps here), so the median compares preemption counts; a low quantile compares the
 * unpreempted runs — the kernels' own speed at this moment's free cores. Printed by the bench; the
 * in-model verdict stays on the median (what a user of this loaded machine would see).
 */
export function quantileSpeedupCi(dflt: readonly number[], tuned: readonly number[], q = 0.1): Ci {
  const at = (v: readonly number[]) => [...v].sort((x, y) => x - y)[Math.min(v.length - 1, Math.floor(q * v.length))];
  const rng = new Rng(19), rs: number[] = [];
  for (let b = 0; b < 2000; b++) {
    const idx = Array.from(dflt, () => rng.int(dflt.length));
    rs.push(at(idx.map((i) => dflt[i])) / at(idx.map((i) => tuned[i])));
  }
  rs.sort((x, y) => x - y);
  return { med: at(dflt) / at(tuned), lo: rs[49], hi: rs[1949] };
}

/**
 * Times `rounds` rounds, one run of every session per round, in an order drawn at random per round
 * (seeded): no session always runs first, or always after the same other one (a fixed order gave an
 * untuned control kernel 1.01× [1.00..1.02] in session 3). 4 warm-up rounds are not kept.
 * `alternate`: the fixed order reversed every round instead (kept to compare).
 */
export async function timeRounds(sessions: readonly Session[], feed: Record<string, ArrayLike<number>>, rounds: number, seed: number, alternate = false): Promise<Timings[]> {
  const out = sessions.map(empty);
  const rng = new Rng(seed), order = sessions.map((_, i) => i);
  for (let r = 0; r < rounds + 4; r++) {
    if (alternate) order.reverse();
    else shuffle(order, () => rng.next());
    for (const i of order) {
      const c0 = cpuMs(), w0 = performance.now();
      await sessions[i].run(feed, { timing: true });
      if (r < 4) continue;
      // Without the timestamp-query feature there is no GPU time: wall time stands in for the run and
      // no dispatch has a time (an in-model verdict then reads 1.00 and keeps nothing).
      const wall = performance.now() - w0, t = sessions[i].lastTiming ?? { totalMs: wall, dispatches: [] }, o = out[i];
      o.clocks.gpu.push(t.totalMs); o.clocks.wall.push(wall); o.clocks.cpu.push(cpuMs() - c0);
      o.dispatches.push(t.dispatches);
    }
  }
  return out;
}

export interface BlockOptions {
  /** Rounds kept in all (default 100). */
  readonly rounds?: number;
  /** Blocks of fresh sessions the rounds are split into (default 5). */
  readonly blocks?: number;
  readonly seed?: number;
  readonly alternate?: boolean;
}

/** Loads a compiled WGSL artifact's payload as a session on this process's adapter. */
export async function loadSession(payload: WgslPayload): Promise<Session> {
  const { built } = payload;
  const { gpu } = await nodeGpu();
  const s = await createSession(gpu, built.plan, built.weights.slice().buffer, built.shaderCode);
  try { await s.ready; } catch (e) { s.destroy(); throw e; }
  return s;
}

/** Random inputs (seeded, in [-1, 1]) for a compiled plan's graph inputs. */
export function planInputs(payload: WgslPayload, seed = 5): Record<string, ArrayLike<number>> {
  const ins = (payload.built.plan as { inputs: { name: string; dtype: string; shape: number[] }[] }).inputs;
  return Object.fromEntries(ins.map((io, i) => [io.name, randomTensor(io.dtype as DType, io.shape, seed + i).data as ArrayLike<number>]));
}

/**
 * Times several compiled plans of one model against each other: `blocks` blocks, each loading a
 * fresh session of every plan in a random order and timing ⌈rounds / blocks⌉ rounds. Returns one
 * Timings per payload, the rounds of all blocks concatenated (index r is the same round for all).
 */
export async function timeBlocks(payloads: readonly WgslPayload[], feed: Record<string, ArrayLike<number>>, o: BlockOptions = {}): Promise<Timings[]> {
  const rounds = o.rounds ?? 100, blocks = Math.max(1, o.blocks ?? 5), seed = o.seed ?? 42, rng = new Rng(seed);
  const out = payloads.map(empty);
  for (let b = 0; b < blocks; b++) {
    const sessions: Session[] = [], order = shuffle(payloads.map((_, i) => i), () => rng.next());
    try {
      for (const i of order) sessions[i] = await loadSession(payloads[i]);
      const got = await timeRounds(sessions, feed, Math.ceil(rounds / blocks), seed + b, o.alternate);
      got.forEach((g, i) => {
        for (const k of ['gpu', 'wall', 'cpu'] as const) out[i].clocks[k].push(...g.clocks[k]);
        out[i].dispatches.push(...g.dispatches);
      });
    } finally {
      sessions.forEach((s) => s?.destroy());
    }
  }
  return out;
}

/** Per round, the GPU time of the dispatches of a plan that belong to the kernels at `kernels` (plan indices). */
export function kernelTimes(payload: WgslPayload, t: Timings, kernels: ReadonlySet<number>): number[] {
  const ds = (payload.built.plan as { dispatches: { kernel: number }[] }).dispatches;
  const mine = ds.flatMap((d, j) => (kernels.has(d.kernel) ? [j] : []));
  return t.dispatches.map((row) => mine.reduce((s, j) => s + (row[j] ?? 0), 0));
}
