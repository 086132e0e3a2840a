// ConvTranspose on the array by sub-pixel decomposition: output rows Y with the same residue
// a = (Y + pad) mod stride receive exactly the kernel taps ky ≡ a (mod stride), from input rows
// m − t. So each of the stride_h × stride_w phases is an ordinary stride-1 convolution of the input
// with a flipped sub-kernel of ⌈(k − a)/stride⌉ taps, whose outputs land on a stride-spaced grid of the
// result. Every phase runs through the conv path (tiling, schedules, int8, fused BN/activation) into
// a scratch tensor, and a strided DMA copy interleaves it into the output. No zero-insertion (which
// would spend stride² of the MACs on zeros) and no col2im scatter-add (overlapping writes).
// PP-OCR's k = s = 2, pad 0 upsamplers become four 1×1 "direct" convs.
import type { Node } from '../../../src/ir/graph/graph.ts';
import type { Ctx, Mapped } from './context.ts';
import type { ConvGeom } from './conv.ts';
import { NotMapped, constNumbers, isFloat, shapeOf } from './nodes.ts';
import { convSchedule, emitConvLayer, followingBn } from './array-layers.ts';
import type { GemmSchedule } from './schedule.ts';
import { emitCopy } from './vector.ts';

/** One axis of one phase: taps, first phase index m0, count, and the conv's leading pad. */
interface AxisPhase { readonly taps: number; readonly m0: number; readonly count: number; readonly pad: number; readonly a: number }

function axisPhase(k: number, s: number, p: number, O: number, a: number): AxisPhase {
  const taps = Math.ceil((k - a) / s);
  const m0 = Math.ceil((p - a) / s), m1 = Math.floor((O - 1 + p - a) / s);
  return { taps, m0, count: m1 - m0 + 1, pad: taps - 1 - m0, a };
}

export function mapConvTranspose(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, w = n.input(1), b = n.input(2);
  const W = constNumbers(w);
  if (!W || (b && !constNumbers(b)) || !isFloat(x)) throw new NotMapped('weights must be constant');
  const xs = shapeOf(x), ws = shapeOf(w!);
  if (xs.length !== 4) throw new NotMapped('only 2-D transposed convolutions');
  if (n.attr.int('group', 1) !== 1) throw new NotMapped('grouped ConvTranspose');
  if (n.attr.ints('dilations', [1, 1]).some((d) => d !== 1)) throw new NotMapped('dilated ConvTranspose');
  if (n.attr.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new NotMapped('auto_pad');
  const [N, C, IH, IW] = xs, Co = ws[1], [kh, kw] = n.attr.ints('kernel_shape', ws.slice(2));
  const [sh, sw] = n.attr.ints('strides', [1, 1]), pads = n.attr.ints('pads', [0, 0, 0, 0]);
  let y = n.outputs[0];
  const [, , OH, OW] = shapeOf(y);
  const nodes: Node[] = [n];
  const bias = new Float32Array(Co), scale = new Float32Array(Co).fill(1);
  if (b) bias.set(constNumbers(b)!);
  const bn = followingBn(ctx, y, Co);
  if (bn) {
    for (let c = 0; c < Co; c++) { scale[c] = bn.a[c]; bias[c] = bias[c] * bn.a[c] + bn.b[c]; }
    nodes.push(bn.node); y = bn.node.outputs[0];
  }
  const act = ctx.fusion.acts(y);
  nodes.push(...act.nodes); y = act.out;
  const phases: { ph: AxisPhase; pw: AxisPhase; g: ConvGeom; key: string; s: GemmSchedule }[] = [];
  for (let a = 0; a < sh; a++) {
    for (let c = 0; c < sw; c++) {
      const ph = axisPhase(kh, sh, pads[0], OH, a), pw = axisPhase(kw, sw, pads[1], OW, c);
      if (ph.count <= 0 || pw.count <= 0) continue;
      if (ph.taps < 1 || pw.taps < 1) throw new NotMapped('kernel smaller than the stride (bias-only outputs)');
      if (ph.pad < 0 || pw.pad < 0) throw new NotMapped('padding larger than the kernel');
      const g: ConvGeom = { N, C, IH, IW, Co, OH: ph.count, OW: pw.count, kh: ph.taps, kw: pw.taps, sh: 1, sw: 1, dh: 1, dw: 1, pt: ph.pad, pl: pw.pad, group: 1 };
      const key = `${n.name}@${a}${c}`;
      phases.push({ ph, pw, g, key, s: convSchedule(ctx, key, g) });
    }
  }
  return {
    nodes, kind: 'array', out: [y],
    emit() {
      const L = ctx.layout, e = ctx.e;
      const yAddr = L.place(y).addr, xAddr = L.get(x).addr;
      for (const { ph, pw, g, key, s } of phases) {
        // Sub-kernel, flipped: tap u of the phase conv is kernel row a + stride·(taps − 1 − u).
        const wf = new Float32Array(Co * C * g.kh * g.kw);
        for (let o = 0; o < Co; o++) for (let ci = 0; ci < C; ci++) for (let u = 0; u < g.kh; u++) for (let v = 0; v < g.kw; v++) {
          const ky = ph.a + sh * (g.kh - 1 - u), kx = pw.a + sw * (g.kw - 1 - v);
          wf[((o * C + ci) * g.kh + u) * g.kw + v] = W[((ci * Co + o) * kh + ky) * kw + kx] * scale[o];
        }
        const tmp = L.alloc('f16', N * Co * g.OH * g.OW);
        e.scoped(() => emitConvLayer(ctx, key, g, wf, bias, s, { x: xAddr, y: tmp, residual: -1 }, act.ops));
        e.sync(); // the interleaving copy reads what every core's conv tiles stored
        const y0 = sh * ph.m0 + ph.a - pads[0], x0 = sw * pw.m0 + pw.a - pads[1];
        e.scoped(() => emitCopy(e, [N, Co, g.OH, g.OW], { addr: tmp, strides: [Co * g.OH * g.OW, g.OH * g.OW, g.OW, 1] },
          { addr: yAddr + (y0 * OW + x0) * 2, strides: [Co * OH * OW, OH * OW, sh * OW, sw] }));
        e.sync();
      }
    },
  };
}
