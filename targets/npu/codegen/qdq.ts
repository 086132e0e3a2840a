// Precision from the graph (ONNX QDQ, as passes/quantize writes it): int8 tensors live in DRAM as
// int8, and the pattern
//     DequantizeLinear(x_q: i8, s_x, zp_x) ─┐
//     DequantizeLinear(w_q: i8 const, s_w[c]) ─ Conv | MatMul | Gemm (+ bias) [→ Relu | Clip] [→ QuantizeLinear(s_y, zp_y)]
// runs natively: int8 operands straight from DRAM (im2col pads with zp_x), int32 accumulation, and
// vec.requant with the GIVEN scales as integer multiplier + shift per output channel:
//     q_y = clamp(zp_y + round((acc + bias_q[c]) · M[c]·2^(shift[c]−31)), lo, hi)
//     bias_q[c] = round(b[c] / (s_x·s_w[c])) − zp_x·Σ_k w_q[c,k]      (the input zero point, folded)
//     M·2^(shift−31) ≈ s_x·s_w[c] / s_y;  Relu/Clip become the clamp bounds (Q is monotone).
// Without a following QuantizeLinear the requant writes f16 ((acc + bias_q)·s_x·s_w[c]) and any
// activation follows in f16. Everything else of a QDQ graph runs as today in f16: standalone
// QuantizeLinear / DequantizeLinear become vector layers (vec.quant / vec.dequant), and DequantizeLinear
// or Cast of an initializer (fp8, int4 blocks, fp16/bf16 weights, int8 weights of a layer that is not
// native) is evaluated at compile time by the reference kernels — those layers compute in f16.
import type { Node, Value } from '../../../src/ir/graph/graph.ts';
import { kernelNode, runKernel } from '../../../src/runtime/evaluate.ts';
import { VF } from '../isa.ts';
import type { Ctx, Mapped } from './context.ts';
import { isDirect, type ConvGeom } from './conv.ts';
import { depthwiseVector } from './array-layers.ts';
import { emitConv } from './conv.ts';
import { emitMatmul } from './matmul.ts';
import { FOLDED } from './layout.ts';
import { NotMapped, constNumbers, isFloat, shapeOf, sizeOf } from './nodes.ts';
import { contiguousStrides, pieces } from './pieces.ts';
import { emitElementwise } from './vector.ts';
import { convSchedule } from './array-layers.ts';
import { defaultGemm, gemmSpace } from './schedule.ts';
import type { Emitter } from './emitter.ts';
import type { Epilogue } from './epilogue.ts';

/** DequantizeLinear / Cast whose inputs are all constants: evaluated now, no code. */
export function foldConstant(ctx: Ctx, n: Node): boolean {
  if (n.op !== 'DequantizeLinear' && n.op !== 'Cast') return false;
  const ins = n.inputs.map((v) => (v ? v.constant ?? FOLDED.get(v) ?? null : null));
  if (ins.some((t, i) => t === null && n.inputs[i] !== null)) return false;
  const outs = runKernel(n.domain, kernelNode(n.toSpec()), ins, { opset: ctx.graph.opset, runSubgraph: () => { throw new Error('no subgraphs'); } });
  n.outputs.forEach((v, k) => FOLDED.set(v, outs[k]));
  return true;
}

const INT8 = new Set(['i8', 'u8']);

/** A per-tensor scale and zero point (constants) as the DRAM int8 encoding sees it: uint8 values are
 *  stored as value − 128 (layout.ts), so a uint8 zero point becomes zp − 128. Null otherwise. */
function scaleZp(n: Node): { s: number; zp: number } | null {
  const s = constNumbers(n.input(1)), zpv = n.input(2), zp = zpv ? constNumbers(zpv) : [0];
  if (!s || !zp || s.length !== 1 || zp.length !== 1) return null;
  const dt = zpv ? zpv.type.dtype : n.op === 'QuantizeLinear' ? 'u8' : n.inputs[0]!.type.dtype;
  if (!INT8.has(dt)) return null;
  return { s: s[0], zp: zp[0] - (dt === 'u8' ? 128 : 0) };
}

const FP8 = new Set(['f8e4m3', 'f8e5m2']);

/** Standalone QuantizeLinear (f16 → i8) or DequantizeLinear (i8 → f16) on the vector unit. fp8 has
 *  no storage type here: its values stay f16 (x/s after QuantizeLinear, ·s after DequantizeLinear), so
 *  fp8 activations run as f16 — a substitution the layer's precision names. */
