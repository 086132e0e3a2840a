// Resize's attributes and output-size arithmetic, shared by the shape rule and the reference kernel
// so that compile-time shapes and run-time shapes can never disagree. The arithmetic follows
// onnxruntime's float32 evaluation (e.g. floor(float(scale · dim))), since that is our oracle:
// in double precision 0.7f · 10 is 6.99999…, in float32 it is exactly 7.
import { UnsupportedError, nodeRef } from '../../../util/errors.ts';
import type { AttrReader } from '../attrs.ts';
import type { Dim } from '../graph.ts';
import { MAX_OUTPUT_ELEMENTS } from './norm-util.ts';

export const RESIZE_MODES = ['nearest', 'linear', 'cubic'] as const;
export const COORD_MODES = [
  'half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric',
  'tf_crop_and_resize', 'tf_half_pixel_for_nn',
] as const;
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
export const ASPECT_POLICIES = ['stretch', 'not_larger', 'not_smaller'] as const;

export type ResizeMode = (typeof RESIZE_MODES)[number];
export type CoordMode = (typeof COORD_MODES)[number];
export type NearestMode = (typeof NEAREST_MODES)[number];
export type AspectPolicy = (typeof ASPECT_POLICIES)[number];

export interface ResizeAttrs {
  readonly mode: ResizeMode;
  readonly coord: CoordMode;
  readonly nearest: NearestMode;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly extrapolation: number;
  readonly antialias: boolean;
  readonly axes: readonly number[] | undefined;
  readonly policy: AspectPolicy;
}

type Fail = (message: string) => never;

function oneOf<T extends string>(node: { name: string; op: string }, attr: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UnsupportedError(`${nodeRef(node)}: ${attr} "${v}" is not supported (expected one of ${allowed.join(', ')})`);
  }
  return v as T;
}

/** Reads and validates every Resize attribute (opset 11–19 names; older forms arrive rewritten). */
export function readResizeAttrs(node: { name: string; op: string }, a: AttrReader): ResizeAttrs {
  return {
    mode: oneOf(node, 'mode', a.string('mode', 'nearest'), RESIZE_MODES),
    coord: oneOf(node, 'coordinate_transformation_mode', a.string('coordinate_transformation_mode', 'half_pixel'), COORD_MODES),
    nearest: oneOf(node, 'nearest_mode', a.string('nearest_mode', 'round_prefer_floor'), NEAREST_MODES),
    cubicA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) !== 0,
    extrapolation: a.float('extrapolation_value', 0),
    antialias: a.int('antialias', 0) !== 0,
    axes: a.intsOpt('axes'),
    policy: oneOf(node, 'keep_aspect_ratio_policy', a.string('keep_aspect_ratio_policy', 'stretch'), ASPECT_POLICIES),
  };
}

/** The axes that scales/sizes/roi refer to, normalized; all axes when the attribute is absent. */
export function resizeAxes(attrs: ResizeAttrs, rank: number, fail: Fail): number[] {
  if (!attrs.axes) return Array.from({ length: rank }, (_, i) => i);
  const seen = new Set<number>();
  return attrs.axes.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) fail(`axes entry ${a} is out of range for rank ${rank}`);
    if (seen.has(n)) fail(`axes entry ${a} is repeated`);
    seen.add(n);
    return n;
  });
}

export interface ResizeTarget {
  /** Per entry of `axes`: the scale factors … */
  readonly scales?: readonly number[];
  /** … or the output sizes (symbolic where only known symbolically). */
  readonly sizes?: readonly Dim[];
}

export interface ResizePlan {
  readonly shape: Dim[];
  /** Effective float32 scale per axis (1 for untouched axes; NaN where it depends on a symbol). */
  readonly scales: number[];
}

const f32 = Math.fround;

/**
 * Output shape and per-axis scales. Resized axes whose size cannot be computed (symbolic input dim,
 * unknown target) get `fresh()` dims; the kernel calls this with concrete shapes only.
 */
export function planResize(
  input: readonly Dim[], axes: readonly number[], target: ResizeTarget, policy: AspectPolicy,
  fresh: () => string, fail: Fail,
): ResizePlan {
  const shape = [...input];
  const scales = input.map(() => 1);
  if (target.scales) {
    if (target.scales.length !== axes.length) fail(`scales has ${target.scales.length} entries, expected ${axes.length}`);
    axes.forEach((a, k) => {
      const s = f32(target.scales![k]);
      if (!(s > 0) || !Number.isFinite(s)) fail(`scale ${target.scales![k]} must be a positive finite number`);
      const d = input[a];
      scales[a] = s;
      shape[a] = typeof d === 'number' ? Math.floor(f32(s * d)) : s === 1 ? d : fresh();
    });
  } else if (target.sizes) {
    if (target.sizes.length !== axes.length) fail(`sizes has ${target.sizes.length} entries, expected ${axes.length}`);
    for (const s of target.sizes) if (typeof s === 'number' && !(Number.isInteger(s) && s >= 0)) fail(`size ${s} must be a non-negative integer`);
    if (policy === 'stretch') stretchToSizes(input, axes, target.sizes, shape, scales, fail);
    else keepAspect(input, axes, target.sizes, policy, shape, scales, fresh, fail);
  } else {
    for (const a of axes) { shape[a] = fresh(); scales[a] = NaN; }
  }
  let n = 1;
  for (const d of shape) if (typeof d === 'number') n *= d;
  if (n > MAX_OUTPUT_ELEMENTS) fail(`output shape [${shape.join(',')}] is too large`);
  return { shape, scales };
}

function stretchToSizes(input: readonly Dim[], axes: readonly number[], sizes: readonly Dim[], shape: Dim[], scales: number[], fail: Fail): void {
  axes.forEach((a, k) => {
    const d = input[a], s = sizes[k];
    shape[a] = s;
    if (typeof d !== 'number' || typeof s !== 'number') { scales[a] = d === s ? 1 : NaN; return; }
    if (d === 0 && s !== 0) fail(`axis ${a} has size 0 and cannot be resized to ${s}`);
    scales[a] = d === 0 ? 1 : f32(f32(s) / f32(d));
  });
}

/** keep_aspect_ratio_policy: one common scale (the smallest or largest ratio), sizes rounded from it. */
function keepAspect(
  input: readonly Dim[], axes: readonly number[], sizes: readonly Dim[], policy: AspectPolicy,
  shape: Dim[], scales: number[], fresh: () => string, fail: Fail,
): void {
  if (axes.some((a, k) => typeof input[a] !== 'number' || typeof sizes[k] !== 'number')) {
    for (const a of axes) { shape[a] = fresh(); scales[a] = NaN; }
    return;
  }
  const ratios = axes.map((a, k) => {
    const d = input[a] as number, s = sizes[k] as number;
    if (d === 0 && s !== 0) fail(`axis ${a} has size 0 and cannot be resized to ${s}`);
    return d === 0 ? 1 : f32(f32(s) / f32(d));
  });
  const common = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  for (const a of axes) {
    scales[a] = common;
    shape[a] = Math.round(f32(common * (input[a] as number)));
  }
}
