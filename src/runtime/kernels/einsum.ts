// Einsum, in general: each operand first loses repeated labels (diagonals) and labels nobody else
// needs (summed); then operands are contracted left to right, each pair as one batched matrix
// product [batch, kept-left, contracted] × [batch, contracted, kept-right]; finally the result is
// permuted into the output order.
import { parseEinsum } from '../../ir/graph/ops/einsum-eq.ts';
import { sizeOf, stridesOf } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { type FloatArray, allocLike, batchedMatmul, floatData, fromFloat, guardSize } from './gemm-core.ts';
import { broadcastShape, fail } from './util.ts';

interface Operand { readonly data: FloatArray; readonly shape: readonly number[]; readonly labels: readonly string[] }

/** Reads data at `strides` (one per output dim, may repeat or be 0) into a new dense array of `shape`. */
function gather(src: FloatArray, shape: readonly number[], strides: readonly number[]): FloatArray {
  const n = sizeOf(shape), out = allocLike(src, n), rank = shape.length;
  if (n === 0) return out;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = src[off];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) { off += strides[d]; break; }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

/** The operand with its dims in the order of `labels` (a subset-free permutation of its labels). */
function permute(op: Operand, labels: readonly string[]): Operand {
  if (labels.every((l, i) => op.labels[i] === l)) return op;
  const st = stridesOf(op.shape);
  const pos = labels.map((l) => op.labels.indexOf(l));
  const shape = pos.map((p) => op.shape[p]);
  return { data: gather(op.data, shape, pos.map((p) => st[p])), shape, labels };
}

/** Takes the diagonal over repeated labels: strides of equal labels add up. */
function diagonal(node: KernelNode, op: Operand): Operand {
  const labels = [...new Set(op.labels)];
  if (labels.length === op.labels.length) return op;
  const st = stridesOf(op.shape);
  const shape = labels.map(() => -1), strides = labels.map(() => 0);
  op.labels.forEach((l, i) => {
    const u = labels.indexOf(l);
    if (shape[u] >= 0 && shape[u] !== op.shape[i]) fail(node, `einsum label "${l}" has sizes ${shape[u]} and ${op.shape[i]} in one operand`);
    shape[u] = op.shape[i];
    strides[u] += st[i];
  });
  return { data: gather(op.data, shape, strides), shape, labels };
}

/** Sums the operand over every label not in `keep`. */
function sumExcept(op: Operand, keep: ReadonlySet<string>): Operand {
  const kept = op.labels.filter((l) => keep.has(l));
  if (kept.length === op.labels.length) return op;
  const p = permute(op, [...kept, ...op.labels.filter((l) => !keep.has(l))]);
  const shape = kept.map((l) => p.shape[p.labels.indexOf(l)]);
  const n = sizeOf(shape), inner = n === 0 ? 0 : p.data.length / n, out = allocLike(p.data, n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * inner; j < (i + 1) * inner; j++) s += p.data[j];
    out[i] = s;
  }
  return { data: out, shape, labels: kept };
}

const sizeIn = (op: Operand, l: string): number => op.shape[op.labels.indexOf(l)];

/** Contracts two operands, keeping the labels in `keep`. */
function contract(node: KernelNode, a0: Operand, b0: Operand, keep: ReadonlySet<string>): Operand {
  const inB = new Set(b0.labels);
  let a = sumExcept(a0, new Set([...keep, ...b0.labels]));
  let b = sumExcept(b0, new Set([...keep, ...a.labels]));
  // A contracted label of size 1 on one side broadcasts: Σₖ a·b[k] = (Σ a)(Σₖ b[k]), so sum each side alone.
  const lone = a.labels.filter((l) => inB.has(l) && !keep.has(l) && sizeIn(a, l) !== sizeIn(b, l));
  for (const l of lone) if (Math.min(sizeIn(a, l), sizeIn(b, l)) !== 1) fail(node, `einsum label "${l}" has sizes ${sizeIn(a, l)} and ${sizeIn(b, l)}`);
  if (lone.length > 0) {
    a = sumExcept(a, new Set(a.labels.filter((l) => !lone.includes(l))));
    b = sumExcept(b, new Set(b.labels.filter((l) => !lone.includes(l))));
  }
  const both = new Set(b.labels.filter((l) => a.labels.includes(l)));
  const batch = a.labels.filter((l) => both.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => both.has(l) && !keep.has(l));
  const left = a.labels.filter((l) => !both.has(l)), right = b.labels.filter((l) => !both.has(l));
  const pa = permute(a, [...batch, ...left, ...summed]), pb = permute(b, [...batch, ...summed, ...right]);
  const prod = (op: Operand, ls: string[]) => ls.reduce((n, l) => n * sizeIn(op, l), 1);
  const M = prod(pa, left), K = prod(pa, summed), N = prod(pb, right);
  const aBatch = batch.map((l) => sizeIn(pa, l)), bBatch = batch.map((l) => sizeIn(pb, l));
  const outBatch = broadcastShape(node, [aBatch, bBatch]);
  const shape = [...outBatch, ...left.map((l) => sizeIn(pa, l)), ...right.map((l) => sizeIn(pb, l))];
  guardSize(node, shape);
  const data = batchedMatmul(pa.data, [...aBatch, M, K], pb.data, [...bBatch, K, N], outBatch);
  return { data, shape, labels: [...batch, ...left, ...right] };
}

defineKernel('Einsum', (inputs, node) => {
  const ts = inputs.map((t, i) => t ?? fail(node, `input ${i} is required`));
  if (ts.length === 0) fail(node, 'needs at least one input');
  const f = (msg: string): never => fail(node, msg);
  const spec = parseEinsum(node.attr.string('equation'), ts.map((t) => t.rank), f);
  const ops = ts.map((t, i) => diagonal(node, { data: floatData(t), shape: t.shape, labels: spec.inputs[i] }));
  const needed = (from: number) => new Set([...spec.output, ...ops.slice(from).flatMap((o) => o.labels)]);
  let acc = sumExcept(ops[0], needed(1));
  for (let i = 1; i < ops.length; i++) acc = contract(node, acc, ops[i], needed(i + 1));
  const out = permute(acc, spec.output);
  return [fromFloat(ts[0].dtype, out.shape, out.data)];
});
