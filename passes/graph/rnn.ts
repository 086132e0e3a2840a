// decompose-rnn: LSTM, GRU and RNN with a static sequence length unrolled into per-step MatMul, Add,
// Mul, Sub, activation and Gather/Concat/Reshape ops, as TVM's ONNX frontend does, so that targets
// without a recurrent kernel can run them. Not in the default pipeline: the driver applies it when the
// target refuses a recurrent node (src/driver/compile.ts).
//
// Per direction and gate g: xw_g = X·W_gᵀ + (Wb_g + Rb_g) for all steps at once (one MatMul), then per
// step a_g = xw_g[t] + h·R_gᵀ, followed by the cell's equations (rnn-cells.ts in the reference runtime
// is the specification). A node is left as it is (and the support check names it) when something is
// not static: W, R, B, P not constants, dynamic shapes, a sequence_lens that is not constant full length,
// or a dtype other than f32.
import type { NodeSpec, TensorType, ValueSpec } from '../../src/ir/graph/graph.ts';
import { AttrReader, type Attrs } from '../../src/ir/graph/attrs.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { RNN_KINDS, directionCount, type RnnOp } from '../../src/ir/graph/ops/rnn.ts';
import { parseActivations, type Act } from '../../src/runtime/kernels/rnn-cells.ts';
import type { GraphPass } from '../pass.ts';
import { rewriteGraph, type RewriteCtx, type Rule } from './rewrite.ts';

/** Collects the replacement nodes, their new constants and the types of new values. */
class Emit {
  readonly nodes: NodeSpec[] = [];
  readonly constants: ValueSpec[] = [];
  readonly types = new Map<string, TensorType>();
  private k = 0;
  constructor(readonly ctx: RewriteCtx, readonly base: string) {}

  private readonly small = new Map<string, string>();

  konst(shape: number[], data: ArrayLike<number>, dtype: 'f32' | 'i64' = 'f32'): string {
    // Step indices, shapes and scalars repeat every step: one constant each.
    const key = data.length <= 8 ? `${dtype}[${shape}]=${Array.from(data)}` : undefined;
    const known = key && this.small.get(key);
    if (known) return known;
    const name = this.ctx.fresh(`${this.base}_c`);
    if (key) this.small.set(key, name);
    this.constants.push({ name, type: { dtype, shape }, constant: Tensor.fromNumbers(dtype, shape, data) });
    return name;
  }

  op(op: string, inputs: string[], shape: number[], attrs?: Attrs, out?: string): string {
    const name = out ?? this.ctx.fresh(`${this.base}_v`);
    if (!out) this.types.set(name, { dtype: 'f32', shape });
    this.nodes.push({ name: `${this.base}/${op}_${this.k++}`, op, inputs, outputs: [name], ...(attrs ? { attrs } : {}) });
    return name;
  }
}

const int = (value: number) => ({ kind: 'int' as const, value });
const float = (value: number) => ({ kind: 'float' as const, value });

/** The activation as ops (Affine and ScaledTanh as Mul/Add around it). */
function activation(e: Emit, a: Act, x: string, shape: number[]): string {
  const scalar = (v: number) => e.konst([], [v]);
  switch (a.name) {
    case 'sigmoid': return e.op('Sigmoid', [x], shape);
    case 'tanh': return e.op('Tanh', [x], shape);
    case 'relu': return e.op('Relu', [x], shape);
    case 'softsign': return e.op('Softsign', [x], shape);
    case 'softplus': return e.op('Softplus', [x], shape);
    case 'leakyrelu': return e.op('LeakyRelu', [x], shape, { alpha: float(a.alpha) });
    case 'thresholdedrelu': return e.op('ThresholdedRelu', [x], shape, { alpha: float(a.alpha) });
    case 'elu': return e.op('Elu', [x], shape, { alpha: float(a.alpha) });
    case 'hardsigmoid': return e.op('HardSigmoid', [x], shape, { alpha: float(a.alpha), beta: float(a.beta) });
    case 'affine': return e.op('Add', [e.op('Mul', [x, scalar(a.alpha)], shape), scalar(a.beta)], shape);
    case 'scaledtanh': return e.op('Mul', [e.op('Tanh', [e.op('Mul', [x, scalar(a.beta)], shape)], shape), scalar(a.alpha)], shape);
    default: throw new Error(`decompose-rnn: activation ${a.name}`); // parseActivations admits only known names
  }
}

