// Quantized groups (passes/quantize/README.md): a Fused node whose body is standard ONNX QDQ around one
// MatMul/Gemm —
//     [QuantizeLinear →] DequantizeLinear (x) | Cast → Cast (x) | x          (activation prologue)
//     DequantizeLinear (w_q const, s_w[n]) | Cast (w f16/bf16 const) | w      (weight)
//     MatMul | Gemm  [→ QuantizeLinear (s_y, zp_y) | Cast (f16/bf16) [→ …]]   (epilogue: a chain)
// It runs natively in int8 where the preset's PU has the int8 mode and the pattern is per-tensor u8/i8
// activations × per-output-channel i8 weights (or, attention decode, a per-tensor u8/i8 K/V cache):
// weights stay int8 in the banks, the host quantizes x with
// the group's own QuantizeLinear (or passes the producer's u8 codes on), the PUs accumulate exact int32
// Σ x_q·w_q, and the host reads out: adds the zero-point terms (and, requantizing, the int32 bias), then either
// dequantizes (acc·α·s_x·s_w[n] + β·C, f32) or requantizes to the epilogue's u8/i8 with an integer
// multiplier and shift (src/quant requantize, gemmlowp rounding). Everything else runs in a 16-bit
// format: the host evaluates the prologue with the reference kernels (so the PU sees exactly the values
// the body computes with) and the epilogue on the f32 result; the kernel report names the substitution.
// This file reads the body and picks the precision; qdq-host.ts is the host's side of running it.
import type { Node, Value } from '../../../src/ir/graph/graph.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { FORMATS, is16, type Pim16, type PimFormat } from '../fp.ts';
import type { PimConfig } from '../presets.ts';

const CONVERT = new Set(['QuantizeLinear', 'DequantizeLinear', 'Cast']);
const INT8 = new Set(['i8', 'u8']);

/** Per-tensor u8/i8 activations × per-channel i8 weights (or a per-tensor int8 cache): the int8 mode. */
export interface Int8Gemv {
  /** The body value holding the activation codes (a body input, or the prologue's QuantizeLinear output). */
  readonly xq: Value;
  readonly sx: number;
  /** Zero point in the u8 domain the PU multiplies (i8 codes are shifted by +128 on the host). */
  readonly zx: number;
  readonly signedX: boolean;
  /**
   * The weight codes (a body value bound to an i8 constant, or codes recovered from an f32 constant the
   * graph passes folded out of a DequantizeLinear) and one scale per output column n.
   */
  readonly wq: Value | Tensor;
  readonly sw: Float32Array;
  /** A dynamic u8 cache is stored as s8 (codes − 128): `wShift` is added to every code, `zw` is the
   *  zero point of the stored s8 codes (0 for the symmetric weights). */
  readonly wShift: number;
  readonly zw: number;
  /** The epilogue QuantizeLinear's parameters (integer requantization), or none (f32 read-out). */
  readonly oq?: { readonly s: number; readonly zp: number; readonly lo: number; readonly hi: number };
}

export interface QdqGemv {
  readonly node: Node;
  /** The body's MatMul/Gemm. */
  readonly compute: Node;
  /** What the group asks for: node.quant.precision, else read off the body. */
  readonly requested: string;
  /** The conversions after the MatMul/Gemm, in order, ending in the group's output (often none or one). */
  readonly epilogue: readonly Node[];
  /** Set when the pattern is the int8 one; `int8Why` says why not otherwise. */
  readonly int8?: Int8Gemv;
  readonly int8Why?: string;
}

/** The QDQ structure of a Fused node's body around one MatMul/Gemm, or why it is not one. */
export function matchQdqGemv(node: Node): QdqGemv | string {
  const body = node.body;
  if (!body) return 'not a fused node';
  const computes = body.nodes.filter((n) => n.op === 'MatMul' || n.op === 'Gemm');
  const others = body.nodes.filter((n) => n.op !== 'MatMul' && n.op !== 'Gemm');
  if (computes.length !== 1 || others.some((n) => !CONVERT.has(n.op) || (n.domain ?? '') !== '')) {
    return `fused ${body.nodes.map((n) => n.op).join('+')}: PIM runs a fused node only as QuantizeLinear/DequantizeLinear/Cast around one MatMul or Gemm`;
  }
  const compute = computes[0];
  const y = compute.outputs[0];
  const epilogue: Node[] = [];
  let outV = y;
  while (outV.consumers.length === 1 && CONVERT.has(outV.consumers[0].op) && outV.consumers[0].inputs[0] === outV) {
    epilogue.push(outV.consumers[0]);
    outV = epilogue[epilogue.length - 1].outputs[0];
  }
  if (body.outputs.length !== 1 || body.outputs[0] !== outV || outV.consumers.length > 0 || epilogue[0]?.op === 'DequantizeLinear') {
    return 'the fused body must end in its MatMul/Gemm, or a chain of QuantizeLinear/DequantizeLinear/Cast after it';
  }
  if (others.some((n) => !epilogue.includes(n) && dependsOn(n, compute))) return 'the conversions after the MatMul/Gemm must form one chain';
  if (!compute.inputs[1]) return 'both operands are needed';
  const int8 = matchInt8(node, compute, epilogue[0]);
  const requested = node.quant?.precision ?? inferPrecision(compute, epilogue[0], typeof int8 !== 'string');
  return { node, compute, requested, epilogue, ...(typeof int8 === 'string' ? { int8Why: int8 } : { int8 }) };
}

