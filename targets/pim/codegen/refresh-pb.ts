// Rolling per-bank refresh. With all-bank refresh every bank stops for nRFC; with REFPB one bank stops
// for nRFCpb while the others keep sweeping. A *round* refreshes the 16 banks of a pseudo-channel over
// 16 consecutive row sweeps: before sweep k0+p, bank p is precharged anyway (the previous sweep's
// PREAB), gets its REFPB, and from then on runs one sweep behind — in a second bank group driven by
// masked all-bank commands (ACTMB/MACMB/PREMB) that repeat the same rows, columns, global-buffer slots
// and accumulators. Bank p+1 joins that group one sweep later, exactly in phase (its refresh also
// costs it nRFCpb), so there are never more than two groups, and after the round all banks are in
// step again, each having lost nRFCpb rather than nRFC. The functional result is unchanged: every
// bank performs the same MACs on the same data in the same order.
//
// The code generator (the memory controller) builds the two groups' command lists and merges them,
// issuing at each step the ready command with the earliest legal cycle. Cross-group dependencies are
// explicit: a MAC reads a global-buffer load only after all its WRGBs were issued, a WRGB overwrites a
// half of the buffer only after every MAC of the load it replaces was issued, the lagging group's
// sweep that a bank joins follows that bank's REFPB, and outside rounds one group waits for the other
// to drain.
import type { Command, Op } from '../commands.ts';
import { banksPerPc } from '../presets.ts';
import type { Emitter } from './emit.ts';

export type C = { op: Op; f: Partial<Omit<Command, 'op' | 'delta'>>; ld?: number };
/** `bankFree`: the phase's compute does not touch the bank arrays (accumulator init or read-out). */
export interface Phase { load: C[]; compute: C[]; bankFree?: boolean }

interface Item { c: C; after?: readonly [list: number, count: number] }

const MASKED: Partial<Record<Op, Op>> = { ACTAB: 'ACTMB', MACAB: 'MACMB', PREAB: 'PREMB' };

/** A sweep phase opens a row, MACs over it and closes it (one phase per row sweep). */
const isSweep = (p: Phase) => !p.bankFree && p.compute[0]?.op === 'ACTAB' && p.compute[p.compute.length - 1]?.op === 'PREAB';

/**
 * Plans the rounds: round r refreshes the banks around r·nREFI (starting 8 sweeps before, so each bank
 * is refreshed within half a round of its due time), inside 16 consecutive sweeps of one pass. Returns
 * the first sweep phase of each round, or undefined when a due round does not fit (the caller then
 * uses all-bank refresh). The last due round may be left out: the kernel then ends owing one refresh
 * per bank, as the all-bank path allows.
 */
export function planRounds(e: Emitter, phases: readonly Phase[], est: (c: C) => number): number[] | undefined {
  const t = e.cfg.timing, B = banksPerPc(e.cfg);
  if (t.nRFCpb <= 0 || t.nREFI <= 0) return undefined;
  const start: number[] = [];
  let at = 0;
  for (const p of phases) { start.push(at); at += p.compute.reduce((s, c) => s + est(c), 0); }
  const sweep = phases.find(isSweep)?.compute.reduce((s, c) => s + est(c), 0) ?? 0;
  if (sweep <= 0) return undefined;
  const due = Math.floor((at + t.nRFCpb * Math.floor(at / t.nREFI)) / t.nREFI);
  const rounds: number[] = [];
  let from = 0;
  for (let r = 1; r <= due; r++) {
    let k = start.findIndex((s, i) => i >= from && s >= r * t.nREFI - (B / 2) * sweep);
    while (k >= 0 && k + B <= phases.length && !phases.slice(k, k + B).every(isSweep)) k++;
    if (k < 0 || k + B > phases.length) { if (r === due) break; return undefined; }
    rounds.push(k);
    from = k + B;
  }
  return rounds;
}

