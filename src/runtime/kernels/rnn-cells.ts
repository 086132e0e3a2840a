// One time step of each recurrent cell (LSTM, GRU, RNN) for one batch row, and the activation
// functions the recurrent ops name in their `activations` attribute. Gate order follows ONNX:
// LSTM i,o,f,c (peepholes i,o,f); GRU z,r,h; RNN a single gate.
import type { KernelNode } from '../kernel.ts';
import { fail } from './util.ts';
import { RNN_ACTIVATIONS, RNN_KINDS, type RnnOp } from '../../ir/graph/ops/rnn.ts';

export interface Act { readonly name: string; readonly alpha: number; readonly beta: number }

// Which activations read alpha/beta, and onnxruntime's defaults when the lists run out.
const USES: Record<string, [boolean, boolean]> = {
  affine: [true, true], leakyrelu: [true, false], thresholdedrelu: [true, false], scaledtanh: [true, true],
  hardsigmoid: [true, true], elu: [true, false],
};
const DEFAULTS: Record<string, [number, number]> = { leakyrelu: [0.01, 0], hardsigmoid: [0.2, 0.5], elu: [1, 0] };
const DEFAULT_NAMES: Record<RnnOp, string[]> = { RNN: ['tanh'], GRU: ['sigmoid', 'tanh'], LSTM: ['sigmoid', 'tanh', 'tanh'] };

/**
 * The activation functions of each direction. alpha/beta values are consumed in list order by the
 * functions that take them (as onnxruntime does), so [LeakyRelu, Tanh, HardSigmoid] reads alpha,
 * then alpha and beta.
 */
export function parseActivations(node: KernelNode, op: RnnOp, dirs: number): Act[][] {
  const per = RNN_KINDS[op].activations;
  let names = node.attr.has('activations') ? node.attr.strings('activations').map((s) => s.toLowerCase()) : [];
  if (names.length === 0) names = Array.from({ length: dirs }, () => DEFAULT_NAMES[op]).flat();
  if (dirs === 1 && names.length === 2 * per) names = names.slice(0, per);
  if (names.length !== per * dirs) fail(node, `activations lists ${names.length} functions, ${op} with ${dirs} direction(s) needs ${per * dirs}`);
  const alphas = node.attr.has('activation_alpha') ? node.attr.floats('activation_alpha') : [];
  const betas = node.attr.has('activation_beta') ? node.attr.floats('activation_beta') : [];
  let ai = 0, bi = 0;
  const acts = names.map((name): Act => {
    if (!RNN_ACTIVATIONS.includes(name)) fail(node, `activation "${name}" is not supported`);
    const [useA, useB] = USES[name] ?? [false, false];
    const [da, db] = DEFAULTS[name] ?? [0, 0];
    const alpha = useA ? (ai < alphas.length ? alphas[ai++] : da) : 0;
    const beta = useB ? (bi < betas.length ? betas[bi++] : db) : 0;
    return { name, alpha, beta };
  });
  return Array.from({ length: dirs }, (_, d) => acts.slice(d * per, (d + 1) * per));
}

export function activate(a: Act, x: number): number {
  switch (a.name) {
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
    case 'relu': return x > 0 ? x : 0;
    case 'affine': return a.alpha * x + a.beta;
    case 'leakyrelu': return x >= 0 ? x : a.alpha * x;
    case 'thresholdedrelu': return x > a.alpha ? x : 0;
    case 'scaledtanh': return a.alpha * Math.tanh(a.beta * x);
    case 'hardsigmoid': return Math.min(1, Math.max(0, a.alpha * x + a.beta));
    case 'elu': return x >= 0 ? x : a.alpha * (Math.exp(x) - 1);
    case 'softsign': return x / (1 + Math.abs(x));
    case 'softplus': return Math.log1p(Math.exp(x));
    default: throw new Error(`unknown RNN activation ${a.name}`); // parseActivations admits only known names
  }
}

/** Weights of one direction, laid out as in the ONNX inputs (gate blocks of `hidden` rows). */
export interface Cell {
  readonly hidden: number;
  readonly inputSize: number;
  readonly W: ArrayLike<number>; readonly wOff: number; // [gates·hidden, input]
  readonly R: ArrayLike<number>; readonly rOff: number; // [gates·hidden, hidden]
  /** Wb then Rb, 2·gates·hidden values, or null when B is omitted. */
  readonly B: ArrayLike<number> | null; readonly bOff: number;
  /** Peepholes i,o,f (LSTM), or null. */
  readonly P: ArrayLike<number> | null; readonly pOff: number;
  readonly acts: readonly Act[];
  readonly clip: number;
  readonly inputForget: boolean;
  readonly linearBeforeReset: boolean;
}

