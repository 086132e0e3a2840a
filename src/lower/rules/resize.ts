// Resize (nearest, linear, cubic; every coordinate transformation mode). The source coordinate of
// each output index is computed in the loop nest with the same float32 operations, in the same
// order, as the reference kernel (resize-taps.ts), so nearest-neighbour rounding lands on the same
// side of .5. Linear and cubic are separable: the value is a sum over the taps of every resized axis.
import {
  type ResizeAttrs, planResize, readResizeAttrs, resizeAxes,
} from '../../ir/graph/ops/resize-spec.ts';
import { type Expr, add, call, cast, div, int, lt, max, min, mul, select, sub } from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';
import { eq, ge, gt, k, le, or } from './util.ts';

interface ResizedAxis { readonly axis: number; readonly inLen: number; readonly outLen: number; readonly scale: number; readonly roi: [number, number] }

const f = Math.fround;

/** The input coordinate (f32) of output index o along one axis. */
function sourceCoord(mode: ResizeAttrs['coord'], o: Expr, a: ResizedAxis): Expr {
  const x = cast('f32', o), c = (v: number) => k(f(v), 'f32');
  const { scale, inLen, outLen } = a;
  switch (mode) {
    case 'asymmetric': return div(x, c(scale));
    case 'pytorch_half_pixel': return outLen > 1 ? sub(div(add(x, c(0.5)), c(scale)), c(0.5)) : c(0);
    case 'tf_half_pixel_for_nn': return div(add(x, c(0.5)), c(scale));
    case 'align_corners': return outLen === 1 ? c(0) : div(mul(x, c(inLen - 1)), c(outLen - 1));
    case 'tf_crop_and_resize': {
      const [s, e] = a.roi;
      if (outLen > 1) return add(c(f(s * (inLen - 1))), div(mul(mul(x, c(f(e - s))), c(inLen - 1)), c(outLen - 1)));
      return c(f(0.5 * f(s + e) * (inLen - 1)));
    }
    case 'half_pixel_symmetric': {
      // The reference rounds once, after double-precision arithmetic.
      const adjustment = f(outLen / f(scale * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      const d = cast('f64', o);
      return cast('f32', add(k(offset, 'f64'), sub(div(add(d, k(0.5, 'f64')), k(scale, 'f64')), k(0.5, 'f64'))));
    }
    case 'half_pixel': return sub(div(add(x, c(0.5)), c(scale)), c(0.5));
  }
}

/** trunc(x) for floats (the IR has floor and ceil). */
const trunc = (x: Expr) => select(lt(x, k(0, x)), call('ceil', [x]), call('floor', [x]));

/** std::round (halves away from zero), exact in f32: only a fraction of exactly ±.5 differs from rint. */
function roundAway(x: Expr): Expr {
  const t = trunc(x);
  return select(eq(call('abs', [sub(x, t)]), k(0.5, x)), add(t, call('sign', [x])), call('round', [x]));
}

function nearestIndex(mode: ResizeAttrs['nearest'], x: Expr): Expr {
  switch (mode) {
    case 'round_prefer_floor': return select(eq(x, add(trunc(x), k(0.5, x))), call('floor', [x]), roundAway(x));
    case 'round_prefer_ceil': return roundAway(x);
    case 'floor': return call('floor', [x]);
    case 'ceil': return call('ceil', [x]);
  }
}

const clampTo = (i: Expr, len: number) => max(min(i, int(len - 1)), int(0));

/** Input index and weight of each tap of one axis at output index o. */
type Taps = (o: Expr) => { idx: Expr; w?: Expr }[];

function linearTaps(coord: (o: Expr) => Expr, a: ResizedAxis): Taps {
  return (o) => {
    const x = max(k(0, 'f32'), min(coord(o), k(a.inLen - 1, 'f32')));
    const x1 = min(cast('i32', call('floor', [x])), int(a.inLen - 1)), x2 = min(add(x1, int(1)), int(a.inLen - 1));
    const same = eq(x1, x2), half = k(0.5, 'f32');
    return [
      { idx: x1, w: select(same, half, sub(cast('f32', x2), x)) },
      { idx: x2, w: select(same, half, sub(x, cast('f32', x1))) },
    ];
  };
}

/** Keys cubic convolution weight of a tap at distance t (≥ 0) with coefficient A. */
function keys(t: Expr, A: number): Expr {
  const c = (v: number) => k(v, t);
  const near = add(mul(mul(sub(mul(c(A + 2), t), c(A + 3)), t), t), c(1));
  const far = sub(mul(add(mul(sub(mul(c(A), t), c(5 * A)), t), c(8 * A)), t), c(4 * A));
  return select(le(t, c(1)), near, select(lt(t, c(2)), far, c(0)));
}

function cubicTaps(coord: (o: Expr) => Expr, a: ResizedAxis, attrs: ResizeAttrs): Taps {
  return (o) => {
    const x = coord(o), fl = call('floor', [x]), xi = cast('i32', fl), s = sub(x, fl);
    const one = k(1, 'f32'), two = k(2, 'f32');
    const dist = [add(one, s), s, sub(one, s), sub(two, s)];
    const js = [0, 1, 2, 3].map((t) => add(xi, int(t - 1)));
    let ws = dist.map((d) => keys(d, attrs.cubicA));
    if (attrs.excludeOutside) {
      ws = ws.map((w, t) => select(or(lt(js[t], int(0)), ge(js[t], int(a.inLen))), k(0, w), w));
      const sum = ws.reduce((p, q) => add(p, q));
      ws = ws.map((w) => div(w, sum));
    }
    return js.map((j, t) => ({ idx: clampTo(j, a.inLen), w: ws[t] }));
  };
}

function nearestTaps(coord: (o: Expr) => Expr, a: ResizedAxis, attrs: ResizeAttrs): Taps {
  return (o) => [{ idx: clampTo(cast('i32', nearestIndex(attrs.nearest, coord(o))), a.inLen) }];
}

function resizedAxes(c: RuleCtx, attrs: ResizeAttrs): ResizedAxis[] {
  const x = c.shape(0), rank = x.length;
  const fail = (m: string): never => c.fail(m);
  const axes = resizeAxes(attrs, rank, fail);
  const scales = c.has(2) ? c.constant(2) ?? c.unsupported('scales must be a constant') : undefined;
  const sizes = c.has(3) ? c.constant(3) ?? c.unsupported('sizes must be a constant') : undefined;
  const hasScales = !!scales && scales.size > 0, hasSizes = !!sizes && sizes.size > 0;
  if (hasScales === hasSizes) c.fail(hasScales ? 'only one of scales and sizes may be given' : 'one of scales and sizes must be given');
  const target = hasScales ? { scales: scales!.toNumbers() } : { sizes: sizes!.toNumbers() };
  const plan = planResize(x, axes, target, attrs.policy, () => fail('output size is not computable'), fail);
  const roi = attrs.coord === 'tf_crop_and_resize' ? roiOf(c, axes, rank) : undefined;
  const out: ResizedAxis[] = [];
  x.forEach((inLen, axis) => {
    const outLen = plan.shape[axis] as number, scale = plan.scales[axis];
    if (scale !== 1) out.push({ axis, inLen, outLen, scale, roi: roi ? [roi[0][axis], roi[1][axis]] : [0, 1] });
    else if (outLen !== inLen) c.fail(`axis ${axis}: cannot resize ${inLen} to ${outLen} with scale ${scale}`);
  });
  return out;
}

function roiOf(c: RuleCtx, axes: readonly number[], rank: number): [number[], number[]] {
  const start = new Array<number>(rank).fill(0), end = new Array<number>(rank).fill(1);
  const roi = c.has(1) ? c.constant(1) ?? c.unsupported('roi must be a constant') : undefined;
  if (!roi || roi.size === 0) return [start, end];
  const v = roi.toNumbers();
  if (v.length !== 2 * axes.length) c.fail(`roi has ${v.length} entries, expected ${2 * axes.length}`);
  axes.forEach((a, i) => { start[a] = f(v[i]); end[a] = f(v[axes.length + i]); });
  return [start, end];
}

const resizeRule: Rule = (c) => {
  const attrs = readResizeAttrs(c.node, c.attr);
  if (attrs.antialias && attrs.mode !== 'nearest') c.unsupported('antialiased resize is not lowered; it runs on the reference runtime');
  const x: TeTensor = attrs.mode === 'nearest' ? c.raw(0) : c.input(0);
  const out = c.outShape();
  const axes = out.every((d, i) => d === x.shape[i]) ? [] : resizedAxes(c, attrs);
  const taps = axes.map((a) => {
    const coord = (o: Expr) => sourceCoord(attrs.coord, o, a);
    const t = attrs.mode === 'nearest' ? nearestTaps(coord, a, attrs) : attrs.mode === 'linear' ? linearTaps(coord, a) : cubicTaps(coord, a, attrs);
    return { a, t, coord };
  });
  return [c.compute('resize', out, (i) => {
    // Sum over every combination of taps, one resized axis at a time.
    const value = (j: number, idx: Expr[]): Expr => {
      if (j === taps.length) return x.at(idx);
      const { a, t } = taps[j];
      const terms = t(i[a.axis]).map(({ idx: at, w }) => {
        const v = value(j + 1, idx.map((e, d) => (d === a.axis ? at : e)));
        return w ? mul(w, v) : v;
      });
      return terms.reduce((p, q) => add(p, q));
    };
    const v = value(0, [...i]);
    if (attrs.coord !== 'tf_crop_and_resize') return v;
    const outside = taps.map(({ a, coord }) => or(lt(coord(i[a.axis]), k(0, 'f32')), gt(coord(i[a.axis]), k(a.inLen - 1, 'f32'))));
    const cond = outside.length ? outside.reduce((p, q) => or(p, q)) : undefined;
    return cond ? select(cond, k(attrs.extrapolation, v), v) : v;
  })];
};

export const RESIZE_RULES: Record<string, Rule> = { Resize: resizeRule };
