// The weight-layout pass and the PIM schedule. A GEMV problem y[m,n] = Σ_k x[m,k]·W[n,k] puts output
// rows across banks (bank = processing unit) and the reduction along DRAM rows: each 32-byte column
// holds 16 consecutive k of one n, a DRAM row `columns` such vectors (a "chunk"). The input x is
// broadcast through each pseudo-channel's global buffer to all its banks, which is why every bank of
// one pseudo-channel must reduce over the same k range; `kSplit` instead spreads the reduction over
// groups of pseudo-channels whose fp32 partial sums the host adds. In the int8 mode a column holds 32
// k (bytes), so the same K takes half the DRAM rows (`E`, elements per column, is in the layout).
//
// The schedule is a small JSON value the tuner can search (`gemvSpace` enumerates it):
//   kSplit       pseudo-channel groups sharing each output row's reduction (divides the PC count)
//   rowsPerPass  output rows per bank accumulated together (× M ≤ accumulators); the input chunk in the
//                global buffer is reused across them, and they are read out once per pass
//   overlap      interleave the next input chunk's global-buffer writes with the current MACs
//   pcGroups     for a node with several GEMVs (batch × heads): split the pseudo-channels into this
//                many groups that run different GEMVs side by side (GEMV i in group i mod pcGroups)
import { TargetError } from '../../src/util/errors.ts';
import type { PimFormat } from './fp.ts';
import { banksPerPc, elemsPerColumn, pcCount, type PimConfig } from './presets.ts';

export interface GemvSchedule {
  readonly kSplit: number;
  readonly rowsPerPass: number;
  readonly overlap: boolean;
  readonly pcGroups: number;
  /**
   * Refresh: 'perBank' (default where the preset has REFPB) refreshes one bank at a time while the
   * others keep sweeping (codegen/refresh-pb.ts); 'allBank' stops every bank for REF.
   */
  readonly refresh?: 'perBank' | 'allBank';
}

/** Where a strided operand lives: element (i, j) is `input[off + i·s0 + j·s1]`. */
export interface Strided { readonly input: number; readonly off: number; readonly s0: number; readonly s1: number; readonly scale: number }

/** One GEMV (M ≤ accumulators rows of x against one resident matrix W[N,K]). */
export interface GemvProblem {
  readonly M: number; readonly N: number; readonly K: number;
  /** W(n, k). */
  readonly w: Strided;
  /** x(m, k). */
  readonly x: Strided;
  /** Accumulator initial value b(m, n), or none (zero). */
  readonly bias?: Strided;
  /** y(m, n) in the kernel's output, with `input` unused. */
  readonly y: Strided;
}

export interface GemvLayout {
  readonly schedule: GemvSchedule;
  /** First pseudo-channel of this GEMV's group. */
  readonly pcBase: number;
  /** Pseudo-channels of the group, per k-split part, banks per pseudo-channel, units per part. */
  readonly P: number; readonly Pp: number; readonly B: number; readonly G: number;
  /** Output rows per bank (slots), E-element column vectors of K, per split part, chunks per part. */
  readonly S: number; readonly Kc: number; readonly Kcp: number; readonly J: number;
  /** Elements per column vector: 16 (fp16/bf16) or 32 (int8). */
  readonly E: number;
  readonly rowBase: number;
}

/** The layout of GEMV number `index` of a node. */
export function gemvLayout(cfg: PimConfig, p: GemvProblem, s: GemvSchedule, rowBase: number, index = 0, fmt: PimFormat = 'fp16'): GemvLayout {
  const all = pcCount(cfg), B = banksPerPc(cfg);
  if (s.pcGroups < 1 || all % s.pcGroups !== 0) throw new TargetError(`PIM schedule: pcGroups ${s.pcGroups} does not divide the ${all} pseudo-channels of ${cfg.name}`);
  const P = all / s.pcGroups, pcBase = (index % s.pcGroups) * P;
  if (P % s.kSplit !== 0) throw new TargetError(`PIM schedule: kSplit ${s.kSplit} does not divide the ${P} pseudo-channels of a group`);
  if (s.rowsPerPass < 1 || s.rowsPerPass * p.M > cfg.accumulators) {
    throw new TargetError(`PIM schedule: rowsPerPass ${s.rowsPerPass} × M ${p.M} exceeds the ${cfg.accumulators} accumulators of ${cfg.name}`);
  }
  const Pp = P / s.kSplit, G = Pp * B, S = Math.ceil(p.N / G);
  const E = elemsPerColumn(cfg, fmt);
  const Kc = Math.ceil(p.K / E), Kcp = Math.ceil(Kc / s.kSplit), J = Math.ceil(Kcp / cfg.columns);
  if (rowBase + S * J > cfg.rows) throw new TargetError(`the resident matrices need ${rowBase + S * J} DRAM rows per bank, ${cfg.name} has ${cfg.rows}`);
  return { schedule: s, pcBase, P, Pp, B, G, S, Kc, Kcp, J, E, rowBase };
}

