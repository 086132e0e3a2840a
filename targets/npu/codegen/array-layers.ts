// Conv, MatMul and Gemm nodes → array layers, with the batch norm, bias Add and activations that
// follow them folded in.
import type { Node, Value } from '../../../src/ir/graph/graph.ts';
import { emitConv, isDirect, type ConvGeom } from './conv.ts';
import { depthwiseChunk, depthwiseOnVector, emitDepthwise } from './depthwise.ts';
import { emitMatmul, type Mat } from './matmul.ts';
import { type Ctx, type Mapped, quantizeChannels } from './context.ts';
import { NotMapped, constNumbers, isFloat, shapeOf, sizeOf } from './nodes.ts';
import type { Epilogue } from './epilogue.ts';
import { int8Input, trailingQuant, weightSubstitution } from './qdq.ts';
import { defaultGemm, gemmSpace, type GemmSchedule } from './schedule.ts';
import { broadcastStrides } from './pieces.ts';

function pick(ctx: Ctx, name: string, dflt: GemmSchedule): GemmSchedule {
  const s = ctx.schedule[name] ?? dflt;
  ctx.chosen[name] = s;
  return s;
}

export function mapConv(ctx: Ctx, n: Node): Mapped {
  const x = n.inputs[0]!, w = n.input(1), b = n.input(2);
  const W = constNumbers(w);
  if (!W || (b && !constNumbers(b)) || !isFloat(x)) throw new NotMapped('weights must be constant');
  const xs = shapeOf(x), ws = shapeOf(w!);
  if (xs.length !== 4 && xs.length !== 3) throw new NotMapped('only 1-D and 2-D convolutions');
  const two = xs.length === 4;
  const ks = n.attr.ints('kernel_shape', ws.slice(2));
  const st = n.attr.ints('strides', two ? [1, 1] : [1]), dl = n.attr.ints('dilations', two ? [1, 1] : [1]);
  if (n.attr.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new NotMapped('auto_pad');
  const pads = n.attr.ints('pads', new Array(2 * ks.length).fill(0));
  let y = n.outputs[0];
  const ys = shapeOf(y);
  const g: ConvGeom = {
    N: xs[0], C: xs[1], IH: two ? xs[2] : 1, IW: two ? xs[3] : xs[2], Co: ws[0], OH: two ? ys[2] : 1, OW: two ? ys[3] : ys[2],
    kh: two ? ks[0] : 1, kw: two ? ks[1] : ks[0], sh: two ? st[0] : 1, sw: two ? st[1] : st[0], dh: two ? dl[0] : 1, dw: two ? dl[1] : dl[0],
    pt: two ? pads[0] : 0, pl: two ? pads[1] : pads[0], group: n.attr.int('group', 1),
  };
  // Fold a following BatchNormalization into weights and bias.
  const nodes: Node[] = [n];
  const Kg = sizeOf(ws.slice(1));
  const wf = Float32Array.from(W);
  const bias = new Float32Array(g.Co);
  if (b) bias.set(constNumbers(b)!);
  const bn = followingBn(ctx, y, g.Co);
  if (bn) {
    for (let c = 0; c < g.Co; c++) {
      for (let k = 0; k < Kg; k++) wf[c * Kg + k] *= bn.a[c];
      bias[c] = bias[c] * bn.a[c] + bn.b[c];
    }
    nodes.push(bn.node); y = bn.node.outputs[0];
  }
  // A residual Add whose other operand is already computed is read in the epilogue (saves a DRAM round trip).
  let residual: Value | null = null;
  const add = ctx.fusion.sole(y);
  if (add && add.op === 'Add') {
    const other = add.inputs[0] === y ? add.input(1) : add.input(0);
    const ready = other && !other.constant && (!other.producer || ctx.graph.nodes.indexOf(other.producer) < ctx.graph.nodes.indexOf(n));
    if (other && ready && isFloat(other) && shapeOf(other).join() === shapeOf(y).join() && shapeOf(add.outputs[0]).join() === shapeOf(y).join()) {
      residual = other; nodes.push(add); y = add.outputs[0];
    }
  }
  const act = ctx.fusion.acts(y);
  nodes.push(...act.nodes); y = act.out;
  const name = n.name;
  if (depthwiseVector(ctx, g)) {
    // QDQ: an int8 input is dequantized on chip and a following QuantizeLinear fused (int8 out).
    const xq = g.N * g.C * g.IH <= 65535 ? int8Input(ctx, x) : null, tq = trailingQuant(ctx, y);
    if (tq) nodes.push(...tq.nodes);
    const out = tq ? tq.out : y;
    return {
      nodes, kind: 'vector', out: [out], precision: (xq || tq ? `${xq ? 'int8 in, ' : ''}${tq ? 'int8 out, ' : ''}` : '') + (note(ctx, 'f16', w) ?? 'f16 (vector unit)'),
      emit() {
        const L = ctx.layout;
        emitDepthwise(ctx.e, g, {
          x: L.get(xq ? xq.xq : x).addr, y: L.place(out).addr, w: L.constant('f16', wf), bias: L.constant('f16', bias), residual: residual ? L.get(residual).addr : -1,
          ...(xq ? { xq: { s: xq.s, zp: xq.zp } } : {}), ...(tq ? { q: tq.q } : {}),
        }, act.ops);
      },
    };
  }
  const s = convSchedule(ctx, name, g);
  const hasBias = b !== null || nodes.some((x) => x.op === 'BatchNormalization');
  return {
    nodes, kind: 'array', out: [y], precision: note(ctx, undefined, w),
    emit() {
      const L = ctx.layout;
      emitConvLayer(ctx, name, g, wf, hasBias ? bias : null, s, { x: L.get(x).addr, y: L.place(y).addr, residual: residual ? L.get(residual).addr : -1 }, act.ops);
    },
  };
}

/** Precision of a float-path layer when it differs from the preset's default or substitutes narrow weights. */
function note(ctx: Ctx, dt: 'f16' | undefined, w: Value | null): string | undefined {
  const sub = weightSubstitution(w);
  if (!sub && !dt) return undefined;
  const base = dt === 'f16' || ctx.cfg.dataType !== 'int8' ? 'f16 (f32 accumulate)' : 'int8 (device-measured scales; int32 accumulate)';
  return sub ? `${base}; ${sub}` : ctx.cfg.dataType === 'int8' ? `${dt} (vector unit)` : undefined;
}

/** Depthwise convs run on the vector unit when it beats per-channel array GEMMs and a channel fits. */
export function depthwiseVector(ctx: Ctx, g: ConvGeom): boolean {
  return g.group === g.C && g.Co === g.C && depthwiseOnVector(ctx.cfg, g) && depthwiseChunk({ cfg: ctx.cfg }, g) > 0;
}

/** A BatchNormalization with constant parameters as the sole consumer of `y`: y·a[c] + b[c]. */
export function followingBn(ctx: Ctx, y: Value, C: number): { node: Node; a: number[]; b: number[] } | null {
  const bn = ctx.fusion.sole(y);
  if (!bn || bn.op !== 'BatchNormalization' || bn.outputs.length !== 1 || !bn.inputs.slice(1).every((v) => v?.constant)) return null;
  const [sc, sh, mean, vr] = [1, 2, 3, 4].map((i) => constNumbers(bn.input(i))!);
  if (sc.length !== C) return null;
  const eps = bn.attr.float('epsilon', 1e-5);
  const a = sc.map((v, c) => v / Math.sqrt(vr[c] + eps));
  return { node: bn, a, b: sh.map((v, c) => v - mean[c] * a[c]) };
}

/** The schedule of a conv layer `key` (tuned, or the default rule), recording its space for the tuner. */
export function convSchedule(ctx: Ctx, key: string, g: ConvGeom): GemmSchedule {
  const q = ctx.cfg.dataType === 'int8';
  const Mg = g.Co / g.group, P = g.OH * g.OW, Kg = (g.C / g.group) * g.kh * g.kw;
  const wb = Mg * Kg * (q ? 1 : 2), xb = (g.C / g.group) * g.IH * g.IW * 2, yb = Mg * P * 2;
  ctx.spaces[key] = gemmSpace(ctx.cfg, Mg, P, Kg, { conv: true, direct: isDirect(g) });
  return pick(ctx, key, defaultGemm(ctx.cfg, Mg, P, Kg, {
    conv: true, direct: isDirect(g), bytes: { a: wb, b: xb, c: yb }, weightBytes: { a: xb, b: wb, c: yb },
  }));
}

/** Lays out conv weights `wf` ([Co × Kg], f32) for schedule `s` (and int8 on int8 presets), then emits the conv. */
export function emitConvLayer(ctx: Ctx, name: string, g: ConvGeom, wf: Float32Array, bias: Float32Array | null, s: GemmSchedule,
  at: { x: number; y: number; residual: number }, acts: Epilogue): void {
  const L = ctx.layout, q = ctx.cfg.dataType === 'int8';
  const Mg = g.Co / g.group, Kg = wf.length / g.Co;
  // Weights per group in the orientation the schedule chose ('weight' stationary wants [K × M]).
  const wl = new Float32Array(wf.length);
  for (let gi = 0; gi < g.group; gi++) {
    for (let m = 0; m < Mg; m++) for (let k = 0; k < Kg; k++) {
      const v = wf[(gi * Mg + m) * Kg + k];
      if (s.stationary === 'weight') wl[gi * Mg * Kg + k * Mg + m] = v; else wl[gi * Mg * Kg + m * Kg + k] = v;
    }
  }
  let wAddr: number, sw = 1, wsc = -1;
  if (q) {
    const ch = (i: number) => (s.stationary === 'weight' ? Math.floor(i / (Mg * Kg)) * Mg + (i % Mg) : Math.floor(i / Kg));
    const r = quantizeChannels(wl, g.Co, ch);
    wAddr = L.constant('i8', r.q); sw = r.max; wsc = L.constant('f16', r.rel);
  } else wAddr = L.constant('f16', wl);
  emitConv(ctx.e, g, { ...at, w: wAddr, bias: bias ? L.constant('f16', bias) : -1, opDt: q ? 'i8' : 'f16', sw, wsc }, s, acts);
  ctx.mapping.push({ layer: name, text: convMapping(g, s, ctx) });
}

/** ONNXim's .mapping line for a conv layer: total loop, outer loop counts, inner tile. */
function convMapping(g: ConvGeom, s: GemmSchedule, ctx: Ctx): string {
  const Mg = g.Co / g.group, Cg = g.C / g.group;
  const ws = s.stationary === 'weight';
  const mT = ws ? Mg : Math.min(Mg, s.nT), pixT = ws ? Math.ceil(g.OH * g.OW / ctx.cfg.cores) : s.nT;
  const qT = Math.min(g.OW, pixT), pT = Math.max(1, Math.min(g.OH, Math.floor(pixT / g.OW) || 1));
  const cT = Math.max(1, Math.min(Cg, Math.floor(s.kT / (g.kh * g.kw)) || 1));
  const t = `N${g.N} C${Cg} M${Mg} P${g.OH} Q${g.OW} S${g.kh} R${g.kw}`;
  const o = `N${g.N} C${Math.ceil(Cg / cT)} M${Math.ceil(Mg / mT)} P${Math.ceil(g.OH / pT)} Q${Math.ceil(g.OW / qT)} S1 R1`;
  const i = `N1 C${cT} M${mT} P${pT} Q${qT} S${g.kh} R${g.kw}`;
  return `[T] ${t} - [O] ${o} - [I] ${i}`;
}

function matView(ctx: Ctx, v: Value, rows: number, cols: number, trans: boolean, off = 0): Mat {
  const p = ctx.layout.get(v);
  return trans ? { addr: p.addr + off * 2, sr: 1, sc: rows, dt: 'f16' } : { addr: p.addr + off * 2, sr: cols, sc: 1, dt: 'f16' };
}

/** A constant B laid out [K × N] in the array's operand type. */
function constB(ctx: Ctx, data: ArrayLike<number>, K: number, N: number, trans: boolean): { mat: Mat; scale: number; colScale: number } {
  const d = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) d[k * N + j] = trans ? data[j * K + k] : data[k * N + j];
  if (ctx.cfg.dataType === 'int8') {
    const r = quantizeChannels(d, N, (i) => i % N);
    return { mat: { addr: ctx.layout.constant('i8', r.q), sr: N, sc: 1, dt: 'i8' }, scale: r.max, colScale: ctx.layout.constant('f16', r.rel) };
  }
  return { mat: { addr: ctx.layout.constant('f16', d), sr: N, sc: 1, dt: 'f16' }, scale: 1, colScale: -1 };
}

