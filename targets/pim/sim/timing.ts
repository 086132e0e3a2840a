// The timing model of one pseudo-channel: a minimum-gap table over command classes, kept per bank
// (all-bank commands touch every bank), plus pseudo-channel-wide rules: one command per cycle on the
// command bus, nRRD and tFAW for single-bank activates, the pins as one data bus that WR/RD/WRGB/
// SETACC/RDACC occupy for their bursts, global-buffer slots written before a MAC reads them, and
// refresh (at most 8 refreshes owed, REF blocks the banks for nRFC). The code generator schedules with
// this same model (issue as early as legal); the simulator checks a given trace against it.
import type { Command, Op } from '../commands.ts';
import { PimError } from '../errors.ts';
import { banksPerPc, type PimConfig, type PimTiming } from '../presets.ts';

type Cls = 'act' | 'pre' | 'rd' | 'wr' | 'mac' | 'ew' | 'accset' | 'accrd' | 'ref' | 'refpb' | 'gbw' | 'sync';
const CLASS: Record<Op, Cls> = {
  ACT: 'act', ACTAB: 'act', PRE: 'pre', PREAB: 'pre', WR: 'wr', RD: 'rd', WRGB: 'gbw', MAC: 'mac', MACAB: 'mac',
  ADDAB: 'ew', MULAB: 'ew', CLRACC: 'accset', SETACC: 'accset', RDACC: 'accrd', REF: 'ref', SYNC: 'sync',
  REFPB: 'refpb', ACTMB: 'act', MACMB: 'mac', PREMB: 'pre',
};
const MASKED: ReadonlySet<Op> = new Set<Op>(['ACTMB', 'MACMB', 'PREMB']);
const ALL_BANK: ReadonlySet<Op> = new Set<Op>(['ACTAB', 'PREAB', 'MACAB', 'ADDAB', 'MULAB', 'CLRACC', 'SETACC', 'RDACC', 'REF']);

/** Per-bank minimum gaps: [from, to, name, gap]. The name appears in violation reports. */
type Gap = readonly [Cls, Cls, string, (t: PimTiming) => number];
export const BANK_GAPS: readonly Gap[] = [
  ['act', 'act', 'nRC', (t) => t.nRC],
  ['act', 'pre', 'nRAS', (t) => t.nRAS],
  ...(['rd', 'wr', 'mac', 'ew'] as const).map((to): Gap => ['act', to, 'nRCD', (t) => t.nRCD]),
  ['pre', 'act', 'nRP', (t) => t.nRP],
  ['pre', 'ref', 'nRP', (t) => t.nRP],
  ['rd', 'pre', 'nRTP', (t) => t.nRTP],
  ['wr', 'pre', 'nCWL+nCCDS+nWR', (t) => t.nCWL + t.nCCDS + t.nWR],
  ['mac', 'pre', 'nCCDAB+nRTP', (t) => t.nCCDAB + t.nRTP],
  ['ew', 'pre', 'nEWAB+nWR', (t) => t.nEWAB + t.nWR],
  ['rd', 'rd', 'nCCDL', (t) => t.nCCDL],
  ['wr', 'wr', 'nCCDL', (t) => t.nCCDL],
  ['mac', 'mac', 'nCCDAB', (t) => t.nCCDAB],
  ['mac', 'ew', 'nCCDAB', (t) => t.nCCDAB],
  ['ew', 'ew', 'nEWAB', (t) => t.nEWAB],
  ['ew', 'mac', 'nEWAB', (t) => t.nEWAB],
  ['ew', 'rd', 'nEWAB', (t) => t.nEWAB],
  ['wr', 'ew', 'nCWL+nCCDS', (t) => t.nCWL + t.nCCDS],
  ['wr', 'rd', 'nCWL+nCCDS', (t) => t.nCWL + t.nCCDS],
  ['wr', 'mac', 'nCWL+nCCDS', (t) => t.nCWL + t.nCCDS],
  ['mac', 'accrd', 'nCCDAB', (t) => t.nCCDAB],
  ['mac', 'accset', 'nCCDAB', (t) => t.nCCDAB],
  ['accset', 'mac', 'nCWL+nCCDS', (t) => t.nCWL + t.nCCDS],
  ['ref', 'act', 'nRFC', (t) => t.nRFC],
  ['ref', 'ref', 'nRFC', (t) => t.nRFC],
  // Per-bank refresh (AttAcc's Ramulator2 HBM3-PIM model: REFsb needs the bank closed, blocks it for
  // nRFCsb; REFab and REFsb exclude each other for their refresh time).
  ['pre', 'refpb', 'nRP', (t) => t.nRP],
  ['refpb', 'act', 'nRFCpb', (t) => t.nRFCpb],
  ['refpb', 'refpb', 'nRFCpb', (t) => t.nRFCpb],
  ['refpb', 'ref', 'nRFCpb', (t) => t.nRFCpb],
  ['ref', 'refpb', 'nRFC', (t) => t.nRFC],
];
/** Pseudo-channel-wide: an activate (2-cycle command) before a REFPB, and REFPB before an activate of another bank. */
const ACT_TO_REFPB = 2;