export function mapQdq(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, y = n.outputs[0];
  const quantFp8 = n.op === 'QuantizeLinear' ? FP8.has(y.type.dtype) : FP8.has(x.type.dtype);
  if (quantFp8) return mapFp8(ctx, n);
  const p = scaleZp(n);
  if (!p) throw new NotMapped('per-axis or non-int8 quantization parameters');
  const quant = n.op === 'QuantizeLinear';
  if (quant ? !isFloat(x) || !INT8.has(y.type.dtype) : !INT8.has(x.type.dtype) || !isFloat(y)) throw new NotMapped(`${n.op} between ${x.type.dtype} and ${y.type.dtype}`);
  const shape = shapeOf(y);
  return {
    nodes: [n], kind: 'vector', out: [y], precision: quant ? 'f16 → int8' : 'int8 → f16',
    emit() {
      const L = ctx.layout;
      emitConvert(ctx.e, shape, L.get(x).addr, L.place(y).addr, quant, quant ? 1 / p.s : p.s, p.zp);
    },
  };
}

function mapFp8(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, y = n.outputs[0], s = constNumbers(n.input(1)), zp = n.input(2) ? constNumbers(n.input(2)) : [0];
  if (!s || s.length !== 1 || !zp || zp.some((z) => z !== 0)) throw new NotMapped('per-axis fp8 scales');
  const k = n.op === 'QuantizeLinear' ? 1 / s[0] : s[0], shape = shapeOf(y);
  return {
    nodes: [n], kind: 'vector', out: [y], precision: 'fp8 → f16 (substituted: no fp8 storage)',
    emit() {
      const L = ctx.layout;
      emitElementwise(ctx.e, shape, [{ addr: L.get(x).addr, strides: contiguousStrides(shape) }], L.place(y).addr, [{ kind: 'binary', fn: VF.MUL, a: 0, b: { imm: k } }]);
    },
  };
}

/** The note for an array layer whose weights were narrow initializers dequantized at compile time. */
export function weightSubstitution(w: Value | null): string | undefined {
  const p = w?.producer;
  if (!w || !p || !FOLDED.has(w) || (p.op !== 'DequantizeLinear' && p.op !== 'Cast')) return undefined;
  return `${p.inputs[0]!.type.dtype} weights dequantized at compile time`;
}

function emitConvert(e: Emitter, shape: readonly number[], src: number, dst: number, quant: boolean, imm0: number, zp: number): void {
  const st = contiguousStrides(shape), [sEb, dEb] = quant ? [2, 1] : [1, 2];
  const budget = Math.max(32, Math.floor(e.cfg.spadBytes / 12 / 32) * 32);
  const all = [...pieces(shape.length ? shape : [1], [{ base: 0, strides: shape.length ? st : [1] }], Math.min(budget, 65535))];
  const slots = new Map<number, number[][]>();
  all.forEach((p, i) => {
    const c = i % e.cfg.cores;
    if (!slots.has(c)) slots.set(c, [0, 1].map(() => [e.spad(c, budget * 2), e.spad(c, budget * 2)]));
    const [a, b] = slots.get(c)![(i / e.cfg.cores | 0) & 1];
    e.load(c, quant ? 'f16' : 'i8', src + p.offsets[0] * sEb, a, p.n, p.s[0]);
    e.vec(c, quant ? VF.QUANT : VF.DEQUANT, b, a, p.n[1] * p.n[2], p.n[0], { imm0, imm1: zp, dt: quant ? 'f16' : 'i8' });
    e.store(c, quant ? 'i8' : 'f16', dst + p.offsets[0] * dEb, b, p.n, p.s[0]);
  });
}

const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

/** A per-tensor int8 QuantizeLinear that is the only reader of `y` (through one view): fused into the
 *  vector layer that produces `y`, which then stores int8. */
export function trailingQuant(ctx: Ctx, y: Value): { nodes: Node[]; out: Value; q: { inv: number; zp: number }; s: number } | null {
  let v: Node | null = ctx.fusion.sole(y);
  if (v && (!VIEWS.has(v.op) || v.inputs[0] !== y)) v = null;
  const qn = ctx.fusion.sole(v ? v.outputs[0] : y);
  const p = qn && qn.op === 'QuantizeLinear' && INT8.has(qn.outputs[0].type.dtype) ? scaleZp(qn) : null;
  return qn && p ? { nodes: [...(v ? [v] : []), qn], out: qn.outputs[0], q: { inv: 1 / p.s, zp: p.zp }, s: p.s } : null;
}

