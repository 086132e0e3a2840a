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
  for (let b = 0; b < g.N; b++) {
    for (let gi = 0; gi < g.group; gi++) {
      const xBase = o.x + ((b * g.C + gi * Cg) * HW) * 2;
      const yBase = o.y + ((b * g.Co + gi * Mg) * P) * 2;
      const wBase = o.w + gi * Mg * Kg * (q ? 1 : 2);
      const bias: number[] = [], qtmp: number[] = [], wsc: number[] = [];
      const patch = new Map<number, { at: number; y0: number; prows: number }>();
      const rowsFor = (np: number) => Math.min(g.IH, Math.ceil(np / g.OW) * g.sh + (g.kh - 1) * g.dh + 1);
      const hooks: GemmHooks = {
        M: weightSt ? P : Mg, N: weightSt ? Mg : P, K: Kg, opDt: o.opDt,
        chunkBytes: (m, n) => (direct ? 0 : Cg * rowsFor(weightSt ? m.n : n.n) * g.IW * 2),
        setup(core) {
          if (o.bias >= 0) { bias[core] = e.spad(core, g.Co * 2); e.load(core, 'f16', o.bias + gi * Mg * 2, bias[core], [Mg], [1]); }
          if (o.wsc >= 0) { wsc[core] = e.spad(core, g.Co * 2); e.load(core, 'f16', o.wsc + gi * Mg * 2, wsc[core], [Mg], [1]); }
          if (q) {
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
          const at = e.spad(core, Math.max(1, Cg * prows * g.IW) * 2);
          if (prows > 0) e.load(core, 'f16', xBase + y0 * g.IW * 2, at, [g.IW, prows, Cg], [1, g.IW, HW]);
          patch.set(core, { at, y0, prows });
        },
        loadA(core, m, k, dst) {
          if (!weightSt) { e.load(core, o.opDt, wBase + (m.lo * Kg + k.lo) * (q ? 1 : 2), dst, [k.n, m.n], [1, Kg]); return; }
          im2col(core, k, m, dst, true);
        },
        loadB(core, k, n, dst) {
          if (weightSt) { e.load(core, o.opDt, wBase + (k.lo * Mg + n.lo) * (q ? 1 : 2), dst, [n.n, k.n], [1, Mg]); return; }
          if (direct) {
            const at = q ? qtmp[core] : dst;
            e.load(core, 'f16', xBase + (k.lo * HW + n.lo) * 2, at, [n.n, k.n], [1, HW]);
            if (q) e.vec(core, VF.QUANT, dst, at, k.n, n.n, { bcast: BCAST.reg, src1: 0 });
            return;
          }
          im2col(core, k, n, dst, false);
        },
        epilogue(core, m, n, acc, out, tmp) {
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
        const at = q ? qtmp[core] : dst;
        e.im2col(core, at, p.at, k.lo, k.n, px.lo, px.n, p.y0, p.prows, Cg, transposed);
        if (q) e.vec(core, VF.QUANT, dst, at, transposed ? px.n : k.n, transposed ? k.n : px.n, { bcast: BCAST.reg, src1: 0 });
      };
      e.scoped(() => emitGemm(e, hooks, s));
    }
  }
}
