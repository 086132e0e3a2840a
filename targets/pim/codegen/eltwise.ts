// Element-wise Add/Mul of two operands on PIM. The host writes both operands into the banks (WR, one
// column vector of 16 lanes each), a in the first half of a row's columns and b in the second; one
// all-bank ADDAB/MULAB per column pair computes a ∘ b in every bank and writes it back over a; RD
// returns it. Each pseudo-channel takes a contiguous range of column vectors.
import type { PimConfig } from '../presets.ts';
import { banksPerPc, pcCount } from '../presets.ts';
import type { Emitter } from './emit.ts';

export interface EltwiseLayout {
  readonly E: number; readonly cvs: number; readonly perPc: number; readonly half: number; readonly rows: number; readonly rowBase: number;
}

export function eltwiseLayout(cfg: PimConfig, E: number, rowBase: number): EltwiseLayout {
  const cvs = Math.ceil(E / cfg.lanes), perPc = Math.ceil(cvs / pcCount(cfg)), half = Math.floor(cfg.columns / 2);
  return { E, cvs, perPc, half, rows: Math.ceil(perPc / (banksPerPc(cfg) * half)), rowBase };
}

/** Host buffer: a, b and the result, each E elements of 16 bits padded to whole column vectors. */
export const eltwiseHost = (l: EltwiseLayout) => ({ a: 0, b: l.cvs * 32, out: 2 * l.cvs * 32, bytes: 3 * l.cvs * 32 });

export function emitEltwise(cfg: PimConfig, op: 'ADDAB' | 'MULAB', l: EltwiseLayout, emitterOf: (pc: number) => Emitter): void {
  const h = eltwiseHost(l), B = banksPerPc(cfg), perRow = B * l.half;
  for (let pc = 0; pc * l.perPc < l.cvs; pc++) {
    const e = emitterOf(pc);
    const n = Math.min(l.perPc, l.cvs - pc * l.perPc);
    for (let r = 0; r * perRow < n; r++) {
      const base = pc * l.perPc + r * perRow, here = Math.min(perRow, n - r * perRow);
      const at = (i: number) => ({ bank: Math.floor(i / l.half), col: i % l.half, cv: base + i });
      e.maybeRefresh();
      e.push('ACTAB', { row: l.rowBase + r });
      for (let i = 0; i < here; i++) {
        const { bank, col, cv } = at(i);
        e.push('WR', { bank, col, addr: h.a + cv * 32 });
        e.push('WR', { bank, col: col + l.half, addr: h.b + cv * 32 });
      }
      for (let col = 0; col < Math.min(l.half, here); col++) e.push(op, { col, col2: col + l.half });
      for (let i = 0; i < here; i++) { const { bank, col, cv } = at(i); e.push('RD', { bank, col, addr: h.out + cv * 32 }); }
      e.push('PREAB');
    }
  }
}