/** frexp-style Q31 multiplier and shift: scale ≈ M·2^(shift−31), M ∈ [2^30, 2^31). */
export function quantizeMultiplier(scale: number): { m: number; shift: number } {
  if (!(scale > 0) || !Number.isFinite(scale)) return { m: 0, shift: 0 };
  let shift = Math.ceil(Math.log2(scale)) | 0;
  if (scale / 2 ** shift >= 1) shift++;
  if (scale / 2 ** shift < 0.5) shift--;
  let m = Math.round((scale / 2 ** shift) * 2 ** 31);
  if (m === 2 ** 31) { m /= 2; shift++; }
  return shift < -31 ? { m: 0, shift: 0 } : { m, shift };
}

interface Int8Match {
  readonly nodes: Node[];
  readonly xq: Value; readonly sx: number; readonly zpx: number;
  readonly wq: number[]; readonly sw: number[];
  readonly out: Value;
  /** Output QuantizeLinear parameters and clamp bounds, or null (f16 output, `acts` follow). */
  readonly q: { s: number; zp: number; lo: number; hi: number } | null;
  readonly acts: Epilogue;
  /** A DequantizeLinear of that output absorbed too (`acts` follow it in f16 on the int8 grid), and
   *  a QuantizeLinear after those acts (int8 out), as the quantizer writes a group followed by float ops. */
  readonly grid?: number;
  readonly post?: { s: number; zp: number };
  /** f16 output only: a tensor added before the activations (fused residual Add). */
  readonly residual?: Value | null;
}

const roundEven = (x: number) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 ? r - 1 : r; };

/** Per-channel int8 weights: the quantizer's DequantizeLinear(i8 initializer, s_w[c]) (its given
 *  scales), or — where the frontend already folded that DequantizeLinear — f32 constants that are
 *  exactly int8 × a per-channel scale (s = max|w[c]|/127 reproduces every element as an integer). */
function int8Weights(w: Value, wAxis: number, channels: number): { wq: number[]; sw: number[] } | null {
  const shape = shapeOf(w), st = contiguousStrides(shape), ax = wAxis < 0 ? wAxis + shape.length : wAxis;
  if (shape[ax] !== channels) return null;
  const chOf = (i: number) => Math.floor(i / st[ax]) % channels;
  const dw = w.producer;
  if (dw && dw.op === 'DequantizeLinear' && dw.inputs[0]!.type.dtype === 'i8' && dw.attr.int('block_size', 0) === 0) {
    const wq = constNumbers(dw.inputs[0]), sw = constNumbers(dw.input(1)), zp = dw.input(2) ? constNumbers(dw.input(2)) : [0];
    const a = dw.attr.int('axis', 1);
    if (!wq || !sw || !zp || zp.some((z) => z !== 0)) return null;
    if (sw.length === 1) return { wq, sw: new Array(channels).fill(sw[0]) };
    return sw.length === channels && (a === ax || a + shape.length === ax) ? { wq, sw } : null;
  }
  const d = constNumbers(w);
  if (!d || w.type.dtype !== 'f32') return null;
  const amax = new Array<number>(channels).fill(0);
  d.forEach((v, i) => { amax[chOf(i)] = Math.max(amax[chOf(i)], Math.abs(v)); });
  const sw = amax.map((m) => m / 127 || 1);
  const wq = d.map((v, i) => v / sw[chOf(i)]);
  if (!wq.every((q) => Math.abs(q - Math.round(q)) < 1e-3)) return null;
  return { wq: wq.map(Math.round), sw };
}

