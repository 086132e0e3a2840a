// Data movement: views (Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze), Transpose, Expand,
// Tile, DepthToSpace/SpaceToDepth, Concat, Slice and Split. Each output element reads one input
// element at an index computed from its own; nothing is materialized, so these inline into their
// consumers (a fused Transpose → MatMul reads the transposed operand directly).
import { sliceAxis, sliceSpec, splitSizes } from '../../ir/graph/ops/tensor-math.ts';
import { type Expr, add, constant, floordiv, floormod, int, lt, mul, select, sub } from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';
import { bcast, clampIndex, normAxis, reshapeIndex } from './util.ts';

/** Same elements, new shape (the output type says which). */
const view: Rule = (c) => {
  const x = c.raw(0), out = c.outShape();
  return [c.compute('reshape', out, (i) => x.at(reshapeIndex(x.shape, out, i)))];
};

const dropout: Rule = (c) => {
  const x = c.raw(0);
  const y = c.compute('dropout', x.shape, (i) => x.at(i));
  if (c.outputs.length < 2) return [y];
  return [y, c.compute('dropout_mask', x.shape, () => constant(1, 'bool'))];
};

const transpose: Rule = (c) => {
  const x = c.raw(0), r = x.shape.length;
  const perm = c.attr.intsOpt('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) c.fail(`perm [${perm}] is not a permutation of ${r} axes`);
  return [c.compute('transpose', c.outShape(), (i) => {
    const src = new Array<Expr>(r);
    perm.forEach((p, j) => { src[p] = i[j]; });
    return x.at(src);
  })];
};

const expand: Rule = (c) => {
  const x = c.raw(0);
  return [c.compute('expand', c.outShape(), (i) => bcast(x, i))];
};

const tile: Rule = (c) => {
  const x = c.raw(0), out = c.outShape();
  return [c.compute('tile', out, (i) => x.at(i.map((e, d) => {
    if (x.shape[d] === 1) return int(0);
    return out[d] === x.shape[d] ? e : floormod(e, int(x.shape[d]));
  })))];
};

function blocksize(c: RuleCtx): number {
  if (c.rank(0) !== 4) c.fail(`input must have rank 4 (N, C, H, W), got rank ${c.rank(0)}`);
  const b = c.attr.int('blocksize');
  if (b <= 0) c.fail(`blocksize must be positive, got ${b}`);
  return b;
}

/** DCR: in channel (i·b + j)·C' + c; CRD: c·b² + i·b + j — for output pixel (h·b + i, w·b + j). */
const depthToSpace: Rule = (c) => {
  const x = c.raw(0), b = blocksize(c), crd = c.attr.string('mode', 'DCR') === 'CRD';
  const oc = x.shape[1] / (b * b), B = int(b);
  return [c.compute('depth_to_space', c.outShape(), ([n, ch, oh, ow]) => {
    const i = floormod(oh, B), j = floormod(ow, B);
    const ij = add(mul(i, B), j);
    const ic = crd ? add(mul(ch, int(b * b)), ij) : add(mul(ij, int(oc)), ch);
    return x.at([n, ic, floordiv(oh, B), floordiv(ow, B)]);
  })];
};

/** Output channel (i·b + j)·C + c holds input pixel (h·b + i, w·b + j) of channel c. */
const spaceToDepth: Rule = (c) => {
  const x = c.raw(0), b = blocksize(c), C = x.shape[1], B = int(b);
  return [c.compute('space_to_depth', c.outShape(), ([n, oc, h, w]) => {
    const ch = floormod(oc, int(C)), ij = floordiv(oc, int(C));
    return x.at([n, ch, add(mul(h, B), floordiv(ij, B)), add(mul(w, B), floormod(ij, B))]);
  })];
};

/** A chain of selects on the concat axis; every branch reads in bounds (selects may evaluate both sides). */
const concat: Rule = (c) => {
  const xs = Array.from({ length: c.inputCount }, (_, j) => c.raw(j));
  const rank = c.outShape().length, axis = normAxis(c, c.attr.int('axis'), rank);
  const parts = xs.filter((t) => t.shape[axis] > 0);
  if (parts.length === 0) return [c.compute('concat', c.outShape(), () => constant(0, xs[0].dtype))];
  const starts: number[] = [];
  let at = 0;
  for (const t of parts) { starts.push(at); at += t.shape[axis]; }
  return [c.compute('concat', c.outShape(), (i) => {
    const read = (j: number) => {
      const t = parts[j], local = sub(i[axis], int(starts[j]));
      const idx = clampIndex(local, j > 0 ? 0 : undefined, j < parts.length - 1 ? t.shape[axis] - 1 : undefined);
      return t.at(i.map((e, d) => (d === axis ? idx : e)));
    };
    let v = read(parts.length - 1);
    for (let j = parts.length - 2; j >= 0; j--) v = select(lt(i[axis], int(starts[j + 1])), read(j), v);
    return v;
  })];
};

const slice: Rule = (c) => {
  const x = c.raw(0), rank = x.shape.length;
  const starts = c.ints(1, 'starts')!, ends = c.ints(2, 'ends')!;
  const parsed = sliceSpec(rank, starts, ends, c.ints(3, 'axes'), c.ints(4, 'steps'));
  const spec = typeof parsed === 'string' ? c.fail(parsed) : parsed;
  const start = new Array<number>(rank).fill(0), step = new Array<number>(rank).fill(1);
  spec.axes.forEach((a, j) => {
    start[a] = sliceAxis(x.shape[a], spec.starts[j], spec.ends[j], spec.steps[j]).start;
    step[a] = spec.steps[j];
  });
  return [c.compute('slice', c.outShape(), (i) => x.at(i.map((e, d) => add(int(start[d]), mul(e, int(step[d]))))))];
};

const split: Rule = (c) => {
  const x = c.raw(0), axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
  const num = c.attr.has('num_outputs') ? c.attr.int('num_outputs') : undefined;
  const parsed = splitSizes(x.shape[axis], c.outputs.length, c.ints(1, 'split'), num);
  const sizes = typeof parsed === 'string' ? c.fail(parsed) : parsed;
  let at = 0;
  return sizes.map((len, k): TeTensor => {
    const off = at;
    at += len;
    return c.compute('split', c.outShape(k), (i) => x.at(i.map((e, d) => (d === axis ? add(e, int(off)) : e))));
  });
};

export const MOVEMENT_RULES: Record<string, Rule> = {
  Identity: view, Reshape: view, Flatten: view, Squeeze: view, Unsqueeze: view,
  Dropout: dropout,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  Concat: concat,
  Slice: slice,
  Split: split,
};
