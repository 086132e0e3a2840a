// Error-compensating rounding (weight-fit.ts) of a ConvTranspose whose kernel equals its stride: no
// two taps overlap (pads 0, dilations 1, group 1, no output padding or output shape). PP-OCR det's head
// upsamples twice with such 2×2 stride-2 ConvTransposes; the first one's input boundary carried ~20 %
// of det's bf16 activation noise once the other boundaries were centred, and the second one writes
// the model's output logits, so fitting them to the quantized model's own inputs is worth more than
// their share of the weights.
//
// Such a ConvTranspose is T = kh·kw independent 1×1 convs on the same input: tap t of input position
// (y, x) is out[m, y·kh + ty, x·kw + tx] = Σ_c W[c, m, t] x[c, y, x] (+ b[m]). So each (m, t) is a row
// of length C over the input's pointwise patches, all rows share one H̃ (and E) over input positions,
// and the fit is the conv's (fitLayer, options included). The bias b[m] is shared by the T taps of channel m: each row
// refits its own bias column, and their mean is the joint optimum given the rounded weights (the T
// quadratics in b have the same curvature: the patch count plus the dampening).
import type { Graph, Node, Value } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import type { QGroup } from './groups.ts';
import { convMoments } from './moments.ts';
import { type FitOptions, type FittedConv, fitLayer, type MomentsOf } from './weight-fit.ts';
import type { WeightGrid } from './weight-grid.ts';

/** A ConvTranspose with non-overlapping taps whose weight is read by it alone (and a constant bias, if any). */
export function fittableTranspose(g: Graph, q: QGroup): boolean {
  const c = q.compute, shape = q.weight.type.shape;
  if (c.op !== 'ConvTranspose' || shape.length !== 4 || q.weight.consumers.length !== 1) return false;
  const ints = (k: string) => c.attr.ints(k, []);
  const all = (v: readonly number[], x: number) => v.every((e) => e === x);
  const [kh, kw] = [Number(shape[2]), Number(shape[3])], strides = ints('strides');
  return c.attr.int('group', 1) === 1 && strides.length === 2 && strides[0] === kh && strides[1] === kw
    && all(ints('dilations'), 1) && all(ints('pads'), 0) && all(ints('output_padding'), 0) && !ints('output_shape').length
    && ['NOTSET', 'VALID'].includes(c.attr.string('auto_pad', 'NOTSET'))
    && (!c.input(2) || (g.value(c.input(2)!.name)?.isConstant ?? false));
}

/**
 * The constant that adds the ConvTranspose's bias: its own input 2, or — when the group is the
 * ConvTranspose alone (PP-OCR's head: the fusion leaves it unfused and the bias in the next node) —
 * the [1, M, 1, 1] constant of the single Add reading its output, read by that Add alone.
 */
export function transposeBias(g: Graph, q: QGroup): Value | undefined {
  const c = q.compute, b = c.input(2);
  if (b) return g.value(b.name) ?? undefined;
  if (q.node !== c || c.outputs[0].consumers.length !== 1) return undefined;
  const add = c.outputs[0].consumers[0], m = Number(q.weight.type.shape[1]);
  if (add.op !== 'Add' || add.inputs.length !== 2) return undefined;
  const k = add.inputs.findIndex((v) => v?.isConstant), v = add.inputs[k];
  if (k < 0 || !v || v.consumers.length !== 1 || v.type.dtype !== 'f32' || add.inputs[1 - k]?.name !== c.outputs[0].name) return undefined;
  const s = v.type.shape.map(Number), at = s.length - 3;
  return at >= 0 && s[at] === m && s.every((d, i) => i === at || d === 1) ? v : undefined;
}

/**
 * The weight [C, M, kh, kw] rounded onto `grid` (indices in that layout) against inputs xs (fp32) and
 * xts (the quantized model's; omit for the fp32-input target); `bias` (length M) refitted with `opts.bias`.
 */
export function fitConvTranspose(c: Node, w: Tensor, bias: Tensor | undefined, grid: WeightGrid, xs: readonly Tensor[], xts?: readonly Tensor[], opts: FitOptions = {}): FittedConv {
  const [cin, m, kh, kw] = w.shape, taps = kh * kw, wf = w.toF32(), bf = opts.bias && bias ? bias.toF32() : undefined;
  const cols = bf ? cin + 1 : cin, at = (o: number, t: number, j: number) => (j * m + o) * taps + t;
  const rows: Float64Array[] = [];
  for (let o = 0; o < m; o++) {
    for (let t = 0; t < taps; t++) {
      const r = new Float64Array(cols);
      for (let j = 0; j < cin; j++) r[j] = wf[at(o, t, j)];
      if (bf) r[cin] = bf[o];
      rows.push(r);
    }
  }
  // Pointwise patches of the input; every input position yields `taps` output positions, so the
  // sampling budget scales with them (H̃ is only (C + 1)², cheap at any count).
  const momentsOf: MomentsOf = (x, xt, fold) => convMoments(null, [rows.length, cin, 1, 1], 0, cin, x, xt, (opts.maxPositions ?? 4096) * taps, !!bf, fold);
  const fitted = fitLayer(rows, cin, momentsOf, xs, xts, (r, j, v) => {
    const i = at(Math.floor(r / taps), r % taps, j);
    return grid.fixed.get(i) ?? grid.nearest(v, i);
  }, opts);
  const out = new Float32Array(wf.length), b = bf ? new Float64Array(m) : undefined;
  fitted.forEach((r, k) => {
    const o = Math.floor(k / taps), t = k % taps;
    for (let j = 0; j < cin; j++) out[at(o, t, j)] = r[j];
    if (b) b[o] += r[cin] / taps;
  });
  return { weight: out, bias: b && Float32Array.from(b) };
}
