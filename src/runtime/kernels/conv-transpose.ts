// ConvTranspose: per (image, group) one matrix product Wᵀ·X gives every kernel tap's contribution
// ("columns"), which col2im scatter-adds into the output — the adjoint of Conv's im2col + product.
import { convTransposeAxis, readTransposeExtras, readWindow } from '../../ir/graph/ops/nn-window.ts';
import { defineKernel } from '../kernel.ts';
import { type FloatArray, allocLike, floatData, fromFloat, gemmAcc, guardSize, transpose2d } from './gemm-core.ts';
import { fail } from './util.ts';
import { type Geo, makeGeo, spatialRank, validRange } from './window.ts';

/**
 * Adds columns [channels·k, in] into `channels` output planes at y[yOff …]. In `g`, `inp` is the
 * input (X) size and `out` the output (Y) size: input position i and tap t land on i·s − p + t·d.
 */
function col2im(col: FloatArray, channels: number, g: Geo, y: FloatArray, yOff: number): void {
  const [inD, inH, inW] = g.inp, [outD, outH, outW] = g.out, [kD, kH, kW] = g.k;
  const [sD, sH, sW] = g.s, [dD, dH, dW] = g.d, [pD, pH, pW] = g.p;
  let src = 0;
  for (let c = 0; c < channels; c++) {
    const yc = yOff + c * g.outSize;
    for (let kd = 0; kd < kD; kd++) {
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          const offW = kw * dW - pW;
          const [iwLo, iwHi] = validRange(offW, sW, outW, inW);
          for (let id = 0; id < inD; id++) {
            const od = id * sD - pD + kd * dD;
            if (od < 0 || od >= outD) { src += inH * inW; continue; }
            for (let ih = 0; ih < inH; ih++, src += inW) {
              const oh = ih * sH - pH + kh * dH;
              if (oh < 0 || oh >= outH) continue;
              const row = yc + (od * outH + oh) * outW + offW;
              for (let iw = iwLo; iw < iwHi; iw++) y[row + iw * sW] += col[src + iw];
            }
          }
        }
      }
    }
  }
}

defineKernel('ConvTranspose', ([x, w, b], node) => {
  const r = spatialRank(node, x!.shape);
  if (w!.rank !== x!.rank) fail(node, `weight has rank ${w!.rank}, input has rank ${x!.rank}`);
  const [N, C] = x!.shape, group = node.attr.int('group', 1);
  if (!Number.isInteger(group) || group < 1) fail(node, `attribute "group" must be ≥ 1, got ${group}`);
  if (w!.shape[0] !== C || C % group !== 0) fail(node, `input has ${C} channels; the weight has ${w!.shape[0]}, group ${group}`);
  const cg = C / group, mg = w!.shape[1], M = mg * group;
  if (b && (b.rank !== 1 || b.size !== M)) fail(node, `bias must have shape [${M}], got [${b.shape}]`);
  const f = (msg: string): never => fail(node, msg);
  const win = readWindow(node.attr, r, w!.shape.slice(2), f);
  const extras = readTransposeExtras(node.attr, win, f);
  const spatial = x!.shape.slice(2);
  const geo = makeGeo(spatial, win, spatial.map((d, i) => convTransposeAxis(win, extras, i, d, f)));
  const outShape = [N, M, ...geo.out.slice(3 - r)];
  const X = floatData(x!), W = floatData(w!);
  const y = allocLike(X, guardSize(node, outShape));
  const depth = mg * geo.kSize, inSp = geo.inSize;
  const col = allocLike(X, guardSize(node, [depth, inSp], 'column buffer'));
  for (let g = 0; g < group; g++) {
    const wt = transpose2d(W, g * cg * depth, cg, depth); // [mg·k, cg]
    for (let n = 0; n < N; n++) {
      col.fill(0);
      gemmAcc(depth, inSp, cg, wt, 0, X, (n * C + g * cg) * inSp, col, 0);
      col2im(col, mg, geo, y, (n * M + g * mg) * geo.outSize);
    }
  }
  if (b) {
    const bd = floatData(b), sp = geo.outSize;
    for (let plane = 0; plane < N * M; plane++) {
      const v = bd[plane % M];
      for (let i = plane * sp; i < (plane + 1) * sp; i++) y[i] += v;
    }
  }
  return [fromFloat(x!.dtype, outShape, y)];
});
