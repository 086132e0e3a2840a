// Shape rule of Resize (opset 11–19 form: X, roi, scales, sizes). Upsample and Resize-10 arrive
// rewritten to this form by the ONNX adapters.
import { UnsupportedError, nodeRef } from '../../../util/errors.ts';
import type { Dim } from '../graph.ts';
import { defineOp, tt, type InferCtx } from './registry.ts';
import { planResize, readResizeAttrs, resizeAxes, type ResizeTarget } from './resize-spec.ts';
import { isComputeFloat } from './norm-util.ts';

/** An optional 1-D input counts as given when present and not known to be empty. */
function given(c: InferCtx, i: number): boolean {
  const t = c.inputs[i];
  return !!t && !t.shape.some((d) => d === 0);
}

function target(c: InferCtx): ResizeTarget {
  const hasScales = given(c, 2), hasSizes = given(c, 3);
  if (hasScales && hasSizes) c.fail('only one of scales and sizes may be given');
  if (!hasScales && !hasSizes) c.fail('one of scales and sizes must be given');
  if (hasScales) {
    const s = c.constant(2);
    return s ? { scales: s.toNumbers() } : {};
  }
  const s = c.constant(3);
  if (s) return { sizes: s.toNumbers() };
  const d: readonly Dim[] | undefined = c.dims(3);
  return d ? { sizes: d } : {};
}

defineOp({
  name: 'Resize',
  infer: (c) => {
    const x = c.input(0);
    const attrs = readResizeAttrs(c.node, c.attr);
    if (attrs.mode !== 'nearest' && !isComputeFloat(x.dtype)) {
      throw new UnsupportedError(`${nodeRef(c.node)}: ${attrs.mode} resize of ${x.dtype} tensors is not supported (nearest is)`);
    }
    if (x.shape.length === 0) c.fail('input must have rank ≥ 1');
    const axes = resizeAxes(attrs, x.shape.length, c.fail);
    const roi = c.constant(1);
    if (attrs.coord === 'tf_crop_and_resize' && roi && roi.size !== 2 * axes.length) {
      c.fail(`roi has ${roi.size} entries, expected ${2 * axes.length} (starts and ends of each resized axis)`);
    }
    const plan = planResize(x.shape, axes, target(c), attrs.policy, c.fresh, c.fail);
    return [tt(x.dtype, plan.shape)];
  },
});
