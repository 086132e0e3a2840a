// The geometry of a 2-D Conv on one input: what the output-aware weight rounding (weight-rounding.ts)
// and the error-compensating fit (weight-fit.ts) need to gather the input patch of an output position.
import type { Node } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';

export interface ConvGeom { c: number; h: number; w: number; kh: number; kw: number; oh: number; ow: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number }

/** `c` null: a 1×1-style conv with the default attributes (stride 1, no pads) — pointwise patches. */
export function geometry(c: Node | null, x: Tensor, wShape: readonly number[]): ConvGeom {
  const ints = (k: string, d: number[]) => { const v = c ? c.attr.ints(k, d) : d; return v.length ? v : d; };
  const [sh, sw] = ints('strides', [1, 1]), [dh, dw] = ints('dilations', [1, 1]), pads = ints('pads', [0, 0, 0, 0]);
  const [, , kh, kw] = wShape, [, ch, h, w] = x.shape;
  const oh = Math.floor((h + pads[0] + pads[2] - dh * (kh - 1) - 1) / sh) + 1, ow = Math.floor((w + pads[1] + pads[3] - dw * (kw - 1) - 1) / sw) + 1;
  return { c: ch, h, w, kh, kw, oh, ow, sh, sw, dh, dw, pt: pads[0], pl: pads[1] };
}

/** The input patch (channels [c0, c0 + cpg), all taps) of output position (b, oy, ox) into p. */
export function patch(gm: ConvGeom, d: Float32Array, b: number, c0: number, cpg: number, oy: number, ox: number, p: Float64Array): void {
  let i = 0;
  for (let cc = 0; cc < cpg; cc++) {
    const base = (b * gm.c + c0 + cc) * gm.h * gm.w;
    for (let ty = 0; ty < gm.kh; ty++) {
      const y = oy * gm.sh - gm.pt + ty * gm.dh;
      for (let tx = 0; tx < gm.kw; tx++, i++) {
        const xx = ox * gm.sw - gm.pl + tx * gm.dw;
        p[i] = y >= 0 && y < gm.h && xx >= 0 && xx < gm.w ? d[base + y * gm.w + xx] : 0;
      }
    }
  }
}
