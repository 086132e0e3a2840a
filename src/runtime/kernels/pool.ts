// Pools: MaxPool (with optional Indices), AveragePool, LpPool and their global forms. Each output
// element visits only the window taps that land in the input (tap ranges precomputed per axis);
// padding is skipped (max, Lp) or counted (average with count_include_pad), as onnxruntime does.
import { isBigInt } from '../../ir/graph/dtype.ts';
import { checkPoolPads, poolAxis, readWindow } from '../../ir/graph/ops/nn-window.ts';
import { Tensor } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { type FloatArray, allocLike, floatData, fromFloat, guardSize } from './gemm-core.ts';
import { fail } from './util.ts';
import { type Geo, axisTaps, makeGeo, spatialRank } from './window.ts';

interface PoolProblem { readonly planes: number; readonly geo: Geo; readonly outShape: number[] }

function poolProblem(node: KernelNode, x: Tensor): PoolProblem {
  const r = spatialRank(node, x.shape);
  const f = (msg: string): never => fail(node, msg);
  const w = readWindow(node.attr, r, undefined, f);
  checkPoolPads(w, f);
  const spatial = x.shape.slice(2);
  const geo = makeGeo(spatial, w, spatial.map((d, i) => poolAxis(w, i, d, f)));
  const outShape = [x.shape[0], x.shape[1], ...geo.out.slice(3 - r)];
  guardSize(node, outShape);
  return { planes: x.shape[0] * x.shape[1], geo, outShape };
}

/** The smallest value of a dtype's storage: the max of a window with no input in it (onnxruntime's `lowest()`). */
function lowest(t: Tensor): number {
  const d = t.data;
  if (d instanceof Float64Array) return -Number.MAX_VALUE;
  if (d instanceof Float32Array) return -3.4028234663852886e38;
  if (d instanceof Int8Array) return -128;
  if (d instanceof Int16Array) return -32768;
  if (d instanceof Int32Array) return -2147483648;
  return 0; // unsigned
}

type Num = Exclude<Tensor['data'], BigInt64Array | BigUint64Array>;

function maxPool(node: KernelNode, x: Tensor, withIndices: boolean): Tensor[] {
  if (isBigInt(x.dtype)) fail(node, `MaxPool does not take ${x.dtype} inputs`);
  const order = node.attr.int('storage_order', 0);
  if (order !== 0 && order !== 1) fail(node, `attribute "storage_order" must be 0 or 1, got ${order}`);
  const { planes, geo, outShape } = poolProblem(node, x);
  const [inD, inH, inW] = geo.inp, [dD, dH, dW] = geo.d;
  const D = axisTaps(geo, 0), H = axisTaps(geo, 1), W = axisTaps(geo, 2);
  const xd = x.data as Num, y = new Tensor(x.dtype, outShape), yd = y.data as Num;
  const ind = withIndices ? new Tensor('i64', outShape) : null, id64 = ind?.data as BigInt64Array | undefined;
  const init = lowest(x);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const xo = pl * geo.inSize;
    for (let od = 0; od < geo.out[0]; od++) {
      for (let oh = 0; oh < geo.out[1]; oh++) {
        for (let ow = 0; ow < geo.out[2]; ow++, o++) {
          let best = init, bd = -1, bh = -1, bw = -1;
          for (let kd = D.t0[od]; kd < D.t1[od]; kd++) {
            const id = D.start[od] + kd * dD;
            for (let kh = H.t0[oh]; kh < H.t1[oh]; kh++) {
              const ih = H.start[oh] + kh * dH, row = xo + (id * inH + ih) * inW;
              for (let kw = W.t0[ow]; kw < W.t1[ow]; kw++) {
                const iw = W.start[ow] + kw * dW, v = xd[row + iw];
                if (v > best) { best = v; bd = id; bh = ih; bw = iw; }
              }
            }
          }
          yd[o] = best;
          if (id64) {
            // Flat index into X; storage_order 1 numbers each spatial plane column-major.
            const within = order === 0 ? (bd * inH + bh) * inW + bw : bd + bh * inD + bw * inD * inH;
            id64[o] = BigInt(xo + within);
          }
        }
      }
    }
  }
  return ind ? [y, ind] : [y];
}

defineKernel('MaxPool', ([x], node) => maxPool(node, x!, node.outputCount > 1));