interface Spec {
  op: RnnOp; seq: number; batch: number; input: number; H: number; dirs: number; layout: number;
  W: Float32Array; R: Float32Array; B?: Float32Array; P?: Float32Array;
  acts: Act[][]; clip: number; inputForget: boolean; linearBeforeReset: boolean; reverse: boolean;
}

/** The node's static description, or undefined when it cannot be unrolled. */
function specOf(n: NodeSpec, ctx: RewriteCtx): Spec | undefined {
  const op = n.op as RnnOp;
  const [x, w, r, b, lens, , , p] = n.inputs;
  const X = ctx.type(x);
  if (X.dtype !== 'f32' || X.shape.length !== 3 || !X.shape.every((d) => typeof d === 'number')) return undefined;
  const W = ctx.constant(w), R = ctx.constant(r);
  const B = b ? ctx.constant(b) : undefined, P = p ? ctx.constant(p) : undefined;
  if (!W || !R || (b && !B) || (p && !P)) return undefined;
  const attr = new AttrReader({ name: n.name, op: n.op, attrs: n.attrs ?? {} });
  const dirs = directionCount(attr.string('direction', 'forward'));
  const layout = attr.int('layout', 0);
  if (!dirs || (layout !== 0 && layout !== 1)) return undefined;
  const [d0, d1, input] = X.shape as number[];
  const [seq, batch] = layout === 0 ? [d0, d1] : [d1, d0];
  if (lens) {
    const L = ctx.constant(lens)?.toNumbers();
    if (!L || L.length !== batch || L.some((v) => v !== seq)) return undefined;
  }
  const H = attr.has('hidden_size') ? attr.int('hidden_size') : R.shape[2];
  const G = RNN_KINDS[op].gates;
  if (W.size !== dirs * G * H * input || R.size !== dirs * G * H * H) return undefined;
  const acts = parseActivations({ name: n.name, op: n.op, attr, outputCount: n.outputs.length }, op, dirs);
  return {
    op, seq, batch, input, H, dirs, layout, W: W.toF32(), R: R.toF32(), B: B?.toF32(), P: P?.toF32(), acts,
    clip: attr.has('clip') ? attr.float('clip') : Infinity, inputForget: attr.int('input_forget', 0) !== 0,
    linearBeforeReset: attr.int('linear_before_reset', 0) !== 0, reverse: attr.string('direction', 'forward') === 'reverse',
  };
}

/** Rows [g·H, (g+1)·H) of direction d's [G·H, K] matrix, transposed to [K, H] (for h·Mᵀ as MatMul). */
function gateT(m: Float32Array, d: number, g: number, G: number, H: number, K: number): Float32Array {
  const out = new Float32Array(K * H), base = (d * G + g) * H * K;
  for (let j = 0; j < H; j++) for (let k = 0; k < K; k++) out[k * H + j] = m[base + j * K + k];
  return out;
}

