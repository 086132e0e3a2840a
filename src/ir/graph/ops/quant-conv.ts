// QLinearConv's shape rule and the convolution geometry (kernel, strides, dilations, pads, auto_pad)
// that the rule and the reference kernel share.
import type { AttrReader } from '../attrs.ts';
import type { Dim } from '../graph.ts';
import { defineOp, tt, type InferCtx } from './registry.ts';

export interface ConvGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Explicit pads: all begins, then all ends (ignored unless autoPad is NOTSET). */
  readonly pads: readonly number[];
  readonly autoPad: string;
  readonly group: number;
}

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Reads and validates the convolution attributes for a weight of shape [M, C/group, k…]. */
export function convGeometry(attr: AttrReader, wShape: readonly Dim[], spatialRank: number, fail: (m: string) => never): ConvGeometry {
  if (spatialRank < 1) fail('input must have rank ≥ 3 ([N, C, spatial…])');
  if (wShape.length !== spatialRank + 2) fail(`weight rank ${wShape.length} does not match input rank ${spatialRank + 2}`);
  const fromW = wShape.slice(2);
  const kernel = attr.intsOpt('kernel_shape') ?? fromW.map((d) => (typeof d === 'number' ? d : fail('kernel_shape is needed when the weight shape is symbolic')));
  const list = (name: string, dflt: number, n: number) => {
    const v = attr.intsOpt(name) ?? new Array<number>(n).fill(dflt);
    if (v.length !== n) fail(`${name} has ${v.length} values, expected ${n}`);
    return v;
  };
  const strides = list('strides', 1, spatialRank), dilations = list('dilations', 1, spatialRank), pads = list('pads', 0, 2 * spatialRank);
  if (kernel.length !== spatialRank) fail(`kernel_shape has ${kernel.length} values, expected ${spatialRank}`);
  kernel.forEach((k, i) => {
    if (k <= 0) fail(`kernel_shape values must be positive, got ${k}`);
    if (typeof fromW[i] === 'number' && fromW[i] !== k) fail(`kernel_shape [${kernel}] does not match the weight [${wShape.join(',')}]`);
  });
  if (strides.some((s) => s <= 0) || dilations.some((d) => d <= 0)) fail('strides and dilations must be positive');
  if (pads.some((p) => p < 0)) fail(`pads must be non-negative, got [${pads}]`);
  const autoPad = attr.string('auto_pad', 'NOTSET');
  if (!AUTO_PADS.includes(autoPad)) fail(`auto_pad "${autoPad}" must be one of ${AUTO_PADS.join(', ')}`);
  const group = attr.int('group', 1);
  if (group <= 0) fail(`group must be positive, got ${group}`);
  return { kernel, strides, dilations, pads, autoPad, group };
}

/** Output size and padding of spatial axis i for an input of size n. */
export function convAxis(g: ConvGeometry, i: number, n: number): { out: number; begin: number; end: number } {
  const r = g.kernel.length, s = g.strides[i], extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
  if (g.autoPad === 'NOTSET' || g.autoPad === 'VALID') {
    const begin = g.autoPad === 'VALID' ? 0 : g.pads[i], end = g.autoPad === 'VALID' ? 0 : g.pads[i + r];
    return { out: Math.floor((n + begin + end - extent) / s) + 1, begin, end };
  }
  const out = Math.ceil(n / s);
  const total = Math.max(0, (out - 1) * s + extent - n);
  const begin = g.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
  return { out, begin, end: total - begin };
}

/** Spatial output dims; a symbolic input dim gives a symbolic output (the same one when SAME with stride 1). */
export function convSpatial(c: InferCtx, g: ConvGeometry, spatial: readonly Dim[]): Dim[] {
  return spatial.map((n, i) => {
    if (typeof n !== 'number') return g.autoPad.startsWith('SAME') && g.strides[i] === 1 ? n : c.fresh();
    const { out } = convAxis(g, i, n);
    if (out <= 0) c.fail(`spatial axis ${i} of size ${n} gives an empty output with kernel ${g.kernel[i]}`);
    return out;
  });
}

defineOp({
  name: 'QLinearConv',
  infer: (c) => {
    const x = c.input(0), w = c.input(3), yzp = c.input(7);
    for (const [name, t] of [['x', x], ['w', w], ['y_zero_point', yzp]] as const) {
      if (t.dtype !== 'u8' && t.dtype !== 'i8') c.fail(`${name} must be u8 or i8, got ${t.dtype}`);
    }
    if (c.input(2).dtype !== x.dtype) c.fail('x_zero_point must have x\'s type');
    if (c.input(5).dtype !== w.dtype) c.fail('w_zero_point must have w\'s type');
    if (c.inputs[8] && c.input(8).dtype !== 'i32') c.fail(`bias must be i32, got ${c.input(8).dtype}`);
    const g = convGeometry(c.attr, w.shape, x.shape.length - 2, c.fail);
    const [C, M, Cg] = [x.shape[1], w.shape[0], w.shape[1]];
    if (typeof C === 'number' && typeof Cg === 'number' && C !== Cg * g.group) c.fail(`input has ${C} channels, weight expects ${Cg}×${g.group} groups`);
    if (typeof M === 'number' && M % g.group !== 0) c.fail(`${M} output channels do not split into ${g.group} groups`);
    return [tt(yzp.dtype, [x.shape[0], M, ...convSpatial(c, g, x.shape.slice(2))])];
  },
});
