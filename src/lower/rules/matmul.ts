// Matrix products: MatMul (numpy semantics: 1-D operands, broadcast batch dims), Gemm (transposes,
// alpha, beta, broadcast C), MatMulInteger (zero points) and Einsum (output labels are loops, the
// other labels are reduction axes).
import { parseEinsum } from '../../ir/graph/ops/einsum-eq.ts';
import { type Expr, type Var, add, cast, int, mul, sub } from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import type { TeTensor } from '../te.ts';
import { bcast, k } from './util.ts';

/** The batch part of an operand's index, right-aligned against the output's batch index. */
function batchIndex(shape: readonly number[], rank: number, batch: readonly Expr[]): Expr[] {
  const off = batch.length - rank;
  return shape.slice(0, rank).map((d, i) => (d === 1 ? int(0) : batch[off + i]));
}

/** out[batch, m, n] = Σ_k a[batch, m, k] · b[batch, k, n], with `value` applied to each operand element. */
function matmul(c: RuleCtx, a: TeTensor, b: TeTensor, value: (x: Expr, side: 0 | 1, idx: Expr[]) => Expr, name: string): TeTensor {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra === 0 || rb === 0) c.fail('operands of a matrix product must have rank ≥ 1');
  const K = a.shape[ra - 1];
  if (K !== b.shape[rb === 1 ? 0 : rb - 2]) c.fail(`inner dimensions of [${a.shape}] and [${b.shape}] differ`);
  const out = c.outShape();
  const nb = out.length - (ra > 1 ? 1 : 0) - (rb > 1 ? 1 : 0);
  return c.compute(name, out, (i) => {
    const rk = c.reduceAxis(K, 'k').v;
    const batch = i.slice(0, nb);
    const ai = ra === 1 ? [rk] : [...batchIndex(a.shape, ra - 2, batch), i[nb], rk];
    const bi = rb === 1 ? [rk] : [...batchIndex(b.shape, rb - 2, batch), rk, i[out.length - 1]];
    return c.reduce('sum', [{ v: rk, extent: K }], mul(value(a.at(ai), 0, ai), value(b.at(bi), 1, bi)));
  });
}

const matMulRule: Rule = (c) => [matmul(c, c.input(0), c.input(1), (x) => x, 'matmul')];

const gemmRule: Rule = (c) => {
  const a = c.input(0), b = c.input(1);
  if (a.shape.length !== 2 || b.shape.length !== 2) c.fail(`A and B must be 2-D, got [${a.shape}] and [${b.shape}]`);
  const ta = c.attr.int('transA', 0) !== 0, tb = c.attr.int('transB', 0) !== 0;
  const alpha = c.attr.float('alpha', 1), beta = c.attr.float('beta', 1);
  const [M, K] = ta ? [a.shape[1], a.shape[0]] : a.shape;
  const [K2, N] = tb ? [b.shape[1], b.shape[0]] : b.shape;
  if (K !== K2) c.fail(`inner dimensions of A [${a.shape}] and B [${b.shape}] differ`);
  const prod = c.compute('gemm', [M, N], ([m, n]: Var[]) => {
    const rk = c.reduceAxis(K, 'k');
    const av = a.at(ta ? [rk.v, m] : [m, rk.v]), bv = b.at(tb ? [n, rk.v] : [rk.v, n]);
    return c.reduce('sum', [rk], mul(av, bv));
  });
  const bias = c.has(2) && beta !== 0 ? c.input(2) : undefined;
  return [c.compute('gemm_out', [M, N], (i) => {
    const v = mul(prod.at(i), k(alpha, prod.dtype));
    return bias ? add(v, mul(k(beta, v), bcast(bias, i))) : v;
  })];
};

/** A − zero point in i32; a 1-D zero point of A with one value per row applies per row. */
const matMulIntegerRule: Rule = (c) => {
  const zp = (i: number, perRow: boolean) => {
    if (!c.has(i)) return undefined;
    const z = c.input(i), x = c.input(i - 2);
    return (idx: Expr[]) => (perRow && z.shape.length === 1 && z.shape[0] > 1 && x.shape.length >= 2
      ? z.at([idx[idx.length - 2]]) : bcast(z, idx));
  };
  const za = zp(2, true), zb = zp(3, false);
  return [matmul(c, c.input(0), c.input(1), (x, side, idx) => {
    const z = side === 0 ? za : zb;
    const v = cast('i32', x);
    return z ? sub(v, cast('i32', z(idx))) : v;
  }, 'matmul_integer')];
};

const einsumRule: Rule = (c) => {
  const ins = Array.from({ length: c.inputCount }, (_, i) => c.input(i));
  const spec = parseEinsum(c.attr.string('equation'), ins.map((t) => t.shape.length), (m) => c.fail(m));
  const size = new Map<string, number>();
  spec.inputs.forEach((labels, j) => labels.forEach((l, d) => {
    const n = ins[j].shape[d];
    if (n !== 1 || !size.has(l)) size.set(l, Math.max(n, size.get(l) ?? 1));
  }));
  const summed = [...size.keys()].filter((l) => !spec.output.includes(l));
  return [c.compute('einsum', c.outShape(), (i) => {
    const red = summed.map((l) => c.reduceAxis(size.get(l)!, 'e'));
    const at = new Map<string, Expr>([...spec.output.map((l, d) => [l, i[d]] as const), ...summed.map((l, d) => [l, red[d].v] as const)]);
    const terms = ins.map((t, j) => t.at(spec.inputs[j].map((l, d) => (t.shape[d] === 1 ? int(0) : at.get(l)!))));
    const product = terms.reduce((p, q) => mul(p, q));
    return red.length ? c.reduce('sum', red, product) : product;
  })];
};

export const MATMUL_RULES: Record<string, Rule> = {
  MatMul: matMulRule,
  Gemm: gemmRule,
  MatMulInteger: matMulIntegerRule,
  Einsum: einsumRule,
};