function unroll(n: NodeSpec, s: Spec, ctx: RewriteCtx) {
  const e = new Emit(ctx, n.name || n.outputs[0]);
  const { seq, batch, input, H, dirs, layout } = s;
  const G = RNN_KINDS[s.op].gates;
  const st = [batch, H];
  const xw3 = layout === 0 ? [seq, batch, H] : [batch, seq, H];
  const bias = (d: number, g: number, which: 0 | 1) => (s.B ? s.B.subarray((d * 2 + which) * G * H + g * H, (d * 2 + which) * G * H + (g + 1) * H) : undefined);
  const clip = (v: string) => (Number.isFinite(s.clip) ? e.op('Clip', [v, e.konst([], [-s.clip]), e.konst([], [s.clip])], st) : v);
  const initial = (idx: number, k: number): string | undefined => {
    const name = n.inputs[idx];
    if (!name) return undefined;
    return e.op('Gather', [name, e.konst([], [k], 'i64')], st, { axis: int(layout === 0 ? 0 : 1) });
  };
  const ys: string[][] = [], finals: { h: string; c?: string }[] = [];
  for (let d = 0; d < dirs; d++) {
    const acts = s.acts[d];
    // xw_g for every step; the recurrent bias Rb_g is folded in except GRU's h gate with linear_before_reset.
    const xw = Array.from({ length: G }, (_, g) => {
      const wb = bias(d, g, 0), rb = bias(d, g, 1);
      const keepRb = s.op === 'GRU' && g === 2 && s.linearBeforeReset;
      const mm = e.op('MatMul', [n.inputs[0], e.konst([input, H], gateT(s.W, d, g, G, H, input))], xw3);
      if (!wb) return mm;
      return e.op('Add', [mm, e.konst([H], wb.map((v, j) => v + (keepRb ? 0 : rb![j])))], xw3);
    });
    const Rt = Array.from({ length: G }, (_, g) => e.konst([H, H], gateT(s.R, d, g, G, H, H)));
    const peep = (k: number) => (s.P ? e.konst([H], s.P.subarray((d * 3 + k) * H, (d * 3 + k + 1) * H)) : undefined);
    let h = initial(5, d), c = s.op === 'LSTM' ? initial(6, d) : undefined;
    const y = new Array<string>(seq);
    const backwards = s.reverse || d === 1;
    for (let i = 0; i < seq; i++) {
      const t = backwards ? seq - 1 - i : i;
      const tIdx = e.konst([], [t], 'i64');
      const at = (g: number) => e.op('Gather', [xw[g], tIdx], st, { axis: int(layout === 0 ? 0 : 1) });
      const pre = (g: number, hv = h) => (hv ? e.op('Add', [at(g), e.op('MatMul', [hv, Rt[g]], st)], st) : at(g));
      if (s.op === 'RNN') h = activation(e, acts[0], clip(pre(0)), st);
      else if (s.op === 'GRU') ({ h } = gruStep(e, s, acts, h, pre, at, Rt[2], bias(d, 2, 1), clip));
      else ({ h, c } = lstmStep(e, s, acts, h, c, pre, [peep(0), peep(1), peep(2)], clip));
      y[t] = h!;
    }
    ys.push(y);
    finals.push({ h: h!, c });
  }
  return assemble(e, n, s, ys, finals);
}

type Pre = (g: number, hv?: string) => string;
type Clip = (v: string) => string;

function lstmStep(e: Emit, s: Spec, acts: Act[], h: string | undefined, c: string | undefined, pre: Pre, [pi, po, pf]: (string | undefined)[], clip: Clip) {
  const st = [s.batch, s.H];
  const [fA, gA, hA] = acts;
  const peep = (g: string, p: string | undefined, cv: string | undefined) => (p && cv ? e.op('Add', [g, e.op('Mul', [cv, p], st)], st) : g);
  const i = activation(e, fA, clip(peep(pre(0), pi, c)), st);
  const f = s.inputForget ? e.op('Sub', [e.konst([], [1]), i], st) : activation(e, fA, clip(peep(pre(2), pf, c)), st);
  const cc = activation(e, gA, clip(pre(3)), st);
  const ic = e.op('Mul', [i, cc], st);
  const cn = c ? e.op('Add', [e.op('Mul', [f, c], st), ic], st) : ic;
  const o = activation(e, fA, clip(peep(pre(1), po, cn)), st);
  return { h: e.op('Mul', [o, activation(e, hA, cn, st)], st), c: cn };
}

