// Shape rules of the tensor family's shape-manipulating ops: Shape, Size, Reshape, Flatten,
// Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Expand, Tile. Their `values` carry the
// symbolic contents of shape vectors through the usual export pattern
// Shape → Gather/Slice → Unsqueeze → Concat → Reshape/Expand, so batch-symbolic models keep exact shapes.
import type { Dim } from '../graph.ts';
import { broadcastShapes, defineOp, normAxis, tt, type InferCtx } from './registry.ts';
import { MAX_RANK, allNumbers, reshapeDims, sliceAxis, sliceSpec, solveMinusOne, splitSizes, symProduct } from './tensor-math.ts';
import { checkDim, defineValueOp, freshDims, intsArg, mergeDim, shapeArg, shapeVector, vectorLength } from './shape-args.ts';
import './tensor-index.ts';
import './tensor-create.ts';

/** Shape's [start, end) after clamping (opset 15). */
function shapeRange(c: InferCtx, rank: number): [number, number] {
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [norm(c.attr.int('start', 0)), norm(c.attr.int('end', rank))];
}

defineValueOp({
  name: 'Shape',
  infer: (c) => {
    const [s, e] = shapeRange(c, c.input(0).shape.length);
    return [tt('i64', [Math.max(0, e - s)])];
  },
  values: (c) => {
    const shape = c.input(0).shape;
    const [s, e] = shapeRange(c, shape.length);
    return [shape.slice(s, Math.max(s, e))];
  },
});

defineValueOp({
  name: 'Size',
  infer: () => [tt('i64', [])],
  values: (c) => { const p = symProduct(c.input(0).shape); return [p === undefined ? undefined : [p]]; },
});

/** Values that pass unchanged through ops that only regroup a rank ≤ 1 vector. */
function passValues(c: InferCtx, outRank: number): (readonly Dim[] | undefined)[] {
  return [outRank <= 1 ? c.dims(0) : undefined];
}

function reshapeShape(c: InferCtx): Dim[] {
  const x = c.input(0);
  const spec = shapeVector(c, 1);
  if (!spec) return freshDims(c, vectorLength(c, 1));
  const allowzero = c.attr.int('allowzero', 0) === 1;
  if (allNumbers(x.shape) && allNumbers(spec)) {
    const r = reshapeDims(x.shape, spec, allowzero);
    return typeof r === 'string' ? c.fail(r) : r;
  }
  const out: Dim[] = spec.map((d, i) => {
    if (d !== 0 || allowzero) return d;
    return i < x.shape.length ? x.shape[i] : c.fail(`target dim ${i} is 0 (copy) but the input has rank ${x.shape.length}`);
  });
  const minus = out.indexOf(-1);
  if (minus !== out.lastIndexOf(-1)) c.fail('the target shape has more than one -1');
  out.forEach((d, i) => { if (i !== minus) checkDim(c, d, `target dim ${i}`); });
  if (minus >= 0) out[minus] = solveMinusOne(x.shape, out.filter((_, i) => i !== minus)) ?? c.fresh();
  return out;
}

defineValueOp({
  name: 'Reshape',
  infer: (c) => [tt(c.input(0).dtype, reshapeShape(c))],
  values: (c) => passValues(c, reshapeShape(c).length),
});

defineOp({
  name: 'Flatten',
  infer: (c) => {
    const x = c.input(0), r = x.shape.length;
    let axis = c.attr.int('axis', 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) c.fail(`axis ${c.attr.int('axis', 1)} is out of range for rank ${r}`);
    const dim = (ds: readonly Dim[]) => symProduct(ds) ?? c.fresh();
    return [tt(x.dtype, [dim(x.shape.slice(0, axis)), dim(x.shape.slice(axis))])];
  },
});

export function transposePerm(c: InferCtx, rank: number): number[] {
  const perm = c.attr.intsOpt('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    c.fail(`perm [${perm}] is not a permutation of the ${rank} axes`);
  }
  return [...perm];
}

defineOp({
  name: 'Transpose',
  infer: (c) => {
    const x = c.input(0);
    return [tt(x.dtype, transposePerm(c, x.shape.length).map((p) => x.shape[p]))];
  },
});