/** Bytes a command moves over the pins, and its latency to the pins (write: nCWL, read: nRL). */
export function pinBytes(c: Command, cfg: PimConfig): number {
  switch (c.op) {
    case 'WR': case 'RD': case 'WRGB': case 'SETACC': return 32;
    case 'RDACC': return 4 * banksPerPc(cfg);
    default: return 0;
  }
}

const NEVER = -1e15;
/** Most refreshes a controller may postpone (JEDEC allows 8). */
export const MAX_REFRESH_DEBT = 8;

export interface Issue { readonly t: number; readonly why: string }

export class Timeline {
  private readonly byGap: Map<Cls, Gap[]>;
  private readonly last: Float64Array; // [bank][class]
  /** Per class, the latest issue over all banks: what an all-bank command waits for. */
  private readonly lastAny: Float64Array;
  private readonly acts: number[] = [];
  private lastActAny = NEVER;
  private busFree = 0;
  private readonly slotReady: Float64Array;
  private prev = 0;
  /** Refreshes each bank has received (REF counts for all). */
  private readonly refs: Int32Array;
  private lastRefpb = NEVER;
  private lastRowAct = NEVER;
  /** Cycle by which every issued command has completed. */
  done = 0;
  count = 0;

  constructor(readonly cfg: PimConfig) {
    this.byGap = new Map();
    for (const g of BANK_GAPS) this.byGap.set(g[1], [...(this.byGap.get(g[1]) ?? []), g]);
    this.last = new Float64Array(banksPerPc(cfg) * CLASSES.length).fill(NEVER);
    this.slotReady = new Float64Array(cfg.gbSlots);
    this.lastAny = new Float64Array(CLASSES.length).fill(NEVER);
    this.refs = new Int32Array(banksPerPc(cfg));
  }

  get now(): number { return this.prev; }

  /** Refreshes owed at cycle t by the bank furthest behind (0 when refresh is disabled). */
  refreshDebt(t: number): number {
    let least = this.refs[0];
    for (const n of this.refs) least = Math.min(least, n);
    return this.owed(t, least);
  }

  /** Refreshes bank b owes at cycle t: every bank needs one per nREFI (REF or its own REFPB). */
  bankRefreshDebt(b: number, t: number): number { return this.owed(t, this.refs[b]); }

  private owed(t: number, done: number): number {
    const r = this.cfg.timing.nREFI;
    return r > 0 ? Math.floor(t / r) - done : 0;
  }

  /** The earliest legal issue cycle of `c` after what was issued, and the rule that binds it. */
  earliest(c: Command): Issue {
    const t = this.cfg.timing;
    let best: Issue = { t: this.count === 0 ? 0 : this.prev + 1, why: 'command bus (1 per cycle)' };
    const need = (at: number, why: string) => { if (at > best.t) best = { t: at, why }; };
    const cls = CLASS[c.op];
    const gaps = this.byGap.get(cls) ?? [];
    if (ALL_BANK.has(c.op)) {
      for (const [from, , name, gap] of gaps) {
        const at = this.lastAny[CLASS_INDEX[from]];
        if (at > NEVER) need(at + gap(t), `${name} after the last ${from.toUpperCase()} of a bank`);
      }
    } else {
      for (const b of this.banks(c)) {
        for (const [from, , name, gap] of gaps) {
          const at = this.last[b * CLASSES.length + CLASS_INDEX[from]];
          if (at > NEVER) need(at + gap(t), `${name} after the last ${from.toUpperCase()} of bank ${b}`);
        }
      }
    }
    if (c.op === 'ACT') {
      need(this.lastActAny + t.nRRDS, 'nRRDS after the last activate');
      if (this.acts.length >= 4) need(this.acts[this.acts.length - 4] + t.nFAW, 'tFAW (4 activates per window)');
    }
    if (c.op === 'REFPB') {
      if (t.nRFCpb <= 0) need(Infinity, `per-bank refresh, which ${this.cfg.name} does not model`);
      need(this.lastRefpb + t.nRREFD, 'nRREFD after the last REFPB');
      need(this.lastRowAct + ACT_TO_REFPB, 'an activate (2 cycles) before REFPB');
    }
    if (cls === 'act') need(this.lastRefpb + t.nRREFD - 1, 'nRREFD-1 after the last REFPB');
    const bytes = pinBytes(c, this.cfg);
    if (bytes > 0) {
      const lat = c.op === 'RD' || c.op === 'RDACC' ? t.nRL : t.nCWL;
      need(this.busFree - lat, 'the pins are busy with an earlier burst');
    }
    if (cls === 'mac') need(this.slotReady[c.slot], `global-buffer slot ${c.slot} is still being written`);
    if (c.op === 'SYNC') need(this.done, 'SYNC waits for every command to complete');
    return best;
  }

