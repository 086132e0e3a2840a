// The tiled GEMM every array layer goes through: C[M×N] = A[M×K] · B[K×N], B stationary in the array
// (k ≤ H rows, n ≤ W columns), A streamed m rows at a time. Per core: a contiguous share of the split
// dimension; per chunk (what the accumulator holds): for each k-tile, load A once, then for each n-tile
// load B, preload it and stream A through it. Operand buffers alternate between two slots so the DMA of
// the next tile overlaps the array working on this one (the simulator's scoreboard finds the overlap).
import type { Emitter } from './emitter.ts';
import { SpaceError } from './emitter.ts';
import type { GemmSchedule } from './schedule.ts';

export type OpDt = 'f16' | 'i8';
export interface Range { readonly lo: number; readonly n: number }

export interface GemmHooks {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly opDt: OpDt;
  /** Scratchpad a chunk needs besides the operand and output slots (e.g. an im2col input patch). */
  chunkBytes?(m: Range, n: Range): number;
  /** Once per core before its chunks (e.g. load the bias vector). */
  setup?(core: number): void;
  /** Once per chunk, before its tiles (e.g. load the input patch). */
  prepare?(core: number, m: Range, n: Range): void;
  /** Write A[m, k] (opDt, row-major, row stride k.n) at `dst`. */
  loadA(core: number, m: Range, k: Range, dst: number): void;
  /** Write B[k, n] (opDt, row-major, row stride n.n) at `dst`. */
  loadB(core: number, k: Range, n: Range, dst: number): void;
  /** Turn acc rows [m.n × n.n] (row stride n.n) into output; `out`/`tmp` are f16 buffers of mChunk·nT. */
  epilogue(core: number, m: Range, n: Range, acc: number, out: number, tmp: number): void;
}

const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Splits [0, total) into `parts` contiguous ranges, multiples of `align` where possible. */
export function splitRange(total: number, parts: number, align: number): Range[] {
  const units = ceil(total, align), per = ceil(units, parts);
  const out: Range[] = [];
  for (let u = 0; u < units; u += per) {
    const lo = u * align;
    out.push({ lo, n: Math.min(total, (u + per) * align) - lo });
  }
  return out;
}

function chunks(r: Range, size: number): Range[] {
  const out: Range[] = [];
  for (let lo = r.lo; lo < r.lo + r.n; lo += size) out.push({ lo, n: Math.min(size, r.lo + r.n - lo) });
  return out;
}

/** Chunk sizes that fit the accumulator (two chunks) and the scratchpad. */
function chunkSizes(e: Emitter, h: GemmHooks, s: GemmSchedule, mCore: number, nCore: number): { mC: number; nC: number } {
  const eb = h.opDt === 'i8' ? 1 : 2;
  let mC = Math.min(mCore, s.mChunk ?? mCore), nC = Math.min(nCore, s.nChunk ?? nCore);
  for (;;) {
    const acc = 2 * mC * ceil(nC, s.nT) * s.nT * 4;
    const spad = 2 * mC * s.kT * eb + 2 * s.kT * s.nT * eb + 2 * mC * s.nT * 2 * 2 + (h.chunkBytes?.({ lo: 0, n: mC }, { lo: 0, n: nC }) ?? 0) + 4096;
    if (acc <= e.cfg.accBytes && spad <= e.cfg.spadBytes * 0.9) return { mC, nC };
    if (mC === 1 && nC <= s.nT) throw new SpaceError(`a ${s.kT}x${s.nT} GEMM tile does not fit the scratchpad`);
    if (nC > s.nT && (nC >= mC || mC === 1)) nC = Math.max(s.nT, Math.floor(nC / 2 / s.nT) * s.nT);
    else mC = Math.max(1, Math.floor(mC / 2));
  }
}

export function emitGemm(e: Emitter, h: GemmHooks, s: GemmSchedule): void {
  const cores = e.cfg.cores;
  const splitN = s.split === 'n';
  const shares = splitN ? splitRange(h.N, cores, s.nT) : splitRange(h.M, cores, 1);
  const eb = h.opDt === 'i8' ? 1 : 2;
  shares.forEach((share, core) => {
    const mAll: Range = splitN ? { lo: 0, n: h.M } : share, nAll: Range = splitN ? share : { lo: 0, n: h.N };
    const { mC, nC } = chunkSizes(e, h, s, mAll.n, nAll.n);
    h.setup?.(core);
    const aSlots = [e.spad(core, mC * s.kT * eb), e.spad(core, mC * s.kT * eb)];
    const bSlots = [e.spad(core, s.kT * s.nT * eb), e.spad(core, s.kT * s.nT * eb)];
    const outSlots = [e.spad(core, mC * s.nT * 2), e.spad(core, mC * s.nT * 2)];
    const tmpSlots = [e.spad(core, mC * s.nT * 2), e.spad(core, mC * s.nT * 2)];
    const nTilesMax = ceil(nC, s.nT);
    const accSlots = [e.acc(core, mC * nTilesMax * s.nT * 4), e.acc(core, mC * nTilesMax * s.nT * 4)];
    let ai = 0, bi = 0, ci = 0, oi = 0;
    for (const nr of chunks(nAll, nC)) {
      for (const mr of chunks(mAll, mC)) {
        const mark = e.spadMark(core);
        h.prepare?.(core, mr, nr);
        const acc = accSlots[ci++ & 1];
        const nTiles = chunks(nr, s.nT);
        for (const kr of chunks({ lo: 0, n: h.K }, s.kT)) {
          const a = aSlots[ai++ & 1];
          h.loadA(core, mr, kr, a);
          nTiles.forEach((nt, j) => {
            const b = bSlots[bi++ & 1];
            h.loadB(core, kr, nt, b);
            e.preload(core, h.opDt, b, kr.n, nt.n, nt.n);
            e.compute(core, h.opDt, a, acc + j * mC * s.nT * 4, mr.n, kr.n, kr.n, nt.n, kr.lo > 0);
          });
        }
        nTiles.forEach((nt, j) => {
          const k = oi++ & 1;
          h.epilogue(core, mr, nt, acc + j * mC * s.nT * 4, outSlots[k], tmpSlots[k]);
        });
        e.spadRelease(core, mark);
      }
    }
  });
}