function squeezeShape(c: InferCtx): Dim[] {
  const x = c.input(0);
  const axes = c.inputs[1] ? intsArg(c, 1) ?? c.fail('axes (input 1) must be a constant') : undefined;
  // Without axes (or with empty axes, as onnxruntime reads them) every size-1 dim goes; a
  // symbolic dim is assumed not to be 1.
  if (!axes || axes.length === 0) return x.shape.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => normAxis(c, a, x.shape.length)));
  for (const a of drop) if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) c.fail(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
  return x.shape.filter((_, i) => !drop.has(i));
}

defineValueOp({
  name: 'Squeeze',
  infer: (c) => [tt(c.input(0).dtype, squeezeShape(c))],
  values: (c) => passValues(c, squeezeShape(c).length),
});

function unsqueezeShape(c: InferCtx): Dim[] {
  const x = c.input(0);
  const axes = intsArg(c, 1) ?? c.fail('axes (input 1) must be a constant');
  const rank = x.shape.length + axes.length;
  const at = new Set(axes.map((a) => normAxis(c, a, rank)));
  if (at.size !== axes.length) c.fail(`axes [${axes}] repeat an axis`);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : x.shape[k++]);
  return out;
}

defineValueOp({
  name: 'Unsqueeze',
  infer: (c) => [tt(c.input(0).dtype, unsqueezeShape(c))],
  values: (c) => passValues(c, unsqueezeShape(c).length),
});

defineValueOp({
  name: 'Concat',
  infer: (c) => {
    const ts = c.inputs.map((_, i) => c.input(i));
    if (ts.length === 0) c.fail('needs at least one input');
    const rank = ts[0].shape.length;
    const axis = normAxis(c, c.attr.int('axis'), rank);
    const out = [...ts[0].shape];
    for (const t of ts.slice(1)) {
      if (t.dtype !== ts[0].dtype) c.fail(`input types differ: ${ts[0].dtype} and ${t.dtype}`);
      if (t.shape.length !== rank) c.fail(`inputs have ranks ${rank} and ${t.shape.length}`);
      t.shape.forEach((d, i) => { if (i !== axis) out[i] = mergeDim(c, out[i], d, `inputs differ in dim ${i}`); });
    }
    // The concatenated size is known when at most one part is symbolic and the others are empty.
    const parts = ts.map((t) => t.shape[axis]);
    const syms = parts.filter((d) => typeof d !== 'number');
    const sum = parts.reduce<number>((a, d) => a + (typeof d === 'number' ? d : 0), 0);
    out[axis] = syms.length === 0 ? sum : syms.length === 1 && sum === 0 ? syms[0] : c.fresh();
    return [tt(ts[0].dtype, out)];
  },
  values: (c) => {
    const parts = c.inputs.map((_, i) => c.dims(i));
    if (c.input(0).shape.length !== 1 || parts.some((p) => !p)) return [undefined];
    return [parts.flatMap((p) => p!)];
  },
});

function splitShapes(c: InferCtx): Dim[][] {
  const x = c.input(0);
  const axis = normAxis(c, c.attr.int('axis', 0), x.shape.length);
  const n = c.node.outputs.length;
  const split = c.inputs[1] ? intsArg(c, 1) ?? c.fail('split (input 1) must be a constant') : undefined;
  const numOutputs = c.attr.has('num_outputs') ? c.attr.int('num_outputs') : undefined;
  const d = x.shape[axis];
  let sizes: Dim[];
  if (typeof d === 'number') {
    const r = splitSizes(d, n, split, numOutputs);
    sizes = typeof r === 'string' ? c.fail(r) : r;
  } else {
    sizes = split ?? (n === 1 ? [d] : freshDims(c, n));
  }
  return sizes.map((s) => x.shape.map((e, i) => (i === axis ? s : e)));
}

defineValueOp({
  name: 'Split',
  infer: (c) => splitShapes(c).map((s) => tt(c.input(0).dtype, s)),
  values: (c) => {
    const v = c.dims(0);
    if (!v || c.input(0).shape.length !== 1) return [];
    let at = 0;
    return splitShapes(c).map((s) => {
      if (typeof s[0] !== 'number') return undefined;
      at += s[0];
      return v.slice(at - s[0], at);
    });
  },
});