/** A following Add of a constant broadcast along the last axis becomes the bias. */
function biasAdd(ctx: Ctx, y: Value, N: number): { node: Node; data: number[] } | null {
  const add = ctx.fusion.sole(y);
  if (!add || add.op !== 'Add') return null;
  const other = add.inputs[0] === y ? add.input(1) : add.input(0);
  const d = constNumbers(other);
  if (!d || !other || shapeOf(other).slice(0, -1).some((x) => x !== 1) || (d.length !== N && d.length !== 1)) return null;
  if (sizeOf(shapeOf(add.outputs[0])) !== sizeOf(shapeOf(y))) return null;
  return { node: add, data: d.length === N ? d : new Array(N).fill(d[0]) };
}

export function mapMatmul(ctx: Ctx, n: Node): Mapped {
  const gemm = n.op === 'Gemm';
  const A = n.inputs[0]!, B = n.inputs[1]!;
  if (!isFloat(A) || !isFloat(B)) throw new NotMapped('float operands only');
  const as = shapeOf(A), bs = shapeOf(B);
  if (as.length < 2 || bs.length < 2) throw new NotMapped('1-D operands');
  const tA = gemm && n.attr.int('transA', 0) === 1, tB = gemm && n.attr.int('transB', 0) === 1;
  const alpha = gemm ? n.attr.float('alpha', 1) : 1, beta = gemm ? n.attr.float('beta', 1) : 1;
  const M = tA ? as[as.length - 1] : as[as.length - 2], K = tA ? as[as.length - 2] : as[as.length - 1];
  const N = tB ? bs[bs.length - 2] : bs[bs.length - 1];
  let y = n.outputs[0];
  const nodes: Node[] = [n];
  let bias: number[] | null = null;
  const C = gemm ? n.input(2) : null;
  if (C) {
    const d = constNumbers(C);
    const cs = shapeOf(C);
    if (!d || !(d.length === N && cs[cs.length - 1] === N || d.length === 1)) throw new NotMapped('Gemm bias must be a constant over N');
    bias = d.length === N ? d.map((v) => v * beta) : new Array(N).fill(d[0] * beta);
  } else {
    const ba = biasAdd(ctx, y, N);
    if (ba) { bias = ba.data; nodes.push(ba.node); y = ba.node.outputs[0]; }
  }
  const act = ctx.fusion.acts(y);
  nodes.push(...act.nodes); y = act.out;
  const batchA = as.slice(0, -2), batchB = bs.slice(0, -2);
  const flat = bs.length === 2 && !tA;
  const Mtot = flat ? sizeOf(as.slice(0, -1)) : M;
  const q = ctx.cfg.dataType === 'int8';
  ctx.spaces[n.name] = gemmSpace(ctx.cfg, Mtot, N, K);
  const s = pick(ctx, n.name, defaultGemm(ctx.cfg, Mtot, N, K, { bytes: { a: Mtot * K * 2, b: K * N * (q ? 1 : 2), c: Mtot * N * 2 } }));
  return {
    nodes, kind: 'array', out: [y], precision: note(ctx, undefined, B),
    emit() {
      const L = ctx.layout;
      const yAddr = L.place(y).addr;
      const biasAddr = bias ? L.constant('f16', bias) : -1;
      if (flat || (batchA.length === 0 && batchB.length === 0)) {
        const bd = constNumbers(B);
        const b = bd ? constB(ctx, bd, K, N, tB) : { mat: matView(ctx, B, K, N, tB), scale: 1, colScale: -1 };
        emitMatmul(ctx.e, { M: Mtot, N, K, a: matView(ctx, A, Mtot, K, tA), b: b.mat, y: yAddr, bias: biasAddr,
          scale: alpha * b.scale, opDt: q ? 'i8' : 'f16', colScale: b.colScale }, s, act.ops);
        ctx.mapping.push({ layer: n.name, text: gemmMapping(Mtot, K, N, s) });
        return;
      }
      // Batched product: one GEMM per output batch index, operands broadcast over batch dims.
      const ys = shapeOf(y), batch = ys.slice(0, -2);
      const sA = broadcastStrides(batchA, batch).map((x) => x * M * K), sB = broadcastStrides(batchB, batch).map((x) => x * K * N);
      for (let i = 0; i < sizeOf(batch); i++) {
        let r = i, oa = 0, ob = 0;
        for (let d = batch.length - 1; d >= 0; d--) { const ix = r % batch[d]; r = Math.floor(r / batch[d]); oa += ix * sA[d]; ob += ix * sB[d]; }
        ctx.e.scoped(() => emitMatmul(ctx.e, { M, N, K, a: matView(ctx, A, M, K, tA, oa), b: matView(ctx, B, K, N, tB, ob), y: yAddr + i * M * N * 2,
          bias: biasAddr, scale: alpha, opDt: q ? 'i8' : 'f16', colScale: -1 }, s, act.ops));
      }
      ctx.mapping.push({ layer: n.name, text: gemmMapping(M, K, N, s) });
    },
  };
}

function gemmMapping(M: number, K: number, N: number, s: GemmSchedule): string {
  const kT = Math.min(K, s.kT), nT = Math.min(N, s.nT);
  return `[T] N${M} C${K} M${N} - [O] N1 C${Math.ceil(K / kT)} M${Math.ceil(N / nT)} - [I] N${M} C${kT} M${nT}`;
}