/** The QDQ pattern around an array node, or null. `wAxis`: the weight's output-channel axis. */
function matchInt8(ctx: Ctx, n: Node, wAxis: number, channels: number): Int8Match | null {
  const dx = n.inputs[0]?.producer;
  if (!dx || dx.op !== 'DequantizeLinear' || !n.input(1)) return null;
  const xq = dx.inputs[0]!;
  if (!INT8.has(xq.type.dtype) || xq.constant || FOLDED.has(xq)) return null;
  const px = scaleZp(dx), wts = int8Weights(n.input(1)!, wAxis, channels);
  if (!px || !wts) return null;
  const { wq, sw } = wts;
  const nodes: Node[] = [n];
  let y = n.outputs[0];
  const mono: Node[] = [];
  let lo = -Infinity, hi = Infinity;
  for (let m = ctx.fusion.sole(y); m && (m.op === 'Relu' || m.op === 'Clip') && m.inputs[0] === y; m = ctx.fusion.sole(y)) {
    const a = m.op === 'Relu' ? [0] : m.input(1) ? constNumbers(m.input(1)) : [-Infinity];
    const b = m.op === 'Relu' ? [Infinity] : m.input(2) ? constNumbers(m.input(2)) : [Infinity];
    if (!a || !b) break;
    lo = Math.max(lo, a[0]); hi = Math.min(hi, b[0]);
    mono.push(m); y = m.outputs[0];
  }
  // A view (Flatten/Reshape/…) between the activation and the QuantizeLinear keeps the bytes in place.
  let view: Node | null = ctx.fusion.sole(y);
  if (!view || !VIEWS.has(view.op) || view.inputs[0] !== y) view = null;
  const qn = ctx.fusion.sole(view ? view.outputs[0] : y);
  const pq = qn && qn.op === 'QuantizeLinear' && INT8.has(qn.outputs[0].type.dtype) ? scaleZp(qn) : null;
  if (pq && qn) {
    const Q = (v: number) => Math.max(-128, Math.min(127, roundEven(v / pq.s) + pq.zp));
    nodes.push(...mono, ...(view ? [view] : []), qn);
    const q = { ...pq, lo: lo === -Infinity ? -128 : Q(lo), hi: hi === Infinity ? 127 : Q(hi) };
    const dq = ctx.fusion.sole(qn.outputs[0]), pd = dq && dq.op === 'DequantizeLinear' ? scaleZp(dq) : null;
    if (dq && pd && pd.s === pq.s && pd.zp === pq.zp && isFloat(dq.outputs[0])) {
      const act = ctx.fusion.acts(dq.outputs[0]);
      let v2: Node | null = ctx.fusion.sole(act.out);
      if (!v2 || !VIEWS.has(v2.op) || v2.inputs[0] !== act.out) v2 = null;
      const q2 = ctx.fusion.sole(v2 ? v2.outputs[0] : act.out), p2 = q2 && q2.op === 'QuantizeLinear' && INT8.has(q2.outputs[0].type.dtype) ? scaleZp(q2) : null;
      if (act.nodes.length || (q2 && p2)) {
        nodes.push(dq, ...act.nodes, ...(q2 && p2 ? [...(v2 ? [v2] : []), q2] : []));
        return { nodes, xq, sx: px.s, zpx: px.zp, wq, sw, out: q2 && p2 ? q2.outputs[0] : act.out, q, acts: act.ops, grid: pq.s, ...(p2 ? { post: p2 } : {}) };
      }
    }
    return { nodes, xq, sx: px.s, zpx: px.zp, wq, sw, out: qn.outputs[0], q, acts: [] };
  }
  // f16 output: a residual Add whose other operand is already computed is fused (as mapConv does).
  let residual: Value | null = null, yr = n.outputs[0];
  const add = n.op === 'Conv' ? ctx.fusion.sole(yr) : null;
  if (add && add.op === 'Add') {
    const other = add.inputs[0] === yr ? add.input(1) : add.input(0);
    const ready = other && !other.constant && !FOLDED.has(other) && (!other.producer || ctx.graph.nodes.indexOf(other.producer) < ctx.graph.nodes.indexOf(n));
    if (other && ready && isFloat(other) && shapeOf(other).join() === shapeOf(yr).join() && shapeOf(add.outputs[0]).join() === shapeOf(yr).join()) {
      residual = other; nodes.push(add); yr = add.outputs[0];
    }
  }
  const act = ctx.fusion.acts(yr);
  nodes.push(...act.nodes);
  const tq = trailingQuant(ctx, act.out);
  if (tq) nodes.push(...tq.nodes);
  return { nodes, xq, sx: px.s, zpx: px.zp, wq, sw, out: tq ? tq.out : act.out, q: null, acts: act.ops, residual, ...(tq ? { post: { s: tq.s, zp: tq.q.zp } } : {}) };
}