/** Emits `phases` with rolling per-bank refresh rounds starting at the given sweep phases. */
export function emitPerBank(e: Emitter, phases: readonly Phase[], overlap: boolean, rounds: readonly number[]): void {
  const B = banksPerPc(e.cfg), all = (1 << B) - 1;
  const lists: Item[][] = [[], []];
  let cur = 0;
  const roundPos = (i: number) => { for (const k of rounds) if (i >= k && i < k + B) return i - k; return -1; };
  const masked = (c: C, mask: number): C => (mask === all || !MASKED[c.op] ? c : { ...c, op: MASKED[c.op]!, f: { ...c.f, mask } });
  // Phase i's compute for `mask`, with the next phase's loads slipped between its MACs (overlap) or
  // its own loads ahead of it; `loads` false leaves the loads to the other group.
  const instance = (i: number, mask: number, loads: boolean): C[] => {
    const out: C[] = [];
    if (!overlap && loads) out.push(...phases[i].load);
    const next = overlap && loads ? phases[i + 1]?.load ?? [] : [];
    let k = 0;
    for (const c of phases[i].compute) {
      out.push(masked(c, mask));
      if (c.op === 'MACAB' && k < next.length) out.push(next[k++]);
    }
    while (k < next.length) out.push(next[k++]);
    return out;
  };
  const append = (list: number, cs: C[], after?: Item['after']) => {
    cs.forEach((c, j) => {
      lists[list].push({ c, after: j === 0 ? after : undefined });
    });
  };
  if (overlap) append(cur, phases[0]?.load ?? []);
  for (let i = 0; i < phases.length; i++) {
    const p = roundPos(i);
    if (p < 0) { append(cur, instance(i, all, true), [1 - cur, lists[1 - cur].length]); continue; }

    const lag = (1 << (p + 1)) - 1, lead = all & ~lag; // banks 0..p are refreshed, the rest lead
    // Bank p's REFPB goes with the leading group, right after its activate (bank p closed with the
    // previous sweep's PRE); the lagging group's sweep, which bank p now joins, follows the REFPB.
    const refpb: C = { op: 'REFPB', f: { bank: p } };
    const leadCmds = lead !== 0 ? instance(i, lead, true) : [];
    const refAt = lists[cur].length + (lead !== 0 ? 1 : 0);
    append(cur, lead !== 0 ? [leadCmds[0], refpb, ...leadCmds.slice(1)] : [refpb]);
    append(1 - cur, instance(i, lag, lead === 0), [cur, refAt + 1]);
    if (lead === 0) cur = 1 - cur;
  }
  merge(e, lists);
}

/** Issues the lists' commands in order within each list, always the ready one that can go first. */
function merge(e: Emitter, lists: readonly Item[][]): void {
  const wrgbLeft = new Map<number, number>(), macLeft = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number, d: number) => m.set(k, (m.get(k) ?? 0) + d);
  for (const l of lists) for (const { c } of l) if (c.ld !== undefined) bump(c.op === 'WRGB' ? wrgbLeft : macLeft, c.ld, 1);
  const heads = lists.map(() => 0);
  const ready = ({ c, after }: Item): boolean => {
    if (after && heads[after[0]] < after[1]) return false;
    if (c.ld === undefined) return true;
    // A MAC needs its whole load written; a WRGB into a half waits for the readers of the load it replaces.
    return c.op === 'WRGB' ? (macLeft.get(c.ld - 2) ?? 0) === 0 : (wrgbLeft.get(c.ld) ?? 0) === 0;
  };
  for (;;) {
    let pick = -1, best = Infinity;
    for (let g = 0; g < lists.length; g++) {
      const it = lists[g][heads[g]];
      if (!it || !ready(it)) continue;
      const t = e.earliestOf(it.c.op, it.c.f);
      if (t < best) { best = t; pick = g; }
    }
    if (pick < 0) {
      if (heads.every((h, g) => h === lists[g].length)) return;
      throw new Error('PIM per-bank refresh: the two bank groups wait on each other (code generator bug)');
    }
    const { c } = lists[pick][heads[pick]++];
    e.push(c.op, c.f);
    if (c.ld !== undefined) bump(c.op === 'WRGB' ? wrgbLeft : macLeft, c.ld, -1);
  }
}
