// Conv (1-D/2-D, groups, batch norm folded in, activation fused) as array GEMMs, one per image and group.
// 'act' stationary: A = weights [Cout × Cin·kh·kw] streamed, B = input columns (im2col on the vector unit
// from an input patch in the scratchpad, or the input itself for 1×1 stride-1 'direct'), C = [Cout × pixels],
// which is NCHW. 'weight' stationary: A = transposed im2col rows [pixels × K], B = pre-transposed
// weights, C = [pixels × Cout], transposed on the vector unit before the store.
import { VF, BCAST } from '../isa.ts';
import { emitAmax } from './quant.ts';
import type { Emitter } from './emitter.ts';
import { emitGemm, type GemmHooks, type OpDt, type Range } from './gemm.ts';
import type { GemmSchedule } from './schedule.ts';
import type { Epilogue } from './epilogue.ts';
import { emitEpilogueOps } from './epilogue.ts';

export interface ConvGeom {
  N: number; C: number; IH: number; IW: number; Co: number; OH: number; OW: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; group: number;
}

export interface ConvOperands {
  x: number; y: number;
  /** Per group: weights [Mg × Kg] row-major ('act') or transposed [Kg × Mg] ('weight'), in opDt. */
  w: number;
  /** f16 bias [Co] (DRAM) or -1. */
  bias: number;
  opDt: OpDt;
  /** int8: the weights' (largest per-channel) scale; the activation scale is measured on the device
   *  (vec.amax into scale register 0 before the layer's tiles). */
  sw: number;
  /** int8 per-output-channel weight scales (f16, relative to sw) in DRAM, or -1. */
  wsc: number;
  /** f16 tensor shaped like the output, added before the activation (fused residual), or -1. */
  residual: number;
  /** The input is int8 in DRAM with this zero point (a QDQ graph): operands are read as they are,
   *  im2col pads with the zero point, and no scale is measured. */
  xZp?: number;
  /** Leave the accumulator through vec.requant (per-channel table, see qdq.ts) instead of mvout. */
  rq?: Requant;
}

/** vec.requant epilogue: `table` in DRAM holds four i32 per output channel; i8 output with zero
 *  point `zp`, or f16 output (then the epilogue's activations follow in f16). `grid`: round and clamp
 *  to int8 first, then dequantize with this scale (a QuantizeLinear → DequantizeLinear pair), the
 *  activations following in f16; `post`: quantize the result to int8 (vec.quant) before the store. */
export interface Requant {
  readonly table: number; readonly f16: boolean; readonly zp: number;
  readonly grid?: number; readonly post?: { readonly inv: number; readonly zp: number };
}

/** Whether a requant epilogue stores int8. */
export const requantI8 = (r: Requant) => !!r.post || (!r.f16 && r.grid === undefined);

/** The requant epilogue on one tile: accumulator → (int8 | f16 [+ activations] [→ int8]) → DRAM. */
export function emitRequant(e: Emitter, core: number, r: Requant, acc: number, out: number, tmp: number, rows: number, cols: number,
  table: number, channelRows: boolean, epi: Epilogue, store: (src: number, dt: 'i8' | 'f16') => void, beforeActs?: () => void): void {
  const grid = r.grid !== undefined, f16 = r.f16 || grid;
  e.vec(core, VF.REQUANT, out, acc, rows, cols, { dt: 'i32', src1: table, bcast: channelRows ? BCAST.row : BCAST.col, imm0: r.zp, imm1: r.grid ?? 0, flags: (f16 ? 1 : 0) | (grid ? 2 : 0) });
  if (!f16) { store(out, 'i8'); return; }
  beforeActs?.();
  emitEpilogueOps(e, core, epi, out, rows, cols);
  if (!r.post) { store(out, 'f16'); return; }
  e.vec(core, VF.QUANT, tmp, out, rows, cols, { imm0: r.post.inv, imm1: r.post.zp });
  store(tmp, 'i8');
}

