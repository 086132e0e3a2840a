// MatMul / Gemm on the array: C = A·B with A streamed and B stationary (weights, or the second
// activation of an attention product). Constant B is pre-laid as [K × N] (f16 or int8) in DRAM;
// runtime operands are read through strided DMA patterns, so transposes cost DRAM requests, not copies.
import { BCAST, VF } from '../isa.ts';
import { emitAmax } from './quant.ts';
import type { Emitter } from './emitter.ts';
import { emitGemm, type GemmHooks, type OpDt } from './gemm.ts';
import type { GemmSchedule } from './schedule.ts';
import { type Requant, emitRequant, requantI8 } from './conv.ts';
import { emitEpilogueOps, type Epilogue } from './epilogue.ts';

/** One 2-D operand in DRAM: element (r, c) at addr + (r·sr + c·sc)·bytes. */
export interface Mat { readonly addr: number; readonly sr: number; readonly sc: number; readonly dt: 'f16' | 'i8' }

export interface MatmulOperands {
  M: number; N: number; K: number;
  a: Mat; b: Mat;
  /** Output [M × N] row-major f16. */
  y: number;
  /** f16 bias over N in DRAM, or -1. */
  bias: number;
  /** Multiplier applied when leaving the accumulator (alpha, and int8 constant-weight scale); f16
   *  operands of an int8 product are quantized with scales measured on the device (registers 0 and 1). */
  scale: number;
  opDt: OpDt;
  /** int8 per-column weight scales (f16, relative to `scale`) in DRAM, or -1. */
  colScale: number;
  /** QDQ int8: leave the accumulator through vec.requant, one table entry per output column. */
  rq?: Requant;
}

const bytes = (dt: 'f16' | 'i8') => (dt === 'i8' ? 1 : 2);

export function emitMatmul(e: Emitter, o: MatmulOperands, s: GemmSchedule, epi: Epilogue): void {
  const q = o.opDt === 'i8';
  const bias: number[] = [], qtmp: number[] = [], csc: number[] = [], tbl: number[] = [];
  const yEb = o.rq && requantI8(o.rq) ? 1 : 2;
  const load = (core: number, m: Mat, r0: number, rn: number, c0: number, cn: number, dst: number, reg: number) => {
    const src = m.addr + (r0 * m.sr + c0 * m.sc) * bytes(m.dt);
    const needQ = q && m.dt === 'f16';
    const at = needQ ? qtmp[core] : dst;
    e.load(core, m.dt, src, at, [cn, rn], [m.sc, m.sr]);
    if (needQ) e.vec(core, VF.QUANT, dst, at, rn, cn, { bcast: BCAST.reg, src1: reg });
  };
  const hooks: GemmHooks = {
    M: o.M, N: o.N, K: o.K, opDt: o.opDt,
    setup(core) {
      if (o.bias >= 0) { bias[core] = e.spad(core, o.N * 2); e.load(core, 'f16', o.bias, bias[core], [o.N], [1]); }
      if (o.colScale >= 0) { csc[core] = e.spad(core, o.N * 2); e.load(core, 'f16', o.colScale, csc[core], [o.N], [1]); }
      if (o.rq) { tbl[core] = e.spad(core, o.N * 16); e.load(core, 'i32', o.rq.table, tbl[core], [o.N * 4], [1]); }
      if (q) {
        qtmp[core] = e.spad(core, Math.max(s.kT * s.nT, Math.min(o.M, s.mChunk ?? o.M) * s.kT) * 2);
        if (o.a.dt === 'f16') emitAmax(e, core, 0, o.a.addr, [o.K, o.M], [o.a.sc, o.a.sr]);
        if (o.b.dt === 'f16') emitAmax(e, core, 1, o.b.addr, [o.N, o.K], [o.b.sc, o.b.sr]);
      }
    },
    loadA: (core, m, k, dst) => load(core, o.a, m.lo, m.n, k.lo, k.n, dst, 0),
    loadB: (core, k, n, dst) => load(core, o.b, k.lo, k.n, n.lo, n.n, dst, 1),
    epilogue(core, m, n, acc, out, tmp) {
      if (o.rq) {
        emitRequant(e, core, o.rq, acc, out, tmp, m.n, n.n, tbl[core] + n.lo * 16, false, epi,
          (src, dt) => e.store(core, dt, o.y + (m.lo * o.N + n.lo) * yEb, src, [n.n, m.n], [1, o.N]));
        return;
      }
      // int8: registers named in src1 (index+1 per nibble) hold the measured max of each f16 operand.
      const regs = q ? (o.a.dt === 'f16' ? 1 : 0) | (o.b.dt === 'f16' ? 2 << 4 : 0) : 0;
      e.vec(core, VF.MVOUT, out, acc, m.n, n.n, { imm0: o.scale, dt: q ? 'i32' : 'f32', ...(regs ? { bcast: BCAST.reg, src1: regs } : {}) });
      if (o.colScale >= 0) e.vec(core, VF.MUL, out, out, m.n, n.n, { src1: csc[core] + n.lo * 2, bcast: BCAST.col });
      if (o.bias >= 0) e.vec(core, VF.ADD, out, out, m.n, n.n, { src1: bias[core] + n.lo * 2, bcast: BCAST.col });
      emitEpilogueOps(e, core, epi, out, m.n, n.n);
      e.store(core, 'f16', o.y + (m.lo * o.N + n.lo) * 2, out, [n.n, m.n], [1, o.N]);
    },
  };
  emitGemm(e, hooks, s);
}