/** Slice's output shape; per axis a number when known, the input's symbol when sliced whole. */
function sliceShape(c: InferCtx): Dim[] {
  const x = c.input(0), rank = x.shape.length;
  const starts = shapeArg(c, 1), ends = shapeArg(c, 2);
  const axes = c.inputs[3] ? intsArg(c, 3) : undefined;
  const steps = c.inputs[4] ? intsArg(c, 4) : undefined;
  if ((c.inputs[3] && !axes) || (c.inputs[4] && !steps)) return freshDims(c, rank);
  if (!starts || !ends) {
    if (!axes) return freshDims(c, rank);
    const sliced = new Set(axes.map((a) => normAxis(c, a, rank)));
    return x.shape.map((d, i) => (sliced.has(i) ? c.fresh() : d));
  }
  const spec = sliceSpec(rank, starts.map((s) => (typeof s === 'number' ? s : 0)), ends.map((e) => (typeof e === 'number' ? e : 0)), axes, steps);
  if (typeof spec === 'string') c.fail(spec);
  const out = [...x.shape];
  spec.axes.forEach((a, k) => {
    const d = x.shape[a], s = starts[k], e = ends[k], step = spec.steps[k];
    if (typeof d === 'number' && typeof s === 'number' && typeof e === 'number') out[a] = sliceAxis(d, s, e, step).count;
    else if (s === 0 && step === 1 && (e === d || (typeof e === 'number' && e >= 2 ** 31 - 1))) out[a] = d;
    else out[a] = c.fresh();
  });
  return out;
}

defineValueOp({
  name: 'Slice',
  infer: (c) => [tt(c.input(0).dtype, sliceShape(c))],
  values: (c) => {
    const v = c.dims(0), starts = intsArg(c, 1), ends = intsArg(c, 2);
    if (!v || c.input(0).shape.length !== 1 || !starts || !ends) return [undefined];
    const axes = c.inputs[3] ? intsArg(c, 3) : undefined, steps = c.inputs[4] ? intsArg(c, 4) : undefined;
    if ((c.inputs[3] && !axes) || (c.inputs[4] && !steps)) return [undefined];
    const spec = sliceSpec(1, starts, ends, axes, steps);
    if (typeof spec === 'string' || spec.axes.length !== 1) return [undefined];
    const { start, count } = sliceAxis(v.length, spec.starts[0], spec.ends[0], spec.steps[0]);
    return [Array.from({ length: count }, (_, i) => v[start + i * spec.steps[0]])];
  },
});

function expandShape(c: InferCtx): Dim[] {
  const x = c.input(0);
  const shape = shapeVector(c, 1);
  if (!shape) return freshDims(c, Math.max(x.shape.length, vectorLength(c, 1)));
  shape.forEach((d, i) => checkDim(c, d, `shape dim ${i}`));
  return broadcastShapes(c, [x.shape, shape]);
}

defineValueOp({
  name: 'Expand',
  infer: (c) => [tt(c.input(0).dtype, expandShape(c))],
  values: (c) => {
    const v = c.dims(0), out = expandShape(c);
    if (!v || out.length !== 1 || typeof out[0] !== 'number' || out[0] > MAX_RANK) return [undefined];
    return [v.length === out[0] ? v : v.length === 1 ? new Array<Dim>(out[0]).fill(v[0]) : undefined];
  },
});

defineOp({
  name: 'Tile',
  infer: (c) => {
    const x = c.input(0);
    const reps = shapeVector(c, 1);
    if (!reps) return [tt(x.dtype, freshDims(c, x.shape.length))];
    if (reps.length !== x.shape.length) c.fail(`repeats has ${reps.length} values for rank ${x.shape.length}`);
    return [tt(x.dtype, x.shape.map((d, i) => {
      const r = checkDim(c, reps[i], `repeat ${i}`);
      if (typeof d === 'number' && typeof r === 'number') return d * r;
      return r === 1 ? d : d === 1 ? r : c.fresh();
    }))];
  },
});
