// Reference kernels of LSTM, GRU and RNN: each direction runs each batch row through its own
// sequence length, one time step at a time (rnn-cells.ts). Steps past a row's length leave zeros in Y;
// the reverse direction walks a row's valid steps backwards, as onnxruntime does.
import { Tensor } from '../../ir/graph/tensor.ts';
import { RNN_KINDS, directionCount, type RnnOp } from '../../ir/graph/ops/rnn.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { type Cell, SCRATCH, STEPS, parseActivations } from './rnn-cells.ts';
import { fail, ints } from './util.ts';

interface Dims { seq: number; batch: number; input: number; hidden: number; dirs: number; layout: number }

function values(t: Tensor): ArrayLike<number> {
  return t.data instanceof Float32Array || t.data instanceof Float64Array ? t.data : t.toF32();
}

function expectShape(node: KernelNode, name: string, t: Tensor, want: number[]): void {
  if (t.rank !== want.length || t.shape.some((d, i) => d !== want[i])) fail(node, `${name} must have shape [${want}], got [${t.shape}]`);
}

function dimsOf(op: RnnOp, node: KernelNode, inputs: readonly (Tensor | null)[]): Dims {
  const [X, W, R, B, , h0, c0, P] = inputs;
  if (!X || !W || !R) fail(node, 'needs inputs X, W and R');
  if (X.rank !== 3) fail(node, `X must have rank 3, got [${X.shape}]`);
  const direction = node.attr.string('direction', 'forward');
  const dirs = directionCount(direction) ?? fail(node, `direction "${direction}" must be forward, reverse or bidirectional`);
  const layout = node.attr.int('layout', 0);
  if (layout !== 0 && layout !== 1) fail(node, `layout must be 0 or 1, got ${layout}`);
  const hidden = node.attr.has('hidden_size') ? node.attr.int('hidden_size') : R.shape[2] ?? 0;
  const [seq, batch, input] = layout === 0 ? X.shape : [X.shape[1], X.shape[0], X.shape[2]];
  const G = RNN_KINDS[op].gates;
  if (hidden <= 0) fail(node, `hidden_size must be positive, got ${hidden}`);
  // Checking W and R against hidden_size bounds every buffer below by the size of real inputs.
  expectShape(node, 'W', W, [dirs, G * hidden, input]);
  expectShape(node, 'R', R, [dirs, G * hidden, hidden]);
  if (B) expectShape(node, 'B', B, [dirs, 2 * G * hidden]);
  const state = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  if (h0) expectShape(node, 'initial_h', h0, state);
  if (c0) expectShape(node, 'initial_c', c0, state);
  if (P) expectShape(node, 'P', P, [dirs, 3 * hidden]);
  return { seq, batch, input, hidden, dirs, layout };
}

function sequenceLengths(node: KernelNode, t: Tensor | null, d: Dims): number[] {
  if (!t) return new Array<number>(d.batch).fill(d.seq);
  if (t.rank !== 1 || t.shape[0] !== d.batch) fail(node, `sequence_lens must have shape [${d.batch}], got [${t.shape}]`);
  const lens = ints(t);
  for (const n of lens) if (!(n >= 0 && n <= d.seq)) fail(node, `sequence_lens value ${n} is outside [0, ${d.seq}]`);
  return lens;
}

function cellOf(op: RnnOp, node: KernelNode, inputs: readonly (Tensor | null)[], d: Dims, dir: number): Cell {
  const [, W, R, B, , , , P] = inputs;
  const G = RNN_KINDS[op].gates, H = d.hidden;
  const clip = node.attr.has('clip') ? node.attr.float('clip') : Infinity;
  if (!(clip > 0)) fail(node, `clip must be positive, got ${clip}`);
  return {
    hidden: H, inputSize: d.input,
    W: values(W!), wOff: dir * G * H * d.input,
    R: values(R!), rOff: dir * G * H * H,
    B: B ? values(B) : null, bOff: dir * 2 * G * H,
    P: P ? values(P) : null, pOff: dir * 3 * H,
    acts: parseActivations(node, op, d.dirs)[dir],
    clip,
    inputForget: node.attr.int('input_forget', 0) !== 0,
    linearBeforeReset: node.attr.int('linear_before_reset', 0) !== 0,
  };
}

function runRnn(op: RnnOp, inputs: readonly (Tensor | null)[], node: KernelNode): Tensor[] {
  const d = dimsOf(op, node, inputs);
  const [X, , , , lensT, h0, c0] = inputs;
  const { seq, batch, input, hidden: H, dirs, layout } = d;
  const lens = sequenceLengths(node, lensT, d);
  const x = values(X!);
  const init = { h: h0 ? values(h0) : null, c: c0 ? values(c0) : null };
  const Y = new Float64Array(seq * dirs * batch * H), Yh = new Float64Array(dirs * batch * H), Yc = new Float64Array(dirs * batch * H);
  const xAt = (t: number, b: number) => (layout === 0 ? t * batch + b : b * seq + t) * input;
  const yAt = (t: number, dir: number, b: number) => (layout === 0 ? (t * dirs + dir) * batch + b : (b * seq + t) * dirs + dir) * H;
  const stateAt = (dir: number, b: number) => (layout === 0 ? dir * batch + b : b * dirs + dir) * H;
  const step = STEPS[op];
  const scratch = new Float64Array(SCRATCH[op] * H);
  const reverse = node.attr.string('direction', 'forward') === 'reverse';
  for (let dir = 0; dir < dirs; dir++) {
    const cell = cellOf(op, node, inputs, d, dir);
    const backwards = reverse || dir === 1;
    for (let b = 0; b < batch; b++) {
      const s0 = stateAt(dir, b);
      const h = new Float64Array(H), c = new Float64Array(H);
      for (let j = 0; j < H; j++) { h[j] = init.h ? init.h[s0 + j] : 0; c[j] = init.c ? init.c[s0 + j] : 0; }
      const len = lens[b];
      for (let s = 0; s < len; s++) {
        const t = backwards ? len - 1 - s : s;
        step(cell, x, xAt(t, b), h, c, scratch);
        Y.set(h, yAt(t, dir, b));
      }
      // onnxruntime reports zero final states for an empty sequence.
      if (len > 0) { Yh.set(h, s0); Yc.set(c, s0); }
    }
  }
  const dtype = X!.dtype === 'f64' ? 'f64' : 'f32';
  const wrap = (shape: number[], v: Float64Array) => new Tensor(dtype, shape, dtype === 'f64' ? v : Float32Array.from(v));
  const state = layout === 0 ? [dirs, batch, H] : [batch, dirs, H];
  const outs = [wrap(layout === 0 ? [seq, dirs, batch, H] : [batch, seq, dirs, H], Y), wrap(state, Yh), wrap(state, Yc)];
  return outs.slice(0, RNN_KINDS[op].outputs);
}

for (const op of Object.keys(RNN_KINDS) as RnnOp[]) defineKernel(op, (inputs, node) => runRnn(op, inputs, node));
