// Which graph nodes PIM runs, and how each becomes GEMV problems or an element-wise job. MatMul and
// Gemm become one GEMV per batch index (the second operand is the matrix resident in the banks: a
// weight, or a K/V cache for attention decode); Add and Mul become element-wise jobs (broadcast is a
// gather on the host side). A quantized group (a Fused node: QDQ around one MatMul/Gemm, qdq.ts) runs
// its MatMul/Gemm here too. Everything else is left to other targets.
import type { Node } from '../../../src/ir/graph/graph.ts';
import type { Support } from '../../target.ts';
import type { GemvProblem, Strided } from '../layout.ts';
import { is16 } from '../fp.ts';
import type { PimConfig } from '../presets.ts';
import { matchQdqGemv } from './qdq.ts';

export const PIM_OPS = ['MatMul', 'Gemm', 'Add', 'Mul'];
const FLOAT = ['f32', 'f16', 'bf16'];

const shapeOf = (v: { type: { shape: readonly (number | string)[] } }): number[] | undefined =>
  v.type.shape.every((d) => typeof d === 'number') ? (v.type.shape as number[]) : undefined;

export function pimSupports(node: Node, cfg: PimConfig): Support {
  if (node.body) return quantizedSupports(node, cfg);
  if (!PIM_OPS.includes(node.op) || (node.domain ?? '') !== '') {
    return { ok: false, reason: `PIM runs only ${PIM_OPS.join(', ')} (GEMV, batched GEMV, attention decode, element-wise); place ${node.op} on another target` };
  }
  for (const v of [...node.inputs, ...node.outputs]) {
    if (!v) continue;
    if (!FLOAT.includes(v.type.dtype)) return { ok: false, reason: `PIM computes in fp16/bf16, "${v.name}" is ${v.type.dtype}` };
    if (!shapeOf(v)) return { ok: false, reason: `"${v.name}" has a symbolic shape; bind it with --shape` };
  }
  if (node.op === 'MatMul' || node.op === 'Gemm') {
    const probs = gemvProblems(node);
    if (typeof probs === 'string') return { ok: false, reason: probs };
    const M = probs[0]?.M ?? 1;
    if (M > cfg.accumulators) {
      return { ok: false, reason: `M = ${M} rows: PIM runs GEMV and batched GEMV with M ≤ ${cfg.accumulators} (the PU's accumulators)` };
    }
  }
  // int8 (given as QDQ around the node): GEMVs only; element-wise ops stay 16-bit.
  const int8 = node.op === 'MatMul' || node.op === 'Gemm';
  return { ok: true, precisions: cfg.formats.filter((f) => is16(f) || int8) };
}

/** A Fused node: only the quantizer's QDQ form around one GEMV-shaped MatMul/Gemm. */
function quantizedSupports(node: Node, cfg: PimConfig): Support {
  const q = matchQdqGemv(node);
  if (typeof q === 'string') return { ok: false, reason: q === 'not a fused node' ? q : `${q} (fused nodes are not mapped to PIM commands otherwise)` };
  const c = q.compute;
  for (const v of [...c.inputs, ...c.outputs]) if (v && !shapeOf(v)) return { ok: false, reason: `"${v.name}" has a symbolic shape; bind it with --shape` };
  const probs = gemvProblems(c);
  if (typeof probs === 'string') return { ok: false, reason: probs };
  const M = probs[0]?.M ?? 1;
  if (M > cfg.accumulators) return { ok: false, reason: `M = ${M} rows: PIM runs GEMV and batched GEMV with M ≤ ${cfg.accumulators} (the PU's accumulators)` };
  // What it can run: int8 natively where the PU has the mode and the body is the int8 pattern; any
  // other precision runs in a 16-bit format (the kernel report says which).
  return { ok: true, precisions: cfg.formats.filter((f) => is16(f) || !q.int8Why) };
}

/** The node's GEMVs, or why it has none (a message). */
export function gemvProblems(node: Node): GemvProblem[] | string {
  const [a, b, c] = node.inputs.map((v) => (v ? shapeOf(v)! : undefined));
  const y = shapeOf(node.outputs[0])!;
  if (!a || !b) return 'both operands are needed';
  if (node.op === 'Gemm') {
    const tA = node.attr.int('transA', 0), tB = node.attr.int('transB', 0);
    const alpha = node.attr.float('alpha', 1), beta = node.attr.float('beta', 1);
    const [M, K] = tA ? [a[1], a[0]] : [a[0], a[1]];
    const N = tB ? b[0] : b[1];
    const bias = c ? gemmBias(c, beta) : undefined;
    return [{
      M, N, K,
      x: { input: 0, off: 0, s0: tA ? 1 : K, s1: tA ? M : 1, scale: alpha },
      w: { input: 1, off: 0, s0: tB ? K : 1, s1: tB ? 1 : N, scale: 1 },
      bias, y: { input: -1, off: 0, s0: N, s1: 1, scale: 1 },
    }];
  }
  if (b.length < 2) return 'the second MatMul operand is a vector: PIM keeps a matrix resident (swap the operands)';
  const M = a.length === 1 ? 1 : a[a.length - 2], K = a[a.length - 1], N = b[b.length - 1];
  const batch = y.slice(0, y.length - (a.length === 1 ? 1 : 2));
  const aB = a.slice(0, Math.max(0, a.length - 2)), bB = b.slice(0, b.length - 2);
  const out: GemvProblem[] = [];
  const total = batch.reduce((p, d) => p * d, 1);
  for (let i = 0; i < total; i++) {
    const idx = unflatten(i, batch);
    out.push({
      M, N, K,
      x: { input: 0, off: broadcastOffset(idx, aB) * M * K, s0: K, s1: 1, scale: 1 },
      w: { input: 1, off: broadcastOffset(idx, bB) * K * N, s0: 1, s1: N, scale: 1 },
      y: { input: -1, off: i * M * N, s0: N, s1: 1, scale: 1 },
    });
  }
  return out;
}

function gemmBias(c: number[], beta: number): Strided {
  // C broadcasts unidirectionally to [M, N]: rank 0, [N], [1, N], [M, 1] or [M, N].
  const cN = c.length >= 1 ? c[c.length - 1] : 1, cM = c.length === 2 ? c[0] : 1;
  return { input: 2, off: 0, s0: cM === 1 ? 0 : cN, s1: cN === 1 ? 0 : 1, scale: beta };
}

export function unflatten(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return idx;
}

/** Flat offset (in units of one trailing matrix) of a broadcast batch index into a batch shape. */
function broadcastOffset(idx: readonly number[], shape: readonly number[]): number {
  let off = 0;
  const lead = idx.length - shape.length;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
  return off;
}

/** For element-wise ops: the flat source index of each output element of a broadcast operand. */
export function broadcastIndex(out: readonly number[], src: readonly number[]): Int32Array {
  const n = out.reduce((p, d) => p * d, 1);
  const map = new Int32Array(n);
  const lead = out.length - src.length;
  const strides = src.map((_, d) => src.slice(d + 1).reduce((p, x) => p * x, 1));
  for (let i = 0; i < n; i++) {
    const idx = unflatten(i, out);
    let o = 0;
    for (let d = 0; d < src.length; d++) if (src[d] !== 1) o += idx[lead + d] * strides[d];
    map[i] = o;
  }
  return map;
}
