// Command generation for one GEMV problem on every pseudo-channel that holds part of it. Per bank
// (one PU) and pass of `rowsPerPass` output rows: initialize the accumulators (bias from the host or
// zero), then for each chunk of k: write that chunk of x for all M rows into one half of the global
// buffer, and sweep each row of the pass (ACTAB, one MACAB per column and batch row, PREAB); finally
// read the accumulators out. The global buffer is double-buffered: with `overlap` the next chunk's
// writes are slipped between the current MACs, which leave the pins idle.
import type { GemvLayout, GemvProblem } from '../layout.ts';
import type { PimConfig } from '../presets.ts';
import type { Emitter } from './emit.ts';
import { emitPerBank, planRounds, type C, type Phase } from './refresh-pb.ts';

/** Byte offsets of the problem's regions in the kernel's host buffer. */
export interface GemvHost { readonly x: number; readonly bias: number; readonly y: number }

export function gemvHostBytes(cfg: PimConfig, p: GemvProblem, l: GemvLayout): { x: number; bias: number; y: number } {
  return {
    x: l.schedule.kSplit * l.J * p.M * cfg.columns * 32,
    bias: p.bias ? l.P * l.S * p.M * 32 : 0,
    y: l.P * l.S * p.M * 4 * l.B,
  };
}

export const xAddr = (cfg: PimConfig, p: GemvProblem, l: GemvLayout, h: GemvHost, part: number, j: number, m: number, col: number): number =>
  h.x + (((part * l.J + j) * p.M + m) * cfg.columns + col) * 32;
export const biasAddr = (p: GemvProblem, l: GemvLayout, h: GemvHost, pc: number, s: number, m: number): number =>
  h.bias + ((pc * l.S + s) * p.M + m) * 32;
export const yAddr = (p: GemvProblem, l: GemvLayout, h: GemvHost, pc: number, s: number, m: number): number =>
  h.y + ((pc * l.S + s) * p.M + m) * 4 * l.B;

/** Appends the problem's commands to the emitters of the pseudo-channels it uses. */
export function emitGemv(cfg: PimConfig, p: GemvProblem, l: GemvLayout, h: GemvHost, emitterOf: (pc: number) => Emitter): void {
  for (let pc = 0; pc < l.P; pc++) {
    const phases = gemvPhases(cfg, p, l, h, pc);
    if (phases.length > 0) emitPhases(emitterOf(l.pcBase + pc), phases, l.schedule.overlap, l.schedule.refresh !== 'allBank');
  }
}

/** `pc` counts within the GEMV's pseudo-channel group (host addresses do too). */
function gemvPhases(cfg: PimConfig, p: GemvProblem, l: GemvLayout, h: GemvHost, pc: number): Phase[] {
  const part = Math.floor(pc / l.Pp), first = (pc % l.Pp) * l.B;
  let slots = 0;
  while (slots < l.S && slots * l.G + first < p.N) slots++;
  const cvs = Math.min(l.Kcp, l.Kc - part * l.Kcp);
  if (slots === 0 || cvs <= 0) return [];
  const half = Math.floor(cfg.gbSlots / 2), R = l.schedule.rowsPerPass, M = p.M;
  const phases: Phase[] = [];
  let loads = 0, lastKey = '';
  // A load of x[m, cols c0..c1) of chunk j into the next half; returns the GB slot of (m, col).
  // `ld` numbers the loads (they alternate between the buffer's halves): the per-bank refresh path
  // orders a load after the readers of the one it overwrites.
  const load = (j: number, c0: number, c1: number): { cmds: C[]; slot: (m: number, col: number) => number; ld: number } => {
    const key = `${j}:${c0}:${c1}`;
    const ld = key === lastKey ? loads - 1 : loads;
    const base = (ld % 2) * half;
    const slot = (m: number, col: number) => base + m * (c1 - c0) + (col - c0);
    if (key === lastKey) return { cmds: [], slot, ld };
    lastKey = key; loads++;
    const cmds: C[] = [];
    for (let m = 0; m < M; m++) for (let col = c0; col < c1; col++) cmds.push({ op: 'WRGB', f: { slot: slot(m, col), addr: xAddr(cfg, p, l, h, part, j, m, col) }, ld });
    return { cmds, slot, ld };
  };
  const macs = (s: number, s0: number, c0: number, c1: number, ld: { slot: (m: number, col: number) => number; ld: number }): C[] => {
    const out: C[] = [];
    for (let col = c0; col < c1; col++) for (let m = 0; m < M; m++) out.push({ op: 'MACAB', f: { col, slot: ld.slot(m, col), acc: (s - s0) * M + m }, ld: ld.ld });
    return out;
  };
  for (let s0 = 0; s0 < slots; s0 += R) {
    const pass = Array.from({ length: Math.min(R, slots - s0) }, (_, i) => s0 + i);
    const init: C[] = [];
    for (const s of pass) for (let m = 0; m < M; m++) {
      const acc = (s - s0) * M + m;
      init.push(p.bias && part === 0 ? { op: 'SETACC', f: { acc, addr: biasAddr(p, l, h, pc, s, m) } } : { op: 'CLRACC', f: { acc } });
    }
    phases.push({ load: [], compute: init, bankFree: true });
    for (let j = 0; j * cfg.columns < cvs; j++) {
      const cj = Math.min(cfg.columns, cvs - j * cfg.columns);
      const block = Math.min(cj, Math.floor(half / M));
      for (const s of pass) {
        const row = l.rowBase + s * l.J + j;
        for (let c0 = 0; c0 < cj; c0 += block) {
          const c1 = Math.min(cj, c0 + block);
          // When the whole chunk fits in one half, the rows of the pass after the first reuse its load.
          const ld = load(j, c0, c1);
          const compute = [...(c0 === 0 ? [{ op: 'ACTAB', f: { row } } as C] : []), ...macs(s, s0, c0, c1, ld), ...(c1 === cj ? [{ op: 'PREAB', f: {} } as C] : [])];
          phases.push({ load: ld.cmds, compute });
        }
      }
    }
    const out: C[] = [];
    for (const s of pass) for (let m = 0; m < M; m++) out.push({ op: 'RDACC', f: { acc: (s - s0) * M + m, addr: yAddr(p, l, h, pc, s, m) } });
    phases.push({ load: [], compute: out, bankFree: true });
  }
  return phases;
}