/** The precision a kernel runs in on `cfg`, and why when it is not the one asked for. */
export function choosePrecision(cfg: PimConfig, requested: string, variant: Pim16, int8Why?: string): { fmt: PimFormat; note?: string } {
  const has = (f: PimFormat) => cfg.formats.includes(f);
  const native16 = has(variant) ? variant : cfg.formats.find(is16)!;
  if (requested === 'int8') {
    if (has('int8') && !int8Why) return { fmt: 'int8' };
    return { fmt: native16, note: has('int8') ? `int8 pattern not native here: ${int8Why}` : `the ${cfg.name} PU has no int8 mode` };
  }
  if ((FORMATS as readonly string[]).includes(requested)) {
    return has(requested as Pim16) ? { fmt: requested as Pim16 } : { fmt: native16, note: `the ${cfg.name} PU has no ${requested}` };
  }
  return requested === 'fp32' ? { fmt: native16 } : { fmt: native16, note: `${requested} is not a PU format: weights decoded on the host` };
}

/** The kernel report's precision: what ran first (the quantizer's report reads the first word). */
export function precisionLabel(fmt: PimFormat, requested: string, note: string | undefined, q: QdqGemv | undefined): string {
  const how = fmt === 'int8' ? ` (s8 in the banks × u8 through the global buffer, int32 accumulate; host ${q?.int8?.oq ? 'requantizes' : 'dequantizes'} at read-out)` : '';
  return note ? `${fmt} (requested ${requested}: ${note})` : `${fmt}${how}`;
}

/** The constant bound to a body value: its own, or the Fused node's input at the same position. */
function constOf(node: Node, v: Value): Tensor | undefined {
  if (v.constant) return v.constant;
  const i = node.body!.inputs.indexOf(v);
  return i >= 0 ? node.inputs[i]?.constant : undefined;
}

function dependsOn(n: Node, on: Node): boolean {
  return n.inputs.some((v) => !!v?.producer && (v.producer === on || dependsOn(v.producer, on)));
}

function inferPrecision(compute: Node, epilogue: Node | undefined, int8: boolean): string {
  const dx = compute.inputs[0]?.producer;
  if (int8 || (dx?.op === 'DequantizeLinear' && INT8.has(dx.inputs[0]!.type.dtype))) return 'int8';
  const w = compute.inputs[1]!.producer;
  const narrow = w && w.op === 'Cast' ? w.inputs[0]!.type.dtype : epilogue?.op === 'Cast' ? epilogue.outputs[0].type.dtype : undefined;
  return narrow === 'f16' ? 'fp16' : narrow === 'bf16' ? 'bf16' : 'fp32';
}

const scalar = (t: Tensor | undefined): number | undefined => (t && t.size === 1 ? t.toF32()[0] : undefined);

/** Per-tensor int8 codes behind a DequantizeLinear: an activation, or a dynamic K/V cache. */
function perTensorCodes(node: Node, dq: Node | null, what: string): { q: Value; s: number; zp: number; signed: boolean } | string {
  if (!dq || dq.op !== 'DequantizeLinear') return `the ${what} is not dequantized from int8`;
  const q = dq.inputs[0]!;
  if (!INT8.has(q.type.dtype)) return `the ${what} codes are ${q.type.dtype}`;
  if (q.producer && (q.producer.op !== 'QuantizeLinear' || q.producer.inputs[0]!.producer)) return `the ${what} codes come from another conversion`;
  const s = scalar(constOf(node, dq.inputs[1]!)), zp = dq.inputs[2] ? scalar(constOf(node, dq.inputs[2])) : 0;
  if (s === undefined || zp === undefined) return `the ${what} scale is not one constant (per-tensor)`;
  return { q, s, zp, signed: q.type.dtype === 'i8' };
}

function matchInt8(node: Node, compute: Node, epilogue: Node | undefined): Int8Gemv | string {
  const x = perTensorCodes(node, compute.inputs[0]?.producer ?? null, 'activation');
  if (typeof x === 'string') return x;
  const w = int8Weight(node, compute);
  if (typeof w === 'string') return w;
  const K = kOf(compute);
  if (K * 255 * 128 >= 2 ** 31) return `K = ${K} could overflow the int32 accumulators`;
  let oq: Int8Gemv['oq'];
  if (epilogue?.op === 'QuantizeLinear') {
    const s = scalar(constOf(node, epilogue.inputs[1]!)), ozp = epilogue.inputs[2] ? scalar(constOf(node, epilogue.inputs[2])) : 0;
    const dt = epilogue.outputs[0].type.dtype;
    if (s === undefined || ozp === undefined || !INT8.has(dt)) return 'the output QuantizeLinear is not per-tensor int8';
    oq = { s, zp: ozp, lo: dt === 'u8' ? 0 : -128, hi: dt === 'u8' ? 255 : 127 };
  }
  return { xq: x.q, sx: x.s, zx: x.zp + (x.signed ? 128 : 0), signedX: x.signed, ...w, ...(oq ? { oq } : {}) };
}

