// Reference kernels of the reductions. Each output element reduces the input elements at
// base[o] + red[k]: two offset tables (kept axes, reduced axes) make every axis set one tight loop.
// Floats accumulate in double; int64 reduces exactly in bigint (exporters reduce shape vectors).
import { isBigInt, isFloat } from '../../ir/graph/dtype.ts';
import { Tensor, stridesOf } from '../../ir/graph/tensor.ts';
import { REDUCE_OPS } from '../../ir/graph/ops/reduce.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { fail, ints, normAxis } from './util.ts';
import { checkShape } from './tensor-util.ts';
import './reduce-arg.ts';

/** Offsets, row-major over `dims` of `shape`, of each combination of coordinates on those dims. */
export function offsetTable(shape: readonly number[], dims: readonly number[]): Float64Array {
  const st = stridesOf(shape);
  let table = new Float64Array([0]);
  for (const d of dims) {
    const next = new Float64Array(table.length * shape[d]);
    for (let i = 0; i < table.length; i++) for (let j = 0; j < shape[d]; j++) next[i * shape[d] + j] = table[i] + j * st[d];
    table = next;
  }
  return table;
}

type Combine = 'sum' | 'prod' | 'max' | 'min';
type Pre = 'none' | 'abs' | 'square';
type Post = 'none' | 'mean' | 'sqrt' | 'log';
const PLAN: Record<string, [Combine, Pre, Post]> = {
  ReduceSum: ['sum', 'none', 'none'], ReduceMean: ['sum', 'none', 'mean'], ReduceMax: ['max', 'none', 'none'],
  ReduceMin: ['min', 'none', 'none'], ReduceProd: ['prod', 'none', 'none'], ReduceL1: ['sum', 'abs', 'none'],
  ReduceL2: ['sum', 'square', 'sqrt'], ReduceLogSum: ['sum', 'none', 'log'], ReduceSumSquare: ['sum', 'square', 'none'],
};

function reduceNumbers(X: ArrayLike<number>, base: Float64Array, red: Float64Array, op: string, out: Float64Array): void {
  if (op === 'ReduceLogSumExp') {
    for (let o = 0; o < base.length; o++) {
      const b = base[o];
      let m = -Infinity;
      for (let k = 0; k < red.length; k++) if (X[b + red[k]] > m) m = X[b + red[k]];
      if (m === -Infinity || m === Infinity || Number.isNaN(m)) { out[o] = m; continue; }
      let s = 0;
      for (let k = 0; k < red.length; k++) s += Math.exp(X[b + red[k]] - m);
      out[o] = m + Math.log(s);
    }
    return;
  }
  const [combine, pre, post] = PLAN[op];
  const init = combine === 'sum' ? 0 : combine === 'prod' ? 1 : combine === 'max' ? -Infinity : Infinity;
  for (let o = 0; o < base.length; o++) {
    const b = base[o];
    let acc = init;
    for (let k = 0; k < red.length; k++) {
      let v = X[b + red[k]];
      if (pre === 'abs') v = Math.abs(v); else if (pre === 'square') v *= v;
      if (combine === 'sum') acc += v;
      else if (combine === 'prod') acc *= v;
      else if (combine === 'max') { if (v > acc || Number.isNaN(v)) acc = v; }
      else if (v < acc || Number.isNaN(v)) acc = v;
    }
    // The mean of nothing is 0 in onnxruntime, not NaN.
    out[o] = post === 'mean' ? (red.length ? acc / red.length : 0) : post === 'sqrt' ? Math.sqrt(acc) : post === 'log' ? Math.log(acc) : acc;
  }
}

/** int64 reductions that stay integers, computed exactly. */
function reduceBigInts(X: BigInt64Array, base: Float64Array, red: Float64Array, op: string, out: BigInt64Array): boolean {
  const plan = PLAN[op];
  if (!plan || plan[2] === 'sqrt' || plan[2] === 'log') return false;
  const [combine, pre, post] = plan;
  for (let o = 0; o < base.length; o++) {
    const b = base[o];
    let acc = combine === 'sum' ? 0n : combine === 'prod' ? 1n : undefined;
    for (let k = 0; k < red.length; k++) {
      let v = X[b + red[k]];
      if (pre === 'abs' && v < 0n) v = -v; else if (pre === 'square') v *= v;
      if (acc === undefined) acc = v;
      else if (combine === 'sum') acc += v;
      else if (combine === 'prod') acc *= v;
      else if (combine === 'max' ? v > acc : v < acc) acc = v;
    }
    // An empty max/min has no integer identity: use the dtype's extreme, as onnxruntime does.
    acc ??= combine === 'max' ? -(2n ** 63n) : 2n ** 63n - 1n;
    out[o] = BigInt.asIntN(64, post === 'mean' && red.length ? acc / BigInt(red.length) : acc);
  }
  return true;
}

function reduce(op: string, x: Tensor, a: Tensor | null, n: KernelNode): Tensor {
  const axesIn = ints(a);
  const keep = n.attr.int('keepdims', 1) === 1;
  // noop_with_empty_axes reduces over no axis: each element alone, so L1 still takes |x| and
  // SumSquare x², as onnxruntime does.
  const noop = axesIn.length === 0 && n.attr.int('noop_with_empty_axes', 0) === 1;
  const axes = axesIn.length ? new Set(axesIn.map((v) => normAxis(n, v, x.rank))) : new Set(noop ? [] : x.shape.map((_, i) => i));
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.has(i));
  const shape = keep ? x.shape.map((d, i) => (axes.has(i) ? 1 : d)) : kept.map((i) => x.shape[i]);
  const out = new Tensor(x.dtype, checkShape(n, shape));
  // An empty input reduces nothing into every output (the identity); its tables could be huge.
  const empty = x.size === 0;
  const base = empty ? new Float64Array(out.size) : offsetTable(x.shape, kept);
  const red = empty ? new Float64Array(0) : offsetTable(x.shape, [...axes].sort((p, q) => p - q));
  if (isBigInt(x.dtype) && reduceBigInts(x.data as BigInt64Array, base, red, op, out.data as BigInt64Array)) return out;
  const acc = new Float64Array(base.length);
  const X = isBigInt(x.dtype) ? Float64Array.from(x.toNumbers()) : (x.data as ArrayLike<number> as Float64Array);
  reduceNumbers(X, base, red, op, acc);
  if (isFloat(x.dtype)) (out.data as Float64Array).set(acc);
  else if (isBigInt(x.dtype)) for (let i = 0; i < acc.length; i++) out.data[i] = BigInt(Number.isFinite(acc[i]) ? Math.trunc(acc[i]) : 0);
  else for (let i = 0; i < acc.length; i++) out.data[i] = Math.trunc(acc[i]);
  return out;
}

for (const op of REDUCE_OPS) {
  defineKernel(op, ([x, a], n) => {
    if (x!.dtype === 'bool' && op !== 'ReduceMax' && op !== 'ReduceMin') fail(n, `${op} is not defined for bool`);
    return [reduce(op, x!, a, n)];
  });
}