/** Sum (p = 0) or Σ|x|^p over each window; also counts the input taps of each window. */
function windowSums(x: FloatArray, planes: number, geo: Geo, p: number, out: FloatArray, counts: Int32Array | null): void {
  const [, inH, inW] = geo.inp, [dD, dH, dW] = geo.d;
  const D = axisTaps(geo, 0), H = axisTaps(geo, 1), W = axisTaps(geo, 2);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const xo = pl * geo.inSize;
    for (let od = 0; od < geo.out[0]; od++) {
      for (let oh = 0; oh < geo.out[1]; oh++) {
        for (let ow = 0; ow < geo.out[2]; ow++, o++) {
          let sum = 0;
          for (let kd = D.t0[od]; kd < D.t1[od]; kd++) {
            const id = D.start[od] + kd * dD;
            for (let kh = H.t0[oh]; kh < H.t1[oh]; kh++) {
              const row = xo + (id * inH + H.start[oh] + kh * dH) * inW + W.start[ow];
              for (let kw = W.t0[ow]; kw < W.t1[ow]; kw++) {
                const v = x[row + kw * dW];
                sum += p === 0 ? v : p === 1 ? Math.abs(v) : p === 2 ? v * v : Math.abs(v) ** p;
              }
            }
          }
          out[o] = sum;
          if (counts) counts[o] = (D.t1[od] - D.t0[od]) * (H.t1[oh] - H.t0[oh]) * (W.t1[ow] - W.t0[ow]);
        }
      }
    }
  }
}

/**
 * count_include_pad divisors, per output position: the taps inside the padded extent
 * [−head, size + tail). Windows that ceil_mode lets run past the end padding are cut there, as
 * onnxruntime does.
 */
function paddedCounts(geo: Geo): Float64Array {
  const D = axisTaps(geo, 0, true), H = axisTaps(geo, 1, true), W = axisTaps(geo, 2, true);
  const out = new Float64Array(geo.outSize);
  let i = 0;
  for (let od = 0; od < geo.out[0]; od++) {
    for (let oh = 0; oh < geo.out[1]; oh++) {
      for (let ow = 0; ow < geo.out[2]; ow++) out[i++] = (D.t1[od] - D.t0[od]) * (H.t1[oh] - H.t0[oh]) * (W.t1[ow] - W.t0[ow]);
    }
  }
  return out;
}

defineKernel('AveragePool', ([x], node) => {
  const include = node.attr.int('count_include_pad', 0);
  if (include !== 0 && include !== 1) fail(node, `attribute "count_include_pad" must be 0 or 1, got ${include}`);
  const { planes, geo, outShape } = poolProblem(node, x!);
  const xd = floatData(x!), y = allocLike(xd, planes * geo.outSize);
  const counts = new Int32Array(y.length);
  windowSums(xd, planes, geo, 0, y, counts);
  if (include) {
    const per = paddedCounts(geo);
    for (let i = 0; i < y.length; i++) y[i] /= per[i % geo.outSize];
  } else {
    for (let i = 0; i < y.length; i++) if (counts[i] > 0) y[i] /= counts[i];
  }
  return [fromFloat(x!.dtype, outShape, y)];
});

function readP(node: KernelNode): number {
  const p = node.attr.int('p', 2);
  if (p < 1 || p > 64) fail(node, `attribute "p" must be between 1 and 64, got ${p}`);
  return p;
}

defineKernel('LpPool', ([x], node) => {
  const p = readP(node);
  const { planes, geo, outShape } = poolProblem(node, x!);
  const xd = floatData(x!), y = allocLike(xd, planes * geo.outSize);
  windowSums(xd, planes, geo, p, y, null);
  for (let i = 0; i < y.length; i++) y[i] = y[i] ** (1 / p);
  return [fromFloat(x!.dtype, outShape, y)];
});

/** Global pools reduce each [N, C] plane to one value. */
function globalPool(node: KernelNode, x: Tensor, reduce: (xd: FloatArray, start: number, len: number) => number): Tensor {
  if (x.rank < 3) fail(node, `input must have rank ≥ 3 (N, C, spatial…), got [${x.shape}]`);
  const planes = x.shape[0] * x.shape[1], len = x.size / Math.max(planes, 1);
  const xd = floatData(x), y = allocLike(xd, planes);
  for (let pl = 0; pl < planes; pl++) y[pl] = reduce(xd, pl * len, len);
  return fromFloat(x.dtype, [x.shape[0], x.shape[1], ...new Array<number>(x.rank - 2).fill(1)], y);
}

defineKernel('GlobalAveragePool', ([x], node) => [globalPool(node, x!, (d, s, n) => {
  let sum = 0;
  for (let i = s; i < s + n; i++) sum += d[i];
  return sum / n;
})]);

defineKernel('GlobalMaxPool', ([x], node) => [globalPool(node, x!, (d, s, n) => {
  let m = -Infinity;
  for (let i = s; i < s + n; i++) if (d[i] > m) m = d[i];
  return m;
})]);

defineKernel('GlobalLpPool', ([x], node) => {
  const p = readP(node);
  return [globalPool(node, x!, (d, s, n) => {
    let sum = 0;
    for (let i = s; i < s + n; i++) sum += Math.abs(d[i]) ** p;
    return sum ** (1 / p);
  })];
});