function emitPhases(e: Emitter, phases: readonly Phase[], overlap: boolean, perBank: boolean): void {
  // Refresh placement (the code generator is the memory controller): an owed refresh is issued at a
  // bank-free phase (accumulator init or read-out, with the global-buffer loads they carry) where it
  // overlaps that work; one falling due during a pass is pulled in at the pass start, or postponed
  // (by at most one) to the pass end. Between them, a refresh still goes at a precharged ACTAB point.
  const t = e.cfg.timing;
  const est = (c: C) => (c.op === 'ACTAB' ? t.nRCD : c.op === 'MACAB' ? t.nCCDAB : c.op === 'PREAB' ? t.nRTP + t.nRP : 0);
  // Per-bank refresh rounds where the preset has REFPB and the pass has room (refresh-pb.ts).
  const rounds = perBank ? planRounds(e, phases, est) : undefined;
  if (rounds) { emitPerBank(e, phases, overlap, rounds); return; }
  // untilFree[i]: estimated cycles from the start of phase i's compute to the next bank-free phase.
  const untilFree = new Array<number>(phases.length + 1).fill(0);
  for (let i = phases.length - 1; i >= 0; i--) {
    untilFree[i] = phases[i + 1]?.bankFree || i + 1 === phases.length ? 0 : untilFree[i + 1];
    untilFree[i] += phases[i].bankFree ? 0 : phases[i].compute.reduce((a, c) => a + est(c), 0);
  }
  let left = 0;
  const put = (c: C) => {
    if (c.op === 'ACTAB') e.maybeRefresh(left);
    e.push(c.op, c.f);
    left -= est(c);
  };
  const enter = (i: number) => {
    if (!phases[i].bankFree) return;
    e.maybeRefresh();
    left = untilFree[i + 1] ?? 0;
    if (phases[i].compute.some((c) => c.op === 'CLRACC' || c.op === 'SETACC')) e.pullInRefresh(left);
  };
  if (!overlap) {
    for (let i = 0; i < phases.length; i++) { enter(i); phases[i].load.forEach(put); phases[i].compute.forEach(put); }
    return;
  }
  enter(0);
  phases[0].load.forEach(put);
  for (let i = 0; i < phases.length; i++) {
    if (i > 0) enter(i);
    const next = phases[i + 1]?.load ?? [];
    let k = 0;
    for (const c of phases[i].compute) {
      put(c);
      if (c.op === 'MACAB' && k < next.length) put(next[k++]);
    }
    while (k < next.length) put(next[k++]);
  }
}
