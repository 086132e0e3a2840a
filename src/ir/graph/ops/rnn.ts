// Shape rules of the recurrent layers LSTM, GRU and RNN (opset 14+ form: `layout` selects
// time-major [seq, batch, …] (0) or batch-major [batch, seq, …] (1) inputs and outputs).
import { isFloat } from '../dtype.ts';
import type { Dim, TensorType } from '../graph.ts';
import { defineOp, tt, type InferCtx } from './registry.ts';

/** Gate blocks in W/R/B per direction, and activation functions per direction, of each op. */
export const RNN_KINDS = {
  RNN: { gates: 1, activations: 1, outputs: 2 },
  GRU: { gates: 3, activations: 2, outputs: 2 },
  LSTM: { gates: 4, activations: 3, outputs: 3 },
} as const;
export type RnnOp = keyof typeof RNN_KINDS;

/** Activation functions the recurrent ops accept (matched case-insensitively). */
export const RNN_ACTIVATIONS = [
  'relu', 'tanh', 'sigmoid', 'affine', 'leakyrelu', 'thresholdedrelu', 'scaledtanh', 'hardsigmoid', 'elu', 'softsign', 'softplus',
];

export function directionCount(direction: string): number | undefined {
  return direction === 'bidirectional' ? 2 : direction === 'forward' || direction === 'reverse' ? 1 : undefined;
}

function checkDim(c: InferCtx, what: string, got: Dim, want: Dim): void {
  if (typeof got === 'number' && typeof want === 'number' && got !== want) c.fail(`${what} is ${got}, expected ${want}`);
}

function rnnRule(op: RnnOp) {
  return (c: InferCtx): TensorType[] => {
    const kind = RNN_KINDS[op];
    const x = c.input(0), w = c.input(1), r = c.input(2);
    if (!isFloat(x.dtype)) c.fail(`X must be a float tensor, got ${x.dtype}`);
    if (w.dtype !== x.dtype || r.dtype !== x.dtype) c.fail(`W and R must have X's type ${x.dtype}`);
    for (const [name, t] of [['X', x], ['W', w], ['R', r]] as const) {
      if (t.shape.length !== 3) c.fail(`${name} must have rank 3, got [${t.shape.join(',')}]`);
    }
    const direction = c.attr.string('direction', 'forward');
    const dirs = directionCount(direction) ?? c.fail(`direction "${direction}" must be forward, reverse or bidirectional`);
    const layout = c.attr.int('layout', 0);
    if (layout !== 0 && layout !== 1) c.fail(`layout must be 0 or 1, got ${layout}`);
    const hidden: Dim = c.attr.has('hidden_size') ? c.attr.int('hidden_size') : r.shape[2];
    if (typeof hidden === 'number' && hidden <= 0) c.fail(`hidden_size must be positive, got ${hidden}`);
    checkDim(c, 'W dim 0 (directions)', w.shape[0], dirs);
    checkDim(c, 'R dim 0 (directions)', r.shape[0], dirs);
    if (typeof hidden === 'number') {
      checkDim(c, 'W dim 1', w.shape[1], kind.gates * hidden);
      checkDim(c, 'R dim 1', r.shape[1], kind.gates * hidden);
      checkDim(c, 'R dim 2', r.shape[2], hidden);
    }
    checkDim(c, 'W dim 2 (input size)', w.shape[2], x.shape[2]);
    checkActivations(c, op, dirs);
    if (op === 'LSTM' && c.inputs[7]) {
      const p = c.input(7);
      if (p.shape.length !== 2) c.fail(`P must have rank 2, got [${p.shape.join(',')}]`);
      if (typeof hidden === 'number') checkDim(c, 'P dim 1', p.shape[1], 3 * hidden);
    }
    const [seq, batch] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
    const y = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
    const state = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
    const out = [tt(x.dtype, y), tt(x.dtype, state), tt(x.dtype, state)];
    return out.slice(0, kind.outputs);
  };
}

function checkActivations(c: InferCtx, op: RnnOp, dirs: number): void {
  if (!c.attr.has('activations')) return;
  const names = c.attr.strings('activations');
  const per = RNN_KINDS[op].activations;
  // A single-direction list may repeat the two-direction default (ONNX's RNN default is [Tanh, Tanh]).
  if (names.length !== per * dirs && !(dirs === 1 && names.length === 2 * per)) {
    c.fail(`activations lists ${names.length} functions, ${op} with ${dirs} direction(s) needs ${per * dirs}`);
  }
  for (const n of names) if (!RNN_ACTIVATIONS.includes(n.toLowerCase())) c.fail(`activation "${n}" is not supported`);
}

for (const op of Object.keys(RNN_KINDS) as RnnOp[]) defineOp({ name: op, infer: rnnRule(op) });