/** The requant table: per channel bias_q, M, shift, lo | hi << 16. `wsum[c]` = Σ_k w_q[c,k]. */
function requantTable(m: Int8Match, bias: ArrayLike<number> | null, wsum: number[]): Int32Array {
  const C = wsum.length, t = new Int32Array(4 * C);
  for (let c = 0; c < C; c++) {
    const acc = m.sx * m.sw[c];
    const { m: M, shift } = quantizeMultiplier(m.q ? acc / m.q.s : acc);
    t[4 * c] = (bias ? Math.round(bias[c] / acc) : 0) - m.zpx * wsum[c];
    t[4 * c + 1] = M; t[4 * c + 2] = shift;
    t[4 * c + 3] = m.q ? (m.q.lo & 0xffff) | (m.q.hi << 16) : 0;
  }
  return t;
}

const precisionOf = (m: Int8Match) => `int8 (given scales; int32 accumulate; requantized to ${
  m.post ? (m.grid !== undefined ? 'int8 via the f16 activations after its dequantize' : 'f16, quantized to int8 after its activations')
    : m.grid !== undefined ? 'the int8 grid, dequantized to f16' : m.q ? 'int8' : 'f16'})`;
const requantOf = (m: Int8Match, table: number) => ({
  table, f16: !m.q, zp: m.q?.zp ?? 0, ...(m.grid !== undefined ? { grid: m.grid } : {}), ...(m.post ? { post: { inv: 1 / m.post.s, zp: m.post.zp } } : {}),
});

function convGeom(n: Node): ConvGeom {
  const xs = shapeOf(n.inputs[0]!), ws = shapeOf(n.input(1)!), ys = shapeOf(n.outputs[0]), ks = n.attr.ints('kernel_shape', ws.slice(2));
  const st = n.attr.ints('strides', [1, 1]), dl = n.attr.ints('dilations', [1, 1]), pads = n.attr.ints('pads', [0, 0, 0, 0]);
  return { N: xs[0], C: xs[1], IH: xs[2], IW: xs[3], Co: ws[0], OH: ys[2], OW: ys[3], kh: ks[0], kw: ks[1], sh: st[0], sw: st[1],
    dh: dl[0], dw: dl[1], pt: pads[0], pl: pads[1], group: n.attr.int('group', 1) };
}

/** Grouped convs too, except depthwise ones: input-stationary int8 GEMMs of one output channel each
 *  measured 6× slower on edge16 (mobilenet-v2) than the f16 paths mapConv picks for them. */
function convMatch(ctx: Ctx, n: Node): { m: Int8Match; bias: number[] | null; g: ConvGeom } | null {
  const x = n.inputs[0]!, w = n.input(1);
  if (!w || shapeOf(x).length !== 4 || n.attr.string('auto_pad', 'NOTSET') !== 'NOTSET') return null;
  const g = convGeom(n);
  if (g.group > 1 && g.C === g.group) return null;
  const m = matchInt8(ctx, n, 0, g.Co);
  const bias = n.input(2) ? constNumbers(n.input(2)) : null;
  return !m || (n.input(2) && !bias) ? null : { m, bias, g };
}

/** `v` = DequantizeLinear(runtime int8, per-tensor) read only by its one consumer: that consumer may
 *  load the int8 tensor and dequantize on chip (the depthwise conv on the vector unit does). */
export function int8Input(ctx: Ctx, v: Value): { xq: Value; s: number; zp: number } | null {
  const d = v.producer;
  if (!d || d.op !== 'DequantizeLinear' || v.consumers.length !== 1 || ctx.fusion.outputs.has(v.name)) return null;
  const xq = d.inputs[0]!, p = scaleZp(d);
  return p && INT8.has(xq.type.dtype) && !xq.constant && !FOLDED.has(xq) ? { xq, ...p } : null;
}

/** A depthwise conv the vector unit takes, with an int8 input it dequantizes itself. */
function depthwiseInt8(ctx: Ctx, n: Node): boolean {
  const w = n.input(1);
  if (!w || shapeOf(n.inputs[0]!).length !== 4 || n.attr.string('auto_pad', 'NOTSET') !== 'NOTSET' || !int8Input(ctx, n.inputs[0]!)) return false;
  const g = convGeom(n);
  const wReady = w.constant || FOLDED.has(w) || (w.producer && w.producer.inputs.every((i) => !i || i.constant || FOLDED.has(i)));
  return !!wReady && (!n.input(2) || !!constNumbers(n.input(2))) && depthwiseVector(ctx, g) && g.N * g.C * g.IH <= 65535;
}

/** Would `n` run as a native int8 layer (so a DequantizeLinear feeding it needs no code)? */
export function isInt8Native(ctx: Ctx, n: Node): boolean {
  if (n.op === 'Conv') return convMatch(ctx, n) !== null || depthwiseInt8(ctx, n);
  if (n.op === 'MatMul' || n.op === 'Gemm') return matmulMatch(ctx, n) !== null;
  return false;
}

