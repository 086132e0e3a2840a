// Shape rules of the nn family: convolutions and pools here, matrix products in nn-matmul.ts.
// Spatial sizes come from nn-window.ts, the same code the kernels use, so they agree by construction.
// A spatial size that depends on a symbolic input dim becomes a fresh symbol, except where the window
// provably maps every size to itself (stride 1 with "same" padding), where the symbol passes through.
import { UnsupportedError, nodeRef } from '../../../util/errors.ts';
import type { Dim, TensorType } from '../graph.ts';
import {
  type Axis, MAX_SPATIAL_RANK, type Window, checkPoolPads, convAxis, convTransposeAxis, poolAxis,
  readTransposeExtras, readWindow,
} from './nn-window.ts';
import { defineOp, tt, type InferCtx } from './registry.ts';
import './nn-matmul.ts';

type AxisFn = (w: Window, i: number, inSize: number) => Axis;

/** Spatial output dims; `axis` computes one concrete axis. */
function spatialDims(c: InferCtx, w: Window, spatial: readonly Dim[], axis: AxisFn): Dim[] {
  return spatial.map((d, i) => {
    if (typeof d === 'number' && !Number.isNaN(w.kernel[i])) return axis(w, i, d).out;
    if (typeof d === 'string' && w.strides[i] === 1 && !Number.isNaN(w.kernel[i])) {
      // With stride 1 the size is in + const; probe the const on a size where the window fits.
      const probe = w.kernel[i] * w.dilations[i] + 64;
      if (axis(w, i, probe).out === probe) return d;
    }
    return c.fresh();
  });
}

function spatialRank(c: InferCtx, rank: number): number {
  if (rank < 3) c.fail(`input must have rank ≥ 3 (N, C, spatial…), got rank ${rank}`);
  const r = rank - 2;
  if (r > MAX_SPATIAL_RANK) throw new UnsupportedError(`${nodeRef(c.node)}: ${r}-D windows are not supported (at most ${MAX_SPATIAL_RANK}-D)`);
  return r;
}

const num = (d: Dim): number => (typeof d === 'number' ? d : NaN);

/** group ≥ 1 must divide the input and output channel counts (where known). */
function checkGroups(c: InferCtx, channels: Dim, outChannels: Dim, group: number): void {
  if (!Number.isInteger(group) || group < 1) c.fail(`attribute "group" must be ≥ 1, got ${group}`);
  for (const [what, n] of [['input', channels], ['output', outChannels]] as const) {
    if (typeof n === 'number' && n % group !== 0) c.fail(`${n} ${what} channels are not divisible by group ${group}`);
  }
}

function convType(c: InferCtx, dtype: 'same' | 'i32'): TensorType {
  const x = c.input(0), w = c.input(1);
  const r = spatialRank(c, x.shape.length);
  if (w.shape.length !== x.shape.length) c.fail(`weight has rank ${w.shape.length}, input has rank ${x.shape.length}`);
  const group = c.attr.int('group', 1);
  checkGroups(c, x.shape[1], w.shape[0], group);
  if (typeof x.shape[1] === 'number' && typeof w.shape[1] === 'number' && x.shape[1] !== w.shape[1] * group) {
    c.fail(`input has ${x.shape[1]} channels, the weight expects ${w.shape[1]} × group ${group}`);
  }
  if (dtype === 'same') {
    if (w.dtype !== x.dtype) c.fail(`input is ${x.dtype} but weight is ${w.dtype}`);
    const b = c.inputs[2];
    if (b && (b.shape.length !== 1 || (typeof b.shape[0] === 'number' && typeof w.shape[0] === 'number' && b.shape[0] !== w.shape[0]))) {
      c.fail(`bias must have shape [${w.shape[0]}], got [${b.shape}]`);
    }
  }
  const win = readWindow(c.attr, r, w.shape.slice(2).map(num), c.fail);
  const out = spatialDims(c, win, x.shape.slice(2), (ww, i, n) => convAxis(ww, i, n, c.fail));
  return tt(dtype === 'i32' ? 'i32' : x.dtype, [x.shape[0], w.shape[0], ...out]);
}

defineOp({ name: 'Conv', infer: (c) => [convType(c, 'same')] });