/** out[r] = Σk A[aOff + (row0 + r)·K + k] · v[vOff + k] for r < rows, added to out[outOff + r]. */
function addMatVec(out: Float64Array, outOff: number, rows: number, K: number, A: ArrayLike<number>, aOff: number, v: ArrayLike<number>, vOff: number): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = aOff + r * K;
    for (let k = 0; k < K; k++) s += A[base + k] * v[vOff + k];
    out[outOff + r] += s;
  }
}

const clamp = (x: number, c: number) => (x > c ? c : x < -c ? -c : x);

/** Pre-activation gates: Wb + Rb + W·x + R·h for the first `rows` gate rows (all rows of W). */
function gateInputs(cell: Cell, g: Float64Array, x: ArrayLike<number>, xOff: number, h: Float64Array, gates: number, recurrentRows: number): void {
  const H = cell.hidden, n = gates * H;
  if (cell.B) for (let k = 0; k < n; k++) g[k] = cell.B[cell.bOff + k] + (k < recurrentRows ? cell.B[cell.bOff + n + k] : 0);
  else g.fill(0, 0, n);
  addMatVec(g, 0, n, cell.inputSize, cell.W, cell.wOff, x, xOff);
  addMatVec(g, 0, recurrentRows, H, cell.R, cell.rOff, h, 0);
}

export function lstmStep(cell: Cell, x: ArrayLike<number>, xOff: number, h: Float64Array, c: Float64Array, g: Float64Array): void {
  const H = cell.hidden, P = cell.P, p = cell.pOff, clip = cell.clip;
  const [fAct, gAct, hAct] = cell.acts;
  gateInputs(cell, g, x, xOff, h, 4, 4 * H);
  for (let j = 0; j < H; j++) {
    const cp = c[j];
    const i = activate(fAct, clamp(g[j] + (P ? P[p + j] * cp : 0), clip));
    const f = cell.inputForget ? 1 - i : activate(fAct, clamp(g[2 * H + j] + (P ? P[p + 2 * H + j] * cp : 0), clip));
    const cc = activate(gAct, clamp(g[3 * H + j], clip));
    const cn = f * cp + i * cc;
    const o = activate(fAct, clamp(g[H + j] + (P ? P[p + H + j] * cn : 0), clip));
    c[j] = cn;
    h[j] = o * activate(hAct, cn);
  }
}

/** g needs 5·hidden scratch: z,r,h pre-activations, then the reset-gated state and its product with Rh. */
export function gruStep(cell: Cell, x: ArrayLike<number>, xOff: number, h: Float64Array, _c: Float64Array, g: Float64Array): void {
  const H = cell.hidden, B = cell.B, b = cell.bOff, clip = cell.clip;
  const [fAct, gAct] = cell.acts;
  gateInputs(cell, g, x, xOff, h, 3, 2 * H); // the h gate's recurrent term depends on r: added below
  const rh = g.subarray(3 * H, 4 * H), lin = g.subarray(4 * H, 5 * H);
  for (let j = 0; j < H; j++) g[H + j] = activate(fAct, clamp(g[H + j], clip)); // r
  lin.fill(0);
  if (cell.linearBeforeReset) {
    addMatVec(lin, 0, H, H, cell.R, cell.rOff + 2 * H * H, h, 0);
    for (let j = 0; j < H; j++) lin[j] = g[H + j] * (lin[j] + (B ? B[b + 5 * H + j] : 0));
  } else {
    for (let j = 0; j < H; j++) rh[j] = g[H + j] * h[j];
    addMatVec(lin, 0, H, H, cell.R, cell.rOff + 2 * H * H, rh, 0);
    if (B) for (let j = 0; j < H; j++) lin[j] += B[b + 5 * H + j];
  }
  for (let j = 0; j < H; j++) {
    const z = activate(fAct, clamp(g[j], clip));
    const hh = activate(gAct, clamp(g[2 * H + j] + lin[j], clip));
    h[j] = (1 - z) * hh + z * h[j];
  }
}

export function rnnStep(cell: Cell, x: ArrayLike<number>, xOff: number, h: Float64Array, _c: Float64Array, g: Float64Array): void {
  gateInputs(cell, g, x, xOff, h, 1, cell.hidden);
  for (let j = 0; j < cell.hidden; j++) h[j] = activate(cell.acts[0], clamp(g[j], cell.clip));
}

export const STEPS = { LSTM: lstmStep, GRU: gruStep, RNN: rnnStep } as const;
/** Scratch size (in multiples of hidden) each step needs. */
export const SCRATCH = { LSTM: 4, GRU: 5, RNN: 1 } as const;
