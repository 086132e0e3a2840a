// Reference kernel of QLinearConv (1-D to 3-D, groups, dilations, pads/auto_pad) as im2col + GEMM on
// zero-point-adjusted values: products accumulate in int32 per output channel, then requantize per
// channel (quant-util.ts). Padding contributes nothing, as if padded with the input's zero point.
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { convGeometry, type ConvGeometry } from '../../ir/graph/ops/quant-conv.ts';
import { convAxis } from '../../ir/graph/ops/nn-window.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { MAX_OUTPUT, multiplier, numbers, requantize, scalar } from './quant-util.ts';
import { fail } from './util.ts';

/** Spatial geometry padded to three axes (depth, height, width) so one loop nest serves 1-D to 3-D. */
interface Geo3 { in: number[]; out: number[]; k: number[]; s: number[]; d: number[]; pad: number[] }

function geometry3(node: KernelNode, g: ConvGeometry, spatial: readonly number[]): Geo3 {
  if (spatial.length > 3) fail(node, `${spatial.length}-D convolution is not supported (1-D to 3-D)`);
  const axes = spatial.map((n, i) => convAxis(g, i, n, (m) => fail(node, m)));
  const lead = 3 - spatial.length;
  const pad3 = (v: readonly number[], fill: number) => [...new Array<number>(lead).fill(fill), ...v];
  return {
    in: pad3(spatial, 1), out: pad3(axes.map((a) => a.out), 1), k: pad3(g.kernel, 1),
    s: pad3(g.strides, 1), d: pad3(g.dilations, 1), pad: pad3(axes.map((a) => a.head), 0),
  };
}

/** Elements of one im2col chunk; larger outputs are processed a few output rows at a time. */
const CHUNK = 1 << 22;

/**
 * im2col of input channels [c0, c0 + Cg) for output rows [r0, r1) (a row is one (od, oh) pair):
 * col[(c, kd, kh, kw), (r − r0)·OW + ow] = x at the input position, or 0 in the padding.
 */
function im2col(col: Int32Array, x: Int32Array, xOff: number, Cg: number, r0: number, r1: number, g: Geo3): void {
  const [D, H, W] = g.in, [, OH, OW] = g.out, [KD, KH, KW] = g.k, [sd, sh, sw] = g.s, [dd, dh, dw] = g.d, [pd, ph, pw] = g.pad;
  let dst = 0;
  for (let c = 0; c < Cg; c++) {
    const xc = xOff + c * D * H * W;
    for (let kd = 0; kd < KD; kd++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      for (let r = r0; r < r1; r++, dst += OW) {
        const id = Math.floor(r / OH) * sd - pd + kd * dd, ih = (r % OH) * sh - ph + kh * dh;
        if (id < 0 || id >= D || ih < 0 || ih >= H) { col.fill(0, dst, dst + OW); continue; }
        const row = xc + (id * H + ih) * W;
        for (let ow = 0, iw = kw * dw - pw; ow < OW; ow++, iw += sw) col[dst + ow] = iw >= 0 && iw < W ? x[row + iw] : 0;
      }
    }
  }
}

/** acc[j·len + p] += Σk w[(m + j)·K + k] · col[k·len + p] for `count` output channels m… of one chunk. */
function gemm(acc: Int32Array, w: Int32Array, m: number, count: number, K: number, col: Int32Array, len: number): void {
  if (count === 4) { gemm4(acc, w, m * K, K, col, len); return; }
  for (let j = 0; j < count; j++) {
    const wOff = (m + j) * K, o = j * len;
    for (let k = 0; k < K; k++) {
      const wv = w[wOff + k], base = k * len;
      if (wv !== 0) for (let p = 0; p < len; p++) acc[o + p] += wv * col[base + p];
    }
  }
}

