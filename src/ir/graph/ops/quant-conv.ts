// QLinearConv's shape rule and the convolution geometry (kernel, strides, dilations, pads, auto_pad)
// that the rule and the reference kernel share.
import type { AttrReader } from '../attrs.ts';
import type { Dim } from '../graph.ts';
import { type Window, convAxis, readWindow } from './nn-window.ts';
import { defineOp, tt, type InferCtx } from './registry.ts';

/** The convolution window (shared with Conv, nn-window.ts) plus the group count. */
export interface ConvGeometry extends Window {
  readonly group: number;
}

/** Reads and validates the convolution attributes for a weight of shape [M, C/group, k…]. */
export function convGeometry(attr: AttrReader, wShape: readonly Dim[], spatialRank: number, fail: (m: string) => never): ConvGeometry {
  if (spatialRank < 1) fail('input must have rank ≥ 3 ([N, C, spatial…])');
  if (wShape.length !== spatialRank + 2) fail(`weight rank ${wShape.length} does not match input rank ${spatialRank + 2}`);
  const window = readWindow(attr, spatialRank, wShape.slice(2).map((d) => (typeof d === 'number' ? d : NaN)), fail);
  if (window.kernel.some((k) => Number.isNaN(k))) fail('kernel_shape is needed when the weight shape is symbolic');
  const group = attr.int('group', 1);
  if (group <= 0) fail(`group must be positive, got ${group}`);
  return { ...window, group };
}

/** Spatial output dims; a symbolic input dim gives a symbolic output (the same one when SAME with stride 1). */
export function convSpatial(c: InferCtx, g: ConvGeometry, spatial: readonly Dim[]): Dim[] {
  return spatial.map((n, i) => {
    if (typeof n !== 'number') return g.autoPad.startsWith('SAME') && g.strides[i] === 1 ? n : c.fresh();
    return convAxis(g, i, n, c.fail).out;
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
