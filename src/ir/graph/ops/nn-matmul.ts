// Shape rules of matrix products: MatMul (numpy semantics), MatMulInteger, Gemm and Einsum.
import type { DType } from '../dtype.ts';
import type { Dim } from '../graph.ts';
import { parseEinsum } from './einsum-eq.ts';
import { broadcastShapes, defineOp, tt, type InferCtx } from './registry.ts';

/** Two dims that must be equal; returns the better-known one. */
function unify(c: InferCtx, a: Dim, b: Dim, what: string): Dim {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) c.fail(`${what}: ${a} vs ${b}`);
  return typeof a === 'number' ? a : b;
}

/** numpy.matmul: 1-D operands gain (then lose) a unit dim; leading dims broadcast. */
export function matmulShape(c: InferCtx, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) c.fail('operands of a matrix product must have rank ≥ 1');
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  unify(c, a2[a2.length - 1], b2[b2.length - 2], `inner dimensions of [${a}] and [${b}] differ`);
  const batch = broadcastShapes(c, [a2.slice(0, -2), b2.slice(0, -2)]);
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

defineOp({
  name: 'MatMul',
  infer: (c) => {
    const a = c.input(0), b = c.input(1);
    if (a.dtype !== b.dtype) c.fail(`input types differ: ${a.dtype} and ${b.dtype}`);
    return [tt(a.dtype, matmulShape(c, a.shape, b.shape))];
  },
});

const INT8: readonly DType[] = ['u8', 'i8'];

defineOp({
  name: 'MatMulInteger',
  infer: (c) => {
    const a = c.input(0), b = c.input(1);
    if (!INT8.includes(a.dtype) || !INT8.includes(b.dtype)) c.fail(`inputs must be u8 or i8, got ${a.dtype} and ${b.dtype}`);
    for (const [i, x] of [[2, a], [3, b]] as const) {
      const z = c.inputs[i];
      if (z && z.dtype !== x.dtype) c.fail(`zero point ${i} must be ${x.dtype}, got ${z.dtype}`);
    }
    return [tt('i32', matmulShape(c, a.shape, b.shape))];
  },
});

defineOp({
  name: 'Gemm',
  infer: (c) => {
    const a = c.input(0), b = c.input(1);
    if (a.shape.length !== 2 || b.shape.length !== 2) c.fail(`A and B must be 2-D, got [${a.shape}] and [${b.shape}]`);
    if (a.dtype !== b.dtype) c.fail(`input types differ: ${a.dtype} and ${b.dtype}`);
    const [m, ka] = c.attr.int('transA', 0) ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [kb, n] = c.attr.int('transB', 0) ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    unify(c, ka, kb, 'inner dimensions of A and B differ');
    // C broadcasts one way onto [M, N].
    const s = c.inputs[2]?.shape ?? [];
    const target = [m, n].slice(2 - s.length);
    if (s.length > 2 || s.some((d, i) => typeof d === 'number' && d !== 1 && typeof target[i] === 'number' && d !== target[i])) {
      c.fail(`C of shape [${s}] does not broadcast to [${m}, ${n}]`);
    }
    return [tt(a.dtype, [m, n])];
  },
});

defineOp({
  name: 'Einsum',
  infer: (c) => {
    const ts = c.inputs.map((_, i) => c.input(i));
    if (ts.length === 0) c.fail('needs at least one input');
    for (const t of ts) if (t.dtype !== ts[0].dtype) c.fail(`input types differ: ${ts[0].dtype} and ${t.dtype}`);
    const spec = parseEinsum(c.attr.string('equation'), ts.map((t) => t.shape.length), c.fail);
    const size = new Map<string, Dim>();
    spec.inputs.forEach((labels, i) => labels.forEach((l, k) => {
      const d = ts[i].shape[k], prev = size.get(l);
      if (prev === undefined) size.set(l, d);
      else if (l.startsWith('.') && (prev === 1 || d === 1)) size.set(l, prev === 1 ? d : prev); // broadcast dims
      else size.set(l, unify(c, prev, d, `einsum label "${l}" has different sizes`));
    }));
    return [tt(ts[0].dtype, spec.output.map((l) => size.get(l)!))];
  },
});