function gruStep(e: Emit, s: Spec, acts: Act[], h: string | undefined, pre: Pre, at: (g: number) => string, Rh: string, rbh: Float32Array | undefined, clip: Clip) {
  const st = [s.batch, s.H];
  const [fA, gA] = acts;
  const z = activation(e, fA, clip(pre(0)), st);
  const r = activation(e, fA, clip(pre(1)), st);
  let lin: string | undefined;
  if (h && s.linearBeforeReset) {
    const hr = e.op('MatMul', [h, Rh], st);
    lin = e.op('Mul', [r, rbh ? e.op('Add', [hr, e.konst([s.H], rbh)], st) : hr], st);
  } else if (s.linearBeforeReset && rbh) {
    lin = e.op('Mul', [r, e.konst([s.H], rbh)], st); // h = 0: r ⊙ Rb_h
  } else if (h) {
    lin = e.op('MatMul', [e.op('Mul', [r, h], st), Rh], st);
  }
  const hh = activation(e, gA, clip(lin ? e.op('Add', [at(2), lin], st) : at(2)), st);
  // h' = (1 − z) ⊙ hh + z ⊙ h
  const keep = e.op('Mul', [e.op('Sub', [e.konst([], [1]), z], st), hh], st);
  return { h: h ? e.op('Add', [keep, e.op('Mul', [z, h], st)], st) : keep };
}

/** Y, Y_h (and Y_c) from the per-step states, in the node's layout; unused outputs are not built. */
function assemble(e: Emit, n: NodeSpec, s: Spec, ys: string[][], finals: { h: string; c?: string }[]) {
  const { seq, batch, H, dirs, layout } = s;
  const shape = (v: number[]) => e.konst([v.length], v, 'i64');
  const cat = (parts: string[], axis: number, out: number[], name?: string) =>
    parts.length === 1 && !name ? parts[0] : e.op('Concat', parts, out, { axis: int(axis) }, name);
  const [yName, yhName, ycName] = n.outputs;
  if (yName) {
    const step = layout === 0 ? [1, 1, batch, H] : [batch, 1, 1, H];
    const perDir = ys.map((y) => cat(y.map((v) => e.op('Reshape', [v, shape(step)], step)), layout === 0 ? 0 : 1,
      layout === 0 ? [seq, 1, batch, H] : [batch, seq, 1, H]));
    if (perDir.length === 1) e.op('Identity', perDir, [], undefined, yName);
    else cat(perDir, layout === 0 ? 1 : 2, [], yName);
  }
  const state = (vals: string[], out: string) => {
    const one = layout === 0 ? [1, batch, H] : [batch, 1, H];
    const parts = vals.map((v) => e.op('Reshape', [v, shape(one)], one));
    if (parts.length === 1) e.op('Identity', parts, [], undefined, out);
    else cat(parts, layout === 0 ? 0 : 1, [], out);
  };
  if (yhName) state(finals.map((f) => f.h), yhName);
  if (ycName && s.op === 'LSTM') {
    // A zero-step LSTM never happens here (seq is static and ≥ 1); c exists after the first step.
    state(finals.map((f) => f.c!), ycName);
  }
  return { nodes: e.nodes, constants: e.constants, types: e.types };
}

const rule: Rule = (n, ctx) => {
  if ((n.domain ?? '') !== '' || !(n.op in RNN_KINDS)) return undefined;
  const s = specOf(n, ctx);
  return s && s.seq >= 1 ? unroll(n, s, ctx) : undefined;
};

export const decomposeRnnPass: GraphPass = {
  name: 'decompose-rnn',
  doc: 'unroll LSTM/GRU/RNN with a static sequence length into per-step MatMul/Add/Mul/activation ops',
  run: (g) => rewriteGraph(g, rule),
};