export function isDirect(g: ConvGeom): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.OH === g.IH && g.OW === g.IW;
}

export function emitConv(e: Emitter, g: ConvGeom, o: ConvOperands, s: GemmSchedule, epi: Epilogue): void {
  const Cg = g.C / g.group, Mg = g.Co / g.group, Kg = Cg * g.kh * g.kw, P = g.OH * g.OW, HW = g.IH * g.IW;
  const weightSt = s.stationary === 'weight';
  const direct = !weightSt && s.conv === 'direct' && isDirect(g);
  const q = o.opDt === 'i8';
  const scale = q ? o.sw : 1;
  const xi8 = o.xZp !== undefined, xEb = xi8 ? 1 : 2, yEb = o.rq && requantI8(o.rq) ? 1 : 2;
  if ((xi8 || o.rq) && weightSt) throw new Error('int8 QDQ convolutions run input-stationary');
  for (let b = 0; b < g.N; b++) {
    for (let gi = 0; gi < g.group; gi++) {
      const xBase = o.x + ((b * g.C + gi * Cg) * HW) * xEb;
      const yBase = o.y + ((b * g.Co + gi * Mg) * P) * yEb;
      const wBase = o.w + gi * Mg * Kg * (q ? 1 : 2);
      const bias: number[] = [], qtmp: number[] = [], wsc: number[] = [], tbl: number[] = [];
      const patch = new Map<number, { at: number; y0: number; prows: number }>();
      const rowsFor = (np: number) => Math.min(g.IH, Math.ceil(np / g.OW) * g.sh + (g.kh - 1) * g.dh + 1);
      const hooks: GemmHooks = {
        M: weightSt ? P : Mg, N: weightSt ? Mg : P, K: Kg, opDt: o.opDt,
        chunkBytes: (m, n) => (direct ? 0 : Cg * rowsFor(weightSt ? m.n : n.n) * g.IW * 2),
        setup(core) {
          if (o.bias >= 0) { bias[core] = e.spad(core, g.Co * 2); e.load(core, 'f16', o.bias + gi * Mg * 2, bias[core], [Mg], [1]); }
          if (o.wsc >= 0) { wsc[core] = e.spad(core, g.Co * 2); e.load(core, 'f16', o.wsc + gi * Mg * 2, wsc[core], [Mg], [1]); }
          if (o.rq) { tbl[core] = e.spad(core, Mg * 16); e.load(core, 'i32', o.rq.table + gi * Mg * 16, tbl[core], [Mg * 4], [1]); }
          if (q && !xi8) {
            qtmp[core] = e.spad(core, Math.max(s.kT * s.nT, Math.min(weightSt ? P : Mg, 65535) * s.kT) * 2);
            emitAmax(e, core, 0, xBase, [Cg * HW], [1]);
          }
          if (!direct) e.cfgConv(core, { c: Cg, ih: g.IH, iw: g.IW, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw, pt: g.pt, pl: g.pl, oh: g.OH, ow: g.OW });
        },
        prepare(core, m, n) {
          if (direct) return;
          const px = weightSt ? m : n;
          const r0 = Math.floor(px.lo / g.OW), r1 = Math.floor((px.lo + px.n - 1) / g.OW);
          const y0 = Math.max(0, r0 * g.sh - g.pt), y1 = Math.min(g.IH - 1, r1 * g.sh - g.pt + (g.kh - 1) * g.dh);
          const prows = Math.max(0, y1 - y0 + 1);
          const at = e.spad(core, Math.max(1, Cg * prows * g.IW) * xEb);
          if (prows > 0) e.load(core, xi8 ? 'i8' : 'f16', xBase + y0 * g.IW * xEb, at, [g.IW, prows, Cg], [1, g.IW, HW]);
          patch.set(core, { at, y0, prows });
        },
        loadA(core, m, k, dst) {
          if (!weightSt) { e.load(core, o.opDt, wBase + (m.lo * Kg + k.lo) * (q ? 1 : 2), dst, [k.n, m.n], [1, Kg]); return; }
          im2col(core, k, m, dst, true);
        },
        loadB(core, k, n, dst) {
          if (weightSt) { e.load(core, o.opDt, wBase + (k.lo * Mg + n.lo) * (q ? 1 : 2), dst, [n.n, k.n], [1, Mg]); return; }
          if (direct && xi8) { e.load(core, 'i8', xBase + k.lo * HW + n.lo, dst, [n.n, k.n], [1, HW]); return; }
          if (direct) {
            const at = q ? qtmp[core] : dst;
            e.load(core, 'f16', xBase + (k.lo * HW + n.lo) * 2, at, [n.n, k.n], [1, HW]);
            if (q) e.vec(core, VF.QUANT, dst, at, k.n, n.n, { bcast: BCAST.reg, src1: 0 });
            return;
          }
          im2col(core, k, n, dst, false);
        },
        epilogue(core, m, n, acc, out, tmp) {
          if (o.rq) {
            // A fused residual (f16 output only) is added after the requant, before the activations.
            const res = o.residual < 0 ? undefined : () => {
              e.load(core, 'f16', o.residual + ((b * g.Co + gi * Mg + m.lo) * P + n.lo) * 2, tmp, [n.n, m.n], [1, P]);
              e.vec(core, VF.ADD, out, out, m.n, n.n, { src1: tmp });
            };
            emitRequant(e, core, o.rq, acc, out, tmp, m.n, n.n, tbl[core] + m.lo * 16, true, epi,
              (src, dt) => e.store(core, dt, yBase + (m.lo * P + n.lo) * yEb, src, [n.n, m.n], [1, P]), res);
            return;
          }
          e.vec(core, VF.MVOUT, weightSt ? tmp : out, acc, m.n, n.n, { imm0: scale, dt: q ? 'i32' : 'f32', ...(q ? { bcast: BCAST.reg, src1: 1 } : {}) });
          const [co, px] = weightSt ? [n, m] : [m, n];
          if (weightSt) e.vec(core, VF.TRANSPOSE, out, tmp, m.n, n.n);
          if (o.wsc >= 0) e.vec(core, VF.MUL, out, out, co.n, px.n, { src1: wsc[core] + co.lo * 2, bcast: BCAST.row });
          if (o.bias >= 0) e.vec(core, VF.ADD, out, out, co.n, px.n, { src1: bias[core] + co.lo * 2, bcast: BCAST.row });
          if (o.residual >= 0) {
            e.load(core, 'f16', o.residual + ((b * g.Co + gi * Mg + co.lo) * P + px.lo) * 2, tmp, [px.n, co.n], [1, P]);
            e.vec(core, VF.ADD, out, out, co.n, px.n, { src1: tmp });
          }
          emitEpilogueOps(e, core, epi, out, co.n, px.n);
          e.store(core, 'f16', yBase + (co.lo * P + px.lo) * 2, out, [px.n, co.n], [1, P]);
        },
      };
      const im2col = (core: number, k: Range, px: Range, dst: number, transposed: boolean) => {
        const p = patch.get(core)!;
        if (xi8) { e.im2col(core, dst, p.at, k.lo, k.n, px.lo, px.n, p.y0, p.prows, Cg, transposed, 'i8', o.xZp); return; }
        const at = q ? qtmp[core] : dst;
        e.im2col(core, at, p.at, k.lo, k.n, px.lo, px.n, p.y0, p.prows, Cg, transposed);
        if (q) e.vec(core, VF.QUANT, dst, at, transposed ? px.n : k.n, transposed ? k.n : px.n, { bcast: BCAST.reg, src1: 0 });
      };
      e.scoped(() => emitGemm(e, hooks, s));
    }
  }
}