defineOp({
  name: 'ConvInteger',
  infer: (c) => {
    for (const i of [0, 1]) if (!['u8', 'i8'].includes(c.input(i).dtype)) c.fail(`input ${i} must be u8 or i8, got ${c.input(i).dtype}`);
    return [convType(c, 'i32')];
  },
});

defineOp({
  name: 'ConvTranspose',
  infer: (c) => {
    const x = c.input(0), w = c.input(1);
    const r = spatialRank(c, x.shape.length);
    if (w.shape.length !== x.shape.length) c.fail(`weight has rank ${w.shape.length}, input has rank ${x.shape.length}`);
    if (w.dtype !== x.dtype) c.fail(`input is ${x.dtype} but weight is ${w.dtype}`);
    // The weight is [C, M / group, k…]: its first dim is the input channels.
    const group = c.attr.int('group', 1);
    checkGroups(c, x.shape[1], '?', group); // M = W[1]·group always divides
    if (typeof x.shape[1] === 'number' && typeof w.shape[0] === 'number' && x.shape[1] !== w.shape[0]) {
      c.fail(`input has ${x.shape[1]} channels, the weight has ${w.shape[0]}`);
    }
    const m: Dim = typeof w.shape[1] === 'number' ? w.shape[1] * group : c.fresh();
    const b = c.inputs[2];
    if (b && (b.shape.length !== 1 || (typeof b.shape[0] === 'number' && typeof m === 'number' && b.shape[0] !== m))) {
      c.fail(`bias must have shape [${m}], got [${b.shape}]`);
    }
    const win = readWindow(c.attr, r, w.shape.slice(2).map(num), c.fail);
    const extras = readTransposeExtras(c.attr, win, c.fail);
    const spatial = extras.outputShape
      ? [...extras.outputShape]
      : spatialDims(c, win, x.shape.slice(2), (ww, i, n) => convTransposeAxis(ww, extras, i, n, c.fail));
    return [tt(x.dtype, [x.shape[0], m, ...spatial])];
  },
});

function poolType(c: InferCtx): TensorType {
  const x = c.input(0);
  const win = readWindow(c.attr, spatialRank(c, x.shape.length), undefined, c.fail);
  checkPoolPads(win, c.fail);
  const out = spatialDims(c, win, x.shape.slice(2), (ww, i, n) => poolAxis(ww, i, n, c.fail));
  return tt(x.dtype, [x.shape[0], x.shape[1], ...out]);
}

function checkStorageOrder(c: InferCtx): void {
  const s = c.attr.int('storage_order', 0);
  if (s !== 0 && s !== 1) c.fail(`attribute "storage_order" must be 0 or 1, got ${s}`);
}

function checkP(c: InferCtx): void {
  const p = c.attr.int('p', 2);
  if (p < 1 || p > 64) c.fail(`attribute "p" must be between 1 and 64, got ${p}`);
}

defineOp({
  name: 'MaxPool',
  infer: (c) => {
    checkStorageOrder(c);
    const y = poolType(c);
    return [y, tt('i64', y.shape)];
  },
});
defineOp({
  name: 'AveragePool',
  infer: (c) => {
    const cip = c.attr.int('count_include_pad', 0);
    if (cip !== 0 && cip !== 1) c.fail(`attribute "count_include_pad" must be 0 or 1, got ${cip}`);
    return [poolType(c)];
  },
});
defineOp({ name: 'LpPool', infer: (c) => { checkP(c); return [poolType(c)]; } });

function globalType(c: InferCtx): TensorType {
  const x = c.input(0);
  if (x.shape.length < 3) c.fail(`input must have rank ≥ 3 (N, C, spatial…), got rank ${x.shape.length}`);
  return tt(x.dtype, [x.shape[0], x.shape[1], ...new Array<number>(x.shape.length - 2).fill(1)]);
}

defineOp({ name: 'GlobalAveragePool', infer: (c) => [globalType(c)] });
defineOp({ name: 'GlobalMaxPool', infer: (c) => [globalType(c)] });
defineOp({ name: 'GlobalLpPool', infer: (c) => { checkP(c); return [globalType(c)]; } });
