// Runs a kernel's streams (one per pseudo-channel; the pseudo-channels work in parallel) on the
// functional model while checking every command's issue cycle against the timing model. Reports
// cycles, commands by type, bytes inside the banks vs over the pins, and PU utilization.
import type { Op, Stream } from '../commands.ts';
import { PimError } from '../errors.ts';
import { banksPerPc, type PimConfig } from '../presets.ts';
import { BankArray, PcState } from './functional.ts';
import { Timeline, pinBytes } from './timing.ts';

export interface SimStats {
  /** The slowest pseudo-channel's completion cycle. */
  cycles: number;
  commands: Partial<Record<Op, number>>;
  /** Bytes the PUs read from or wrote to their banks. */
  internalBytes: number;
  /** Bytes that crossed the pins (host ↔ device). */
  externalBytes: number;
  /** MAC/element-wise busy cycles over (banks in use × cycles). */
  puUtilization: number;
  refreshes: number;
}

export interface SimOptions {
  /** Check timing (default true); false runs the functional model only. */
  readonly timing?: boolean;
}

/** Executes the streams; `memory(pc)` gives the bank contents the kernel's layout placed there. */
export function simulate(cfg: PimConfig, streams: readonly Stream[], memory: (pc: number) => BankArray, host: DataView, opts: SimOptions = {}): SimStats {
  let cycles = 0;
  for (const s of streams) {
    if (s.preset !== cfg.name) throw new PimError('PIM_FIELD', `stream for pseudo-channel ${s.pc} is for preset ${s.preset}, the simulator runs ${cfg.name}`);
    const state = new PcState(cfg, s.fmt, memory(s.pc), host);
    const tl = new Timeline(cfg);
    s.commands.forEach((c, i) => {
      if (opts.timing !== false) tl.check(c, i);
      state.exec(c, i);
    });
    cycles = Math.max(cycles, tl.done);
  }
  return streamStats(cfg, streams, cycles);
}

/** Counts of a kernel's streams that do not depend on data: commands, bytes, PU busy share of `cycles`. */
export function streamStats(cfg: PimConfig, streams: readonly Stream[], cycles: number): SimStats {
  const stats: SimStats = { cycles, commands: {}, internalBytes: 0, externalBytes: 0, puUtilization: 0, refreshes: 0 };
  const nb = banksPerPc(cfg);
  let busy = 0;
  for (const s of streams) {
    for (const c of s.commands) {
      stats.commands[c.op] = (stats.commands[c.op] ?? 0) + 1;
      stats.externalBytes += pinBytes(c, cfg);
      const banks = c.op === 'MACAB' || c.op === 'ADDAB' || c.op === 'MULAB' ? nb : c.op === 'MACMB' ? popcount(c.mask) : 1;
      if (c.op === 'MAC' || c.op === 'MACAB' || c.op === 'MACMB') { stats.internalBytes += 32 * banks; busy += banks * cfg.timing.nCCDAB; }
      if (c.op === 'ADDAB' || c.op === 'MULAB') { stats.internalBytes += 96 * banks; busy += banks * cfg.timing.nEWAB; }
      if (c.op === 'REF') stats.refreshes++;
      if (c.op === 'REFPB') stats.refreshes += 1 / nb; // one bank of an all-bank refresh's work
    }
  }
  const used = streams.length * nb * cycles;
  stats.puUtilization = used > 0 ? busy / used : 0;
  return stats;
}

function popcount(m: number): number { let n = 0; for (; m; m &= m - 1) n++; return n; }