/** Four output channels per pass, so each im2col element is loaded once for four products. */
function gemm4(acc: Int32Array, w: Int32Array, wOff: number, K: number, col: Int32Array, len: number): void {
  const l2 = 2 * len, l3 = 3 * len;
  for (let k = 0; k < K; k++) {
    const w0 = w[wOff + k], w1 = w[wOff + K + k], w2 = w[wOff + 2 * K + k], w3 = w[wOff + 3 * K + k], base = k * len;
    for (let p = 0; p < len; p++) {
      const c = col[base + p];
      acc[p] += w0 * c; acc[len + p] += w1 * c; acc[l2 + p] += w2 * c; acc[l3 + p] += w3 * c;
    }
  }
}

function minus(t: Tensor, zp: ArrayLike<number>, blockLen: number): Int32Array {
  const v = numbers(t), out = new Int32Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = v[i] - zp[zp.length === 1 ? 0 : Math.floor(i / blockLen)];
  return out;
}

defineKernel('QLinearConv', ([x, xs, xzp, w, ws, wzp, ys, yzp, bias], node) => {
  if (!x || !w || !yzp || !ws) fail(node, 'needs x, w, w_scale and y_zero_point');
  const g = convGeometry(node.attr, w.shape, x.rank - 2, (m) => fail(node, m));
  const [N, C] = x.shape, [M, Cg] = w.shape;
  if (C !== Cg * g.group || M % g.group !== 0) fail(node, `channels do not match: x [${x.shape}], w [${w.shape}], group ${g.group}`);
  const geo = geometry3(node, g, x.shape.slice(2));
  const inSize = sizeOf(geo.in), outSize = sizeOf(geo.out), kSize = sizeOf(geo.k);
  if (N * M * outSize > MAX_OUTPUT) fail(node, 'output is too large');
  const perM = (t: Tensor | null, what: string) => {
    if (t && t.size !== 1 && t.size !== M) fail(node, `${what} has ${t.size} values, expected 1 or ${M}`);
    return t ? numbers(t) : [0];
  };
  const wsv = perM(ws, 'w_scale'), wzv = perM(wzp, 'w_zero_point');
  if (bias && bias.size !== M) fail(node, `bias has ${bias.size} values, expected ${M}`);
  const xAdj = minus(x, [scalar(node, xzp, 'x_zero_point')], 1), wAdj = minus(w, wzv, Cg * kSize);
  const [xsv, ysv, yzv] = [scalar(node, xs, 'x_scale'), scalar(node, ys, 'y_scale'), scalar(node, yzp, 'y_zero_point')];
  const y = new Tensor(yzp.dtype, [N, M, ...geo.out.slice(3 - (x.rank - 2))]);
  const mPerGroup = M / g.group, K = Cg * kSize, OW = geo.out[2], rows = outSize / OW;
  if (K * OW > MAX_OUTPUT) fail(node, `im2col row of ${K}×${OW} values is too large`);
  const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(CHUNK / (K * OW))));
  const col = new Int32Array(K * rowsPerChunk * OW), acc = new Int32Array(4 * rowsPerChunk * OW);
  const b = bias ? numbers(bias) : null;
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < g.group; grp++) {
      const mEnd = (grp + 1) * mPerGroup;
      for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
        const r1 = Math.min(rows, r0 + rowsPerChunk), len = (r1 - r0) * OW;
        im2col(col, xAdj, (n * C + grp * Cg) * inSize, Cg, r0, r1, geo);
        for (let m = grp * mPerGroup; m < mEnd; m += 4) {
          const count = Math.min(4, mEnd - m);
          for (let j = 0; j < count; j++) acc.fill(b ? b[m + j] : 0, j * len, (j + 1) * len);
          gemm(acc, wAdj, m, count, K, col, len);
          for (let j = 0; j < count; j++) {
            const mult = multiplier(xsv, wsv[wsv.length === 1 ? 0 : m + j], ysv);
            requantize(acc.subarray(j * len), len, mult, yzv, y.data as Uint8Array, (n * M + m + j) * outSize + r0 * OW, 1);
          }
        }
      }
    }
  }
  return [y];
}, 'any');
