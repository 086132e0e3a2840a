// Builds one pseudo-channel's stream, issuing each command at the earliest cycle the timing model
// allows (the code generator is the memory controller), and refreshing when a refresh falls due at
// a point where every bank is precharged.
import { cmd, type Command, type Op, type Stream } from '../commands.ts';
import type { PimFormat } from '../fp.ts';
import type { PimConfig } from '../presets.ts';
import { Timeline } from '../sim/timing.ts';

export class Emitter {
  private readonly tl: Timeline;
  private readonly out: Command[] = [];
  constructor(readonly cfg: PimConfig, readonly fmt: PimFormat, readonly pc: number) {
    this.tl = new Timeline(cfg);
  }

  /** The cycle `op` would issue at if pushed now. */
  earliestOf(op: Op, f: Partial<Omit<Command, 'op' | 'delta'>> = {}): number {
    return this.tl.earliest(cmd(op, f)).t;
  }

  push(op: Op, f: Partial<Omit<Command, 'op' | 'delta'>> = {}): void {
    const c = cmd(op, f);
    const at = this.tl.earliest(c).t;
    const delta = this.out.length === 0 ? at : at - this.tl.now;
    const timed = { ...c, delta };
    this.tl.commit(timed, at);
    this.out.push(timed);
  }

  /**
   * Call where all banks are precharged: refreshes if one is owed by the next command's cycle — unless
   * `untilFree` (an estimate of the cycles until the next bank-free phase, where the refresh overlaps
   * work that does not need the banks) is given and no second refresh falls due before then: the owed
   * one is postponed to that point (JEDEC allows up to 8 postponed; at most 1 is postponed here).
   */
  maybeRefresh(untilFree?: number): void {
    const r = this.cfg.timing.nREFI;
    if (r <= 0 || this.tl.refreshDebt(this.tl.now + this.cfg.timing.nRP + 1) <= 0) return;
    if (untilFree !== undefined && this.tl.refreshDebt(this.tl.now + untilFree) <= 1) return;
    this.push('REF');
  }

  /**
   * Call where all banks are precharged and bank-free work follows (accumulator init, global-buffer
   * loads): pulls in a refresh that falls due within the next `window` cycles (before the next such
   * point), so that work overlaps its nRFC. JEDEC lets a controller pull refreshes in; at most one is
   * ahead here, so refreshes per nREFI are unchanged over a run.
   */
  pullInRefresh(window: number): void {
    const r = this.cfg.timing.nREFI;
    if (r > 0 && this.tl.refreshDebt(this.tl.now + Math.min(window, r)) > 0) this.push('REF');
  }

  finish(): Stream {
    this.push('SYNC');
    return { preset: this.cfg.name, fmt: this.fmt, pc: this.pc, commands: this.out };
  }

  get cycles(): number { return this.tl.done; }
}
