// Resolved window geometry for the conv and pool kernels. Every kernel works on three spatial axes:
// 1-D and 2-D inputs get leading unit axes (kernel 1, stride 1, no padding), which changes neither
// the values nor the flat layout, so one loop nest serves all ranks.
import { type Axis, MAX_SPATIAL_RANK, type Window } from '../../ir/graph/ops/nn-window.ts';
import { sizeOf } from '../../ir/graph/tensor.ts';
import type { KernelNode } from '../kernel.ts';
import { fail } from './util.ts';

export interface Geo {
  /** Input spatial sizes [D, H, W]. */
  readonly inp: readonly number[];
  readonly out: readonly number[];
  readonly k: readonly number[];
  readonly s: readonly number[];
  readonly d: readonly number[];
  /** Leading pads (the trailing pads only matter through the output size). */
  readonly p: readonly number[];
  /** Trailing pads, for count_include_pad. */
  readonly pEnd: readonly number[];
  readonly inSize: number;
  readonly outSize: number;
  readonly kSize: number;
}

function lead(v: readonly number[], fill: number): number[] {
  return [...new Array<number>(3 - v.length).fill(fill), ...v];
}

/** Spatial rank of an [N, C, spatial…] input, failing clearly outside 1–3. */
export function spatialRank(node: KernelNode, shape: readonly number[]): number {
  if (shape.length < 3) fail(node, `input must have rank ≥ 3 (N, C, spatial…), got [${shape}]`);
  const r = shape.length - 2;
  if (r > MAX_SPATIAL_RANK) fail(node, `${r}-D windows are not supported (at most ${MAX_SPATIAL_RANK}-D)`);
  return r;
}

/** Geometry from the input's spatial sizes, the window and the resolved axes. */
export function makeGeo(spatial: readonly number[], w: Window, axes: readonly Axis[]): Geo {
  const inp = lead(spatial, 1), out = lead(axes.map((a) => a.out), 1);
  const k = lead(w.kernel, 1);
  return {
    inp, out, k,
    s: lead(w.strides, 1), d: lead(w.dilations, 1),
    p: lead(axes.map((a) => a.head), 0), pEnd: lead(axes.map((a) => a.tail), 0),
    inSize: sizeOf(inp), outSize: sizeOf(out), kSize: sizeOf(k),
  };
}

/** First and one-past-last output index o with 0 ≤ o·stride + off < size. */
export function validRange(off: number, stride: number, size: number, outLen: number): [number, number] {
  const lo = Math.min(outLen, Math.max(0, Math.ceil(-off / stride)));
  const hi = Math.max(lo, Math.min(outLen, Math.ceil((size - off) / stride)));
  return [lo, hi];
}

/** Per output index along one axis: where its window starts and which taps land inside [lo, hi). */
export interface AxisTaps { readonly start: Int32Array; readonly t0: Int32Array; readonly t1: Int32Array }

/**
 * Tap ranges of axis `a` (0–2) for every output index, against the input extent (default) or the
 * padded extent. Loops bounded by these visit only real taps, so work stays proportional to the
 * input even when a malformed model has enormous kernels, pads or dilations.
 */
export function axisTaps(g: Geo, a: number, padded = false): AxisTaps {
  const n = g.out[a], start = new Int32Array(n), t0 = new Int32Array(n), t1 = new Int32Array(n);
  const lo = padded ? -g.p[a] : 0, hi = g.inp[a] + (padded ? g.pEnd[a] : 0);
  for (let o = 0; o < n; o++) {
    start[o] = o * g.s[a] - g.p[a];
    [t0[o], t1[o]] = validRange(start[o] - lo, g.d[a], hi - lo, g.k[a]);
  }
  return { start, t0, t1 };
}