/** The int8 weight: the body's DequantizeLinear of i8 codes, or recovered from a folded f32 constant. */
function int8Weight(node: Node, compute: Node): Pick<Int8Gemv, 'wq' | 'sw' | 'wShift' | 'zw'> | string {
  const dw = compute.inputs[1]!.producer;
  if (!dw) {
    const t = constOf(node, compute.inputs[1]!);
    const r = t && t.dtype === 'f32' ? recoverInt8(t, nAxisOf(compute, t.shape.length)) : undefined;
    return r ? { ...r, wShift: 0, zw: 0 } : 'the weight is not a per-channel int8 DequantizeLinear';
  }
  if (dw.op === 'DequantizeLinear' && !constOf(node, dw.inputs[0]!)) {
    // A dynamic resident matrix (the K/V cache of attention decode): per-tensor codes, stored as s8.
    const c = perTensorCodes(node, dw, 'cache');
    if (typeof c === 'string') return c;
    const shape = dw.inputs[0]!.type.shape as number[];
    return { wq: c.q, sw: new Float32Array(shape[nAxisOf(compute, shape.length)]).fill(c.s), wShift: c.signed ? 0 : -128, zw: c.zp - (c.signed ? 0 : 128) };
  }
  if (dw.op !== 'DequantizeLinear' || dw.inputs[0]!.type.dtype !== 'i8' || dw.attr.int('block_size', 0) !== 0) return 'the weight is not a per-channel int8 DequantizeLinear';
  const wq = dw.inputs[0]!, swT = constOf(node, dw.inputs[1]!), zw = dw.inputs[2] ? constOf(node, dw.inputs[2]) : undefined;
  if (!constOf(node, wq) || !swT || (zw && zw.toF32().some((z) => z !== 0))) return 'the int8 weight needs constant codes and scales, zero point 0';
  const sw = channelScales(compute, dw, swT);
  return typeof sw === 'string' ? sw : { wq, sw, wShift: 0, zw: 0 };
}

const recovered = new WeakMap<Tensor, { wq: Tensor; sw: Float32Array } | null>();

/**
 * The frontend's constant folding turns DequantizeLinear(w_q: i8, s[n]) into f32 values w_q·s. Symmetric
 * per-channel int8 (the quantizers' and onnxruntime's) has max|w_q| = 127 in every channel, so s' =
 * max|w|/127 gives back integer codes; s' may differ from s in the last bit (a 1e-7 relative change).
 * Anything else (an f32 weight that was never int8) fails the integer check and runs in 16 bits.
 */
function recoverInt8(t: Tensor, nAxis: number): { wq: Tensor; sw: Float32Array } | undefined {
  if (recovered.has(t)) return recovered.get(t) ?? undefined;
  const d = t.toF32(), N = t.shape[nAxis], inner = t.shape.slice(nAxis + 1).reduce((a, b) => a * b, 1);
  const ch = (i: number) => Math.floor(i / inner) % N;
  const amax = new Float32Array(N);
  for (let i = 0; i < d.length; i++) amax[ch(i)] = Math.max(amax[ch(i)], Math.abs(d[i]));
  const sw = amax.map((a) => Math.fround(a / 127) || 1);
  const codes = new Int8Array(d.length);
  let ok = true;
  for (let i = 0; i < d.length && ok; i++) {
    const q = d[i] / sw[ch(i)], r = Math.round(q);
    ok = Math.abs(q - r) < 1e-3;
    codes[i] = r;
  }
  const r = ok ? { wq: new Tensor('i8', t.shape, codes), sw } : null;
  recovered.set(t, r);
  return r ?? undefined;
}

const nAxisOf = (compute: Node, rank: number): number => (compute.op === 'Gemm' && compute.attr.int('transB', 0) ? rank - 2 : rank - 1);

/** The reduction length of the compute node. */
function kOf(compute: Node): number {
  const a = compute.inputs[0]!.type.shape as number[];
  return compute.op === 'Gemm' && compute.attr.int('transA', 0) ? a[0] : a[a.length - 1];
}

/** One weight scale per output column n, from a per-tensor or per-axis (the N axis) scale. */
function channelScales(compute: Node, dw: Node, s: Tensor): Float32Array | string {
  const shape = dw.inputs[0]!.type.shape as number[];
  const nAxis = nAxisOf(compute, shape.length);
  const N = shape[nAxis], v = s.toF32();
  if (v.length === 1) return new Float32Array(N).fill(v[0]);
  const axis = dw.attr.int('axis', 1);
  if ((axis + shape.length) % shape.length !== nAxis || v.length !== N) return 'the weight scales are not per output channel';
  return Float32Array.from(v);
}
