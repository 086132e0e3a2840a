// Conv and ConvInteger: im2col per (image, group), then one matrix product with that group's weights.
// A 1×1, stride-1, unpadded convolution is already a matrix product and skips im2col.
import { convAxis, readWindow } from '../../ir/graph/ops/nn-window.ts';
import type { Tensor } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { type FloatArray, allocLike, floatData, fromFloat, gemmAcc, guardSize } from './gemm-core.ts';
import { fail } from './util.ts';
import { type Geo, makeGeo, spatialRank, validRange } from './window.ts';

/** Lays out the receptive fields of `channels` input planes at x[xOff …] as columns: [channels·k, out]. */
function im2col(x: FloatArray, xOff: number, channels: number, g: Geo, col: FloatArray): void {
  const [inD, inH, inW] = g.inp, [outD, outH, outW] = g.out, [kD, kH, kW] = g.k;
  const [sD, sH, sW] = g.s, [dD, dH, dW] = g.d, [pD, pH, pW] = g.p;
  const outHW = outH * outW;
  let dst = 0;
  for (let c = 0; c < channels; c++) {
    const xc = xOff + c * g.inSize;
    for (let kd = 0; kd < kD; kd++) {
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          const offW = kw * dW - pW;
          const [owLo, owHi] = validRange(offW, sW, inW, outW);
          for (let od = 0; od < outD; od++) {
            const id = od * sD - pD + kd * dD;
            if (id < 0 || id >= inD) { col.fill(0, dst, dst + outHW); dst += outHW; continue; }
            for (let oh = 0; oh < outH; oh++) {
              const ih = oh * sH - pH + kh * dH;
              if (ih < 0 || ih >= inH) { col.fill(0, dst, dst + outW); dst += outW; continue; }
              const row = xc + (id * inH + ih) * inW + offW;
              let ow = 0;
              for (; ow < owLo; ow++) col[dst++] = 0;
              for (; ow < owHi; ow++) col[dst++] = x[row + ow * sW];
              for (; ow < outW; ow++) col[dst++] = 0;
            }
          }
        }
      }
    }
  }
}

export interface ConvProblem {
  readonly n: number;
  readonly c: number;
  readonly m: number;
  readonly group: number;
  readonly geo: Geo;
  readonly outShape: number[];
}

/** Validates shapes and attributes of a Conv-like node and resolves its geometry. */
export function convProblem(node: KernelNode, xShape: readonly number[], wShape: readonly number[]): ConvProblem {
  const r = spatialRank(node, xShape);
  if (wShape.length !== xShape.length) fail(node, `weight has rank ${wShape.length}, input has rank ${xShape.length}`);
  const [n, c] = xShape, m = wShape[0];
  const group = node.attr.int('group', 1);
  if (!Number.isInteger(group) || group < 1) fail(node, `attribute "group" must be ≥ 1, got ${group}`);
  if (c !== wShape[1] * group) fail(node, `input has ${c} channels, the weight expects ${wShape[1]} × group ${group}`);
  if (m % group !== 0) fail(node, `${m} output channels are not divisible by group ${group}`);
  const f = (msg: string): never => fail(node, msg);
  const w = readWindow(node.attr, r, wShape.slice(2), f);
  const spatial = xShape.slice(2);
  const axes = spatial.map((d, i) => convAxis(w, i, d, f));
  const outShape = [n, m, ...axes.map((a) => a.out)];
  guardSize(node, outShape);
  return { n, c, m, group, geo: makeGeo(spatial, w, axes), outShape };
}

/** y = conv(x, w) + bias, for weights [M, C/group, k…] in the same array kind as x. */
export function convForward(node: KernelNode, p: ConvProblem, x: FloatArray, w: FloatArray, bias: FloatArray | null): FloatArray {
  const { n: N, c: C, m: M, group, geo } = p;
  const cg = C / group, mg = M / group, depth = cg * geo.kSize, outSp = geo.outSize;
  const y = allocLike(x, N * M * outSp);
  const pointwise = geo.kSize === 1 && geo.s.every((s) => s === 1) && geo.p.every((q) => q === 0) &&
    geo.out.every((o, i) => o === geo.inp[i]);
  const col = pointwise ? null : allocLike(x, guardSize(node, [depth, outSp], 'im2col buffer'));
  for (let b = 0; b < N; b++) {
    for (let g = 0; g < group; g++) {
      const xOff = (b * C + g * cg) * geo.inSize;
      if (col) im2col(x, xOff, cg, geo, col);
      gemmAcc(mg, outSp, depth, w, g * mg * depth, col ?? x, col ? 0 : xOff, y, (b * M + g * mg) * outSp);
    }
  }
  if (bias) {
    for (let b = 0; b < N; b++) {
      for (let m = 0; m < M; m++) {
        const v = bias[m], o = (b * M + m) * outSp;
        for (let i = 0; i < outSp; i++) y[o + i] += v;
      }
    }
  }
  return y;
}

defineKernel('Conv', ([x, w, b], node) => {
  const p = convProblem(node, x!.shape, w!.shape);
  if (b && (b.rank !== 1 || b.size !== p.m)) fail(node, `bias must have shape [${p.m}], got [${b.shape}]`);
  const y = convForward(node, p, floatData(x!), floatData(w!), b ? floatData(b) : null);
  return [fromFloat(x!.dtype, p.outShape, y)];
});

/** x − zero point as doubles; the zero point is a scalar or one value per each of `blocks` leading blocks. */
function centered(node: KernelNode, t: Tensor, zp: Tensor | null | undefined, blocks: number): Float64Array {
  const v = Float64Array.from(t.toNumbers());
  if (!zp) return v;
  const z = zp.toNumbers();
  if (z.length === 1) { for (let i = 0; i < v.length; i++) v[i] -= z[0]; return v; }
  if (zp.rank !== 1 || z.length !== blocks) fail(node, `zero point of shape [${zp.shape}] must be a scalar or have ${blocks} values`);
  const len = v.length / blocks;
  for (let k = 0; k < blocks; k++) for (let i = k * len; i < (k + 1) * len; i++) v[i] -= z[k];
  return v;
}

defineKernel('ConvInteger', ([x, w, xz, wz], node) => {
  const p = convProblem(node, x!.shape, w!.shape);
  const y = convForward(node, p, centered(node, x!, xz, 1), centered(node, w!, wz, p.m), null);
  return [fromFloat('i32', p.outShape, y)];
});
