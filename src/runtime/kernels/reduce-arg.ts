// Reference kernels of index-returning reductions: ArgMax, ArgMin, TopK.
import { Tensor } from '../../ir/graph/tensor.ts';
import { defineKernel } from '../kernel.ts';
import { fail, normAxis } from './util.ts';
import { around, cells, like } from './tensor-util.ts';

for (const op of ['ArgMax', 'ArgMin']) {
  defineKernel(op, ([x], n) => {
    const axis = normAxis(n, n.attr.int('axis', 0), x!.rank);
    const keep = n.attr.int('keepdims', 1) === 1, last = n.attr.int('select_last_index', 0) === 1;
    const { outer, dim, inner } = around(x!.shape, axis);
    if (dim === 0) fail(n, `cannot take ${op} over an empty axis`);
    const shape = keep ? x!.shape.map((d, i) => (i === axis ? 1 : d)) : x!.shape.filter((_, i) => i !== axis);
    const out = new Tensor('i64', shape);
    const X = cells(x!), O = out.data as BigInt64Array, max = op === 'ArgMax';
    // Comparisons work on number and bigint cells alike.
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const b = o * dim * inner + k;
        let best = X[b], at = 0;
        for (let j = 1; j < dim; j++) {
          const v = X[b + j * inner];
          const better = max ? v > best : v < best;
          if (better || (last && v === best)) { best = v; at = j; }
        }
        O[o * inner + k] = BigInt(at);
      }
    }
    return [out];
  });
}

defineKernel('TopK', ([x, kT], n) => {
  const axis = normAxis(n, n.attr.int('axis', -1), x!.rank);
  if (!kT || kT.size !== 1) fail(n, 'K must hold one value');
  const k = kT.toNumbers()[0];
  const largest = n.attr.int('largest', 1) === 1;
  const { outer, dim, inner } = around(x!.shape, axis);
  if (!Number.isInteger(k) || k < 0 || k > dim) fail(n, `k = ${k} must be in [0, ${dim}]`);
  const shape = x!.shape.map((d, i) => (i === axis ? k : d));
  const values = like(n, x!, shape), indices = new Tensor('i64', shape);
  if (values.size === 0) return [values, indices];
  const X = cells(x!), V = cells(values), I = indices.data as BigInt64Array;
  const lane = new Float64Array(dim), order = Array.from({ length: dim }, (_, j) => j);
  // Stable order: by value (descending for largest), ties by the lower index, like onnxruntime.
  // sorted=0 leaves the order unspecified; we return the sorted order (onnxruntime's is heap order).
  const cmp = largest ? (p: number, q: number) => lane[q] - lane[p] || p - q : (p: number, q: number) => lane[p] - lane[q] || p - q;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const b = o * dim * inner + c;
      for (let j = 0; j < dim; j++) { lane[j] = Number(X[b + j * inner]); order[j] = j; }
      order.sort(cmp);
      for (let j = 0; j < k; j++) {
        const p = (o * k + j) * inner + c;
        V[p] = X[b + order[j] * inner];
        I[p] = BigInt(order[j]);
      }
    }
  }
  return [values, indices];
});