/** Where W(n, k) lives; `word` is the element's index in the row (a 16-bit word, or a byte in int8). */
export function placeOf(cfg: PimConfig, l: GemvLayout, n: number, k: number): { pc: number; bank: number; row: number; word: number } {
  const g = n % l.G, s = Math.floor(n / l.G);
  const cv = Math.floor(k / l.E), part = Math.floor(cv / l.Kcp), cvl = cv - part * l.Kcp;
  const j = Math.floor(cvl / cfg.columns), col = cvl % cfg.columns;
  return { pc: l.pcBase + part * l.Pp + Math.floor(g / l.B), bank: g % l.B, row: l.rowBase + s * l.J + j, word: col * l.E + (k % l.E) };
}

const divisors = (n: number, max: number): number[] => Array.from({ length: Math.min(n, max) }, (_, i) => i + 1).filter((d) => n % d === 0);

/** The valid schedules of a node's `count` GEMVs of one shape, for the tuner. */
export function gemvSpace(cfg: PimConfig, p: GemvProblem, count = 1, fmt: PimFormat = 'fp16'): GemvSchedule[] {
  const out: GemvSchedule[] = [];
  for (const pcGroups of divisors(pcCount(cfg), count)) {
    for (const kSplit of divisors(pcCount(cfg) / pcGroups, Math.ceil(p.K / elemsPerColumn(cfg, fmt)))) {
      for (let r = 1; r * p.M <= cfg.accumulators; r++) for (const overlap of [true, false]) out.push({ kSplit, rowsPerPass: r, overlap, pcGroups });
    }
  }
  return out;
}

/**
 * The default: split the reduction over pseudo-channels the output rows would leave idle (while each
 * part keeps at least one full DRAM row of k), and accumulate as many rows per pass as fit.
 */
export function defaultGemvSchedule(cfg: PimConfig, p: GemvProblem, count = 1, fmt: PimFormat = 'fp16'): GemvSchedule {
  const B = banksPerPc(cfg);
  const keeps = (pcs: number) => pcs * B >= Math.min(p.N, pcCount(cfg) * B); // still one bank per output row
  let pcGroups = 1;
  while (pcCount(cfg) % (pcGroups * 2) === 0 && pcGroups * 2 <= count && keeps(pcCount(cfg) / (pcGroups * 2))) pcGroups *= 2;
  const P = pcCount(cfg) / pcGroups;
  const chunks = Math.ceil(p.K / (elemsPerColumn(cfg, fmt) * cfg.columns));
  let kSplit = 1;
  while (P % (kSplit * 2) === 0 && keeps(P / (kSplit * 2)) && kSplit * 2 <= chunks) kSplit *= 2;
  return { kSplit, rowsPerPass: Math.floor(cfg.accumulators / p.M), overlap: true, pcGroups };
}

export function parseGemvSchedule(v: unknown): GemvSchedule {
  const o = v as Record<string, unknown>;
  const int = (x: unknown) => Number.isInteger(x) && (x as number) >= 1;
  if (typeof o !== 'object' || o === null || !int(o.kSplit) || !int(o.rowsPerPass) || typeof o.overlap !== 'boolean' || !int(o.pcGroups)) {
    throw new TargetError(`a PIM GEMV schedule is {"kSplit": int, "rowsPerPass": int, "overlap": bool, "pcGroups": int}, got ${JSON.stringify(v)}`);
  }
  if (o.refresh !== undefined && o.refresh !== 'perBank' && o.refresh !== 'allBank') {
    throw new TargetError(`a PIM GEMV schedule's "refresh" is "perBank" or "allBank", got ${JSON.stringify(o.refresh)}`);
  }
  const s = { kSplit: o.kSplit as number, rowsPerPass: o.rowsPerPass as number, overlap: o.overlap as boolean, pcGroups: o.pcGroups as number };
  return o.refresh === undefined ? s : { ...s, refresh: o.refresh as 'perBank' | 'allBank' };
}
