// Per-axis sampling "taps" for Resize: for each output index along one axis, which input indices
// it reads and with what weights. Every mode (nearest, linear, cubic, antialiased linear/cubic)
// is separable, so Resize is one weighted gather per resized axis.
//
// Coordinates are computed in float32 (Math.fround at each step) the way onnxruntime does, so
// nearest-neighbour rounding and window bounds land on the same side of .5 as our oracle.
import type { CoordMode, NearestMode, ResizeAttrs } from '../../ir/graph/ops/resize-spec.ts';

const f = Math.fround;

export interface AxisTaps {
  /** Taps per output index (padded with zero weights). */
  readonly k: number;
  /** idx[o·k + t] / w[o·k + t]: input index and weight of tap t of output index o. */
  readonly idx: Int32Array;
  readonly w: Float32Array;
  /** Output indices whose source lies outside the input (tf_crop_and_resize → extrapolation_value). */
  readonly outside: Uint8Array | null;
}

export interface AxisSpec {
  readonly inLen: number;
  readonly outLen: number;
  /** Effective float32 scale of this axis (output / input). */
  readonly scale: number;
  readonly roiStart: number;
  readonly roiEnd: number;
}

/** Maps an output coordinate to the input coordinate system. */
export function originalCoord(mode: CoordMode, x: number, a: AxisSpec): number {
  const { scale, inLen, outLen } = a;
  switch (mode) {
    case 'asymmetric': return f(x / scale);
    case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'tf_half_pixel_for_nn': return f(f(x + 0.5) / scale);
    case 'align_corners': return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'tf_crop_and_resize': {
      const s = a.roiStart, e = a.roiEnd;
      if (outLen > 1) return f(f(s * (inLen - 1)) + f(f(f(x * f(e - s)) * (inLen - 1)) / (outLen - 1)));
      return f(0.5 * f(s + e) * (inLen - 1));
    }
    case 'half_pixel_symmetric': {
      // Centres the sampling grid when the output size was rounded from scale · input.
      const adjustment = f(outLen / f(scale * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(offset + (x + 0.5) / scale - 0.5);
    }
    case 'half_pixel': return f(f(f(x + 0.5) / scale) - 0.5);
  }
}

/** std::round: halves away from zero. */
function roundAway(x: number): number { return x < 0 ? -Math.round(-x) : Math.round(x); }

function nearestIndex(mode: NearestMode, x: number): number {
  switch (mode) {
    case 'round_prefer_floor': return x === Math.trunc(x) + 0.5 ? Math.floor(x) : roundAway(x);
    case 'round_prefer_ceil': return roundAway(x);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
  }
}

function clampIndex(i: number, len: number): number { return i < 0 ? 0 : i >= len ? len - 1 : i; }

/**
 * Taps of one axis, or null when the axis is left as is. Like onnxruntime, an axis whose scale is
 * exactly 1 maps each index to itself (no coordinate transform, no extrapolation); the
 * antialiased path instead copies an axis whose size does not change.
 */
export function axisTaps(attrs: ResizeAttrs, a: AxisSpec): AxisTaps | null {
  const aa = attrs.antialias && attrs.mode !== 'nearest';
  if (aa ? a.outLen === a.inLen : a.scale === 1) return null;
  const extrapolate = attrs.coord === 'tf_crop_and_resize';
  const coords = new Float32Array(a.outLen);
  const outside = extrapolate ? new Uint8Array(a.outLen) : null;
  for (let o = 0; o < a.outLen; o++) {
    const x = originalCoord(attrs.coord, o, a);
    coords[o] = x;
    if (outside && (x < 0 || x > a.inLen - 1)) outside[o] = 1;
  }
  if (aa) return antialiasTaps(attrs, a, coords, outside);
  switch (attrs.mode) {
    case 'nearest': return nearestTaps(attrs.nearest, a, coords, outside);
    case 'linear': return linearTaps(a, coords, outside);
    case 'cubic': return cubicTaps(attrs, a, coords, outside);
  }
}

function nearestTaps(mode: NearestMode, a: AxisSpec, coords: Float32Array, outside: Uint8Array | null): AxisTaps {
  const idx = new Int32Array(a.outLen), w = new Float32Array(a.outLen).fill(1);
  for (let o = 0; o < a.outLen; o++) idx[o] = clampIndex(nearestIndex(mode, coords[o]), a.inLen);
  return { k: 1, idx, w, outside };
}

/** Two neighbours of the coordinate clamped into [0, len-1]; equal neighbours split 0.5/0.5. */
function linearTaps(a: AxisSpec, coords: Float32Array, outside: Uint8Array | null): AxisTaps {
  const idx = new Int32Array(2 * a.outLen), w = new Float32Array(2 * a.outLen);
  for (let o = 0; o < a.outLen; o++) {
    const x = Math.max(0, Math.min(coords[o], a.inLen - 1));
    const x1 = Math.min(Math.trunc(x), a.inLen - 1), x2 = Math.min(x1 + 1, a.inLen - 1);
    idx[2 * o] = x1; idx[2 * o + 1] = x2;
    if (x1 === x2) { w[2 * o] = 0.5; w[2 * o + 1] = 0.5; } else { w[2 * o] = f(x2 - x); w[2 * o + 1] = f(x - x1); }
  }
  return { k: 2, idx, w, outside };
}

/** Keys cubic convolution weights for the 4 neighbours of a point at fraction s past the first. */
function cubicCoeffs(s: number, A: number): number[] {
  const k = (d: number) => {
    const t = Math.abs(d);
    if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
    if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
    return 0;
  };
  return [f(k(1 + s)), f(k(s)), f(k(1 - s)), f(k(2 - s))];
}

/** Four neighbours floor(x)-1 … floor(x)+2, indices clamped to the edge; exclude_outside drops and renormalizes. */
function cubicTaps(attrs: ResizeAttrs, a: AxisSpec, coords: Float32Array, outside: Uint8Array | null): AxisTaps {
  const idx = new Int32Array(4 * a.outLen), w = new Float32Array(4 * a.outLen);
  for (let o = 0; o < a.outLen; o++) {
    const x = coords[o], xi = Math.floor(x);
    const c = cubicCoeffs(f(x - xi), attrs.cubicA);
    let sum = 1;
    if (attrs.excludeOutside) {
      sum = 0;
      for (let t = 0; t < 4; t++) {
        const j = xi - 1 + t;
        if (j < 0 || j >= a.inLen) c[t] = 0;
        sum = f(sum + c[t]);
      }
    }
    for (let t = 0; t < 4; t++) { idx[4 * o + t] = clampIndex(xi - 1 + t, a.inLen); w[4 * o + t] = f(c[t] / sum); }
  }
  return { k: 4, idx, w, outside };
}

function triangle(x: number): number { const t = Math.abs(x); return t < 1 ? f(1 - t) : 0; }

function cubicFilter(A: number): (x: number) => number {
  return (x) => {
    const t = Math.abs(x);
    if (t < 1) return f(((A + 2) * t - (A + 3)) * t * t + 1);
    if (t < 2) return f((((t - 5) * t + 8) * t - 4) * A);
    return 0;
  };
}

/**
 * Antialiased taps (opset 18, as in Pillow and onnxruntime): when downscaling, the filter is
 * stretched by 1/scale so every input pixel contributes. Outside samples are dropped
 * (exclude_outside) or folded onto the edge pixels; weights are normalized to sum to 1.
 */
function antialiasTaps(attrs: ResizeAttrs, a: AxisSpec, coords: Float32Array, outside: Uint8Array | null): AxisTaps {
  const linear = attrs.mode === 'linear';
  const filter = linear ? triangle : cubicFilter(attrs.cubicA);
  const inv = f(1 / a.scale);
  const support = inv >= 1 ? f(f((linear ? 2 : 4) * 0.5) * inv) : linear ? 1 : 2;
  const invScale = inv >= 1 ? f(1 / inv) : 1;
  const k = Math.ceil(support) * 2 + 1;
  const idx = new Int32Array(k * a.outLen), w = new Float32Array(k * a.outLen);
  const buf = new Float64Array(k);
  for (let o = 0; o < a.outLen; o++) {
    const center = f(0.5 + (inv === 1 ? o : coords[o]));
    let lo = Math.floor(f(f(center - support) + 0.5));
    let hi = Math.floor(f(f(center + support) + 0.5));
    hi = lo + Math.min(Math.max(hi - lo, 0), k);
    const loCut = Math.min(Math.max(lo, 0), a.inLen), hiCut = Math.min(Math.max(hi, 0), a.inLen);
    if (attrs.excludeOutside) { lo = loCut; hi = hiCut; }
    buf.fill(0);
    let total = 0;
    const n = hi - lo;
    for (let t = 0; t < n; t++) { const v = filter(f(f(f(t + lo - center) + 0.5) * invScale)); buf[t] = v; total = f(total + v); }
    if (!attrs.excludeOutside && loCut < hiCut) foldOutside(buf, n, lo, a.inLen, hiCut - loCut);
    const norm = total === 0 ? 1 : f(1 / total);
    for (let t = 0; t < hiCut - loCut; t++) { idx[o * k + t] = loCut + t; w[o * k + t] = f(buf[t] * norm); }
  }
  return { k, idx, w, outside };
}

/** Adds the weights of samples left of 0 / right of len-1 onto the edge samples, then shifts to start at 0. */
function foldOutside(buf: Float64Array, n: number, lo: number, len: number, kept: number): void {
  const neg = Math.min(Math.max(-lo, 0), n - 1);
  for (let t = 0; t < neg; t++) buf[neg] = f(buf[neg] + buf[t]);
  const over = Math.min(Math.max(n + lo - len, 0), n - 1);
  for (let t = n - over; t < n; t++) buf[n - over - 1] = f(buf[n - over - 1] + buf[t]);
  if (neg > 0 || over > 0) for (let t = 0; t < kept; t++) buf[t] = buf[t + neg];
}
