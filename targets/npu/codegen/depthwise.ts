// Depthwise convolution (one input channel per group) on the vector unit: one channel's window
// columns (im2col, transposed to pixels × kh·kw) times its kh·kw weights (column broadcast), summed
// along rows. On the array each channel would be its own 1-row GEMM paying a preload per tile.
import { BCAST, VF } from '../isa.ts';
import type { Emitter } from './emitter.ts';
import type { ConvGeom } from './conv.ts';
import { emitEpilogueOps, type Epilogue } from './epilogue.ts';
import type { OutQuant } from './vector.ts';

export interface DepthwiseOperands {
  x: number; y: number; w: number; bias: number; residual: number;
  /** The input is int8 in DRAM (QDQ): dequantized on chip with this scale and zero point. */
  xq?: { readonly s: number; readonly zp: number };
  /** A fused output QuantizeLinear: int8 out. */
  q?: OutQuant;
}

/** Channels per scratchpad chunk, or 0 when one channel does not fit. */
export function depthwiseChunk(e: Emitter | { cfg: Emitter['cfg'] }, g: ConvGeom): number {
  const P = g.OH * g.OW, khw = g.kh * g.kw, plane = g.IH * g.IW;
  if (P > 65535 || khw > 65535) return 0;
  const fixed = P * khw * 2 * 2;
  const perChannel = (plane + 2 * P + khw + 2) * 2 * 2;
  const room = e.cfg.spadBytes * 0.8 - fixed;
  return room < perChannel ? 0 : Math.min(g.C, Math.floor(room / perChannel), 65535);
}

/** Whether the vector unit beats per-channel array GEMMs (each paying a cold preload per tile). */
export function depthwiseOnVector(cfg: Emitter['cfg'], g: ConvGeom): boolean {
  const P = g.OH * g.OW, khw = g.kh * g.kw, L = cfg.latency;
  const vector = Math.ceil((P * khw) / cfg.lanes) * (L.add + L.mul + L.addTree);
  const array = Math.ceil(P / cfg.W) * (3 * cfg.H - 1 + 4);
  return vector < array;
}

export function emitDepthwise(e: Emitter, g: ConvGeom, o: DepthwiseOperands, epi: Epilogue): void {
  const P = g.OH * g.OW, khw = g.kh * g.kw, plane = g.IH * g.IW;
  const cc = Math.max(1, Math.min(depthwiseChunk(e, g), Math.ceil(g.C / e.cfg.cores)));
  let t = 0;
  for (let b = 0; b < g.N; b++) {
    for (let c0 = 0; c0 < g.C; c0 += cc, t++) {
      const core = t % e.cfg.cores, n = Math.min(cc, g.C - c0);
      e.scoped(() => {
        e.cfgConv(core, { c: n, ih: g.IH, iw: g.IW, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw, pt: g.pt, pl: g.pl, oh: g.OH, ow: g.OW });
        const patch = e.spad(core, n * plane * 2), w = e.spad(core, n * khw * 2), out = e.spad(core, n * P * 2);
        const cols = [e.spad(core, P * khw * 2), e.spad(core, P * khw * 2)];
        if (o.xq) {
          const raw = e.spad(core, n * plane);
          e.load(core, 'i8', o.x + (b * g.C + c0) * plane, raw, [g.IW, g.IH, n], [1, g.IW, plane]);
          e.vec(core, VF.DEQUANT, patch, raw, n * g.IH, g.IW, { dt: 'i8', imm0: o.xq.s, imm1: o.xq.zp });
        } else e.load(core, 'f16', o.x + (b * g.C + c0) * plane * 2, patch, [g.IW, g.IH, n], [1, g.IW, plane]);
        e.load(core, 'f16', o.w + c0 * khw * 2, w, [khw, n], [1, khw]);
        for (let j = 0; j < n; j++) {
          const col = cols[j & 1];
          e.im2col(core, col, patch, j * khw, khw, 0, P, 0, g.IH, n, true);
          e.vec(core, VF.MUL, col, col, P, khw, { src1: w + j * khw * 2, bcast: BCAST.col });
          e.vec(core, VF.RSUM, out + j * P * 2, col, P, khw);
        }
        if (o.bias >= 0) {
          const bias = e.spad(core, n * 2);
          e.load(core, 'f16', o.bias + c0 * 2, bias, [n], [1]);
          e.vec(core, VF.ADD, out, out, n, P, { src1: bias, bcast: BCAST.row });
        }
        if (o.residual >= 0) {
          const r = e.spad(core, n * P * 2);
          e.load(core, 'f16', o.residual + (b * g.C + c0) * P * 2, r, [P, n], [1, P]);
          e.vec(core, VF.ADD, out, out, n, P, { src1: r });
        }
        emitEpilogueOps(e, core, epi, out, n, P);
        // Counts are 16-bit: channels × pixels as two dimensions (P ≤ 65535 by depthwiseChunk).
        if (o.q) {
          e.vec(core, VF.QUANT, patch, out, n, P, { imm0: o.q.inv, imm1: o.q.zp });
          e.store(core, 'i8', o.y + (b * g.C + c0) * P, patch, [P, n], [1, P]);
        } else e.store(core, 'f16', o.y + (b * g.C + c0) * P * 2, out, [P, n], [1, P]);
      });
    }
  }
}