  /** Records `c` issued at cycle `at` (≥ earliest(c).t: the caller checks). */
  commit(c: Command, at: number): void {
    const t = this.cfg.timing;
    const cls = CLASS[c.op];
    for (const b of this.banks(c)) this.last[b * CLASSES.length + CLASS_INDEX[cls]] = at;
    this.lastAny[CLASS_INDEX[cls]] = at; // issue cycles only grow, so the latest is the max
    if (c.op === 'ACT') { this.acts.push(at); if (this.acts.length > 4) this.acts.shift(); this.lastActAny = at; }
    if (cls === 'act') this.lastRowAct = at;
    let end = at + 1;
    if (cls === 'refpb') { this.lastRefpb = at; this.refs[c.bank]++; end = at + t.nRFCpb; }
    const bytes = pinBytes(c, this.cfg);
    if (bytes > 0) {
      const lat = c.op === 'RD' || c.op === 'RDACC' ? t.nRL : t.nCWL;
      this.busFree = at + lat + (bytes / 32) * t.nCCDS;
      end = this.busFree;
    }
    if (c.op === 'WRGB') this.slotReady[c.slot] = at + t.nCWL + t.nCCDS;
    if (cls === 'mac') end = at + t.nCCDAB;
    if (cls === 'ew') end = at + t.nEWAB + t.nWR;
    if (cls === 'ref') { end = at + t.nRFC; for (let b = 0; b < this.refs.length; b++) this.refs[b]++; }
    if (cls === 'act') end = at + t.nRCD;
    if (cls === 'pre') end = at + t.nRP;
    this.done = Math.max(this.done, end);
    this.prev = at;
    this.count++;
  }

  /** Issues `c` at `prev + c.delta` and throws PIM_TIMING if that is too early or refresh is overdue. */
  check(c: Command, index: number): number {
    const at = (this.count === 0 ? 0 : this.prev) + c.delta;
    const e = this.earliest(c);
    if (at < e.t) {
      throw new PimError('PIM_TIMING', `command ${index} (${c.op}) issued at cycle ${at}, but ${e.why} allows cycle ${e.t} at the earliest`);
    }
    if (this.refreshDebt(at) > MAX_REFRESH_DEBT && c.op !== 'REF' && c.op !== 'REFPB') {
      const b = this.refs.indexOf(Math.min(...this.refs));
      throw new PimError('PIM_TIMING', `command ${index} (${c.op}) at cycle ${at}: refresh overdue for bank ${b} (${this.refreshDebt(at)} refreshes owed, at most ${MAX_REFRESH_DEBT})`);
    }
    this.commit(c, at);
    return at;
  }

  private banks(c: Command): number[] {
    if (ALL_BANK.has(c.op)) return ALL_BANKS(banksPerPc(this.cfg));
    if (c.op === 'WRGB' || c.op === 'SYNC') return [];
    if (MASKED.has(c.op)) return maskBanks(c.mask, banksPerPc(this.cfg));
    return [c.bank];
  }
}

const CLASSES: readonly Cls[] = ['act', 'pre', 'rd', 'wr', 'mac', 'ew', 'accset', 'accrd', 'ref', 'refpb', 'gbw', 'sync'];
/** The banks a mask names, in order. */
export function maskBanks(mask: number, n: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++) if (mask & (1 << b)) out.push(b);
  return out;
}
const CLASS_INDEX = Object.fromEntries(CLASSES.map((c, i) => [c, i])) as Record<Cls, number>;
const BANK_LISTS = new Map<number, number[]>();
function ALL_BANKS(n: number): number[] {
  let l = BANK_LISTS.get(n);
  if (!l) { l = Array.from({ length: n }, (_, i) => i); BANK_LISTS.set(n, l); }
  return l;
}