/** A QDQ Conv as a native int8 layer (one GEMM per group), or null when the pattern does not hold. */
export function mapInt8Conv(ctx: Ctx, n: Node): Mapped | null {
  const cm = convMatch(ctx, n);
  if (!cm) return null;
  const { m, bias, g } = cm;
  const Kg = sizeOf(shapeOf(n.input(1)!).slice(1));
  let s = convSchedule(ctx, n.name, g);
  ctx.spaces[n.name] = ctx.spaces[n.name].filter((c) => c.stationary !== 'weight');
  if (s.stationary === 'weight') s = ctx.chosen[n.name] = { ...s, stationary: 'act', conv: isDirect(g) ? 'direct' : 'im2col' };
  const wsum = Array.from({ length: g.Co }, (_, c) => m.wq.slice(c * Kg, (c + 1) * Kg).reduce((a, b) => a + b, 0));
  return {
    nodes: m.nodes, kind: 'array', out: [m.out], precision: precisionOf(m),
    emit() {
      const L = ctx.layout;
      emitConv(ctx.e, g, {
        x: L.get(m.xq).addr, y: L.place(m.out).addr, w: L.constant('i8', m.wq), bias: -1, opDt: 'i8', sw: 1, wsc: -1, residual: m.residual ? L.get(m.residual).addr : -1,
        xZp: m.zpx, rq: requantOf(m, L.constant('i32', requantTable(m, bias, wsum))),
      }, s, m.acts);
    },
  };
}

/** A QDQ MatMul [M×K]·[K×N] (2-D constant weight) or Gemm as a native int8 layer, or null. */
function matmulMatch(ctx: Ctx, n: Node): { m: Int8Match; bias: number[] | null; tB: boolean } | null {
  const B = n.input(1);
  if (!B) return null;
  const bs = shapeOf(B), gemm = n.op === 'Gemm';
  if (bs.length !== 2 || (gemm && (n.attr.int('transA', 0) || n.attr.float('alpha', 1) !== 1 || n.attr.float('beta', 1) !== 1))) return null;
  const tB = gemm && n.attr.int('transB', 0) === 1, N = tB ? bs[0] : bs[1];
  const m = matchInt8(ctx, n, tB ? 0 : 1, N);
  const bias = gemm && n.input(2) ? constNumbers(n.input(2)) : null;
  return !m || (gemm && n.input(2) && (!bias || (bias.length !== N && bias.length !== 1))) ? null : { m, bias, tB };
}

export function mapInt8Matmul(ctx: Ctx, n: Node): Mapped | null {
  const mm = matmulMatch(ctx, n);
  if (!mm) return null;
  const { m, bias, tB } = mm;
  const as = shapeOf(n.inputs[0]!), bs = shapeOf(n.input(1)!);
  const K = as[as.length - 1], N = tB ? bs[0] : bs[1], M = sizeOf(as.slice(0, -1));
  const wkn = new Array<number>(K * N);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) wkn[k * N + j] = tB ? m.wq[j * K + k] : m.wq[k * N + j];
  const wsum = Array.from({ length: N }, (_, j) => { let s = 0; for (let k = 0; k < K; k++) s += wkn[k * N + j]; return s; });
  const b = bias && bias.length === 1 ? new Array(N).fill(bias[0]) : bias;
  ctx.spaces[n.name] = gemmSpace(ctx.cfg, M, N, K);
  const s = ctx.schedule[n.name] ?? defaultGemm(ctx.cfg, M, N, K, { bytes: { a: M * K, b: K * N, c: M * N * (m.q ? 1 : 2) } });
  ctx.chosen[n.name] = s;
  return {
    nodes: m.nodes, kind: 'array', out: [m.out], precision: precisionOf(m),
    emit() {
      const L = ctx.layout;
      emitMatmul(ctx.e, {
        M, N, K, a: { addr: L.get(m.xq).addr, sr: K, sc: 1, dt: 'i8' }, b: { addr: L.constant('i8', wkn), sr: N, sc: 1, dt: 'i8' },
        y: L.place(m.out).addr, bias: -1, scale: 1, opDt: 'i8', colScale: -1,
        rq: requantOf(m, L.constant('i32', requantTable(m, b, wsum))),
      }, s, m.acts);
    },
  };
}
