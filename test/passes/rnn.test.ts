// decompose-rnn: each LSTM/GRU/RNN variant unrolled and run on the reference runtime must match
// onnxruntime on the original node (random inputs and weights); a golden text file pins the unrolled
// graph of a tiny LSTM (UPDATE_GOLDEN=1 rewrites it); nodes it cannot unroll are left in place.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AttrInput } from '../../models/builder.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { printGraph } from '../../src/ir/graph/print.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { lookupPass, passContext, runPasses, verifyInstrument } from '../../passes/index.ts';
import { oneOpModel, randomInputs } from '../helpers/check.ts';

const GATES = { LSTM: 4, GRU: 3, RNN: 1 } as const;
type Op = keyof typeof GATES;

interface Case {
  op: Op; seq?: number; batch?: number; input?: number; H?: number; dir?: 'forward' | 'reverse' | 'bidirectional';
  layout?: 0 | 1; bias?: boolean; h0?: boolean; c0?: boolean; peep?: boolean; lens?: 'full' | 'short';
  attrs?: Record<string, AttrInput>; outputs?: number;
}

function model(c: Case): Uint8Array {
  const seq = c.seq ?? 3, batch = c.batch ?? 2, input = c.input ?? 5, H = c.H ?? 4;
  const D = c.dir === 'bidirectional' ? 2 : 1, G = GATES[c.op], L = c.layout ?? 0;
  const state = L === 0 ? [D, batch, H] : [batch, D, H];
  const lens = c.lens === undefined ? null : Tensor.fromNumbers('i32', [batch], Array.from({ length: batch }, (_, b) => (c.lens === 'short' && b === 0 ? seq - 1 : seq)));
  const inputs = [
    ['f32', L === 0 ? [seq, batch, input] : [batch, seq, input]] as ['f32', number[]],
    randomTensor('f32', [D, G * H, input], 11, -0.7, 0.7), randomTensor('f32', [D, G * H, H], 12, -0.7, 0.7),
    c.bias ? randomTensor('f32', [D, 2 * G * H], 13, -0.5, 0.5) : null,
    lens,
    c.h0 ? ['f32', state] as ['f32', number[]] : null,
    c.op === 'LSTM' && c.c0 ? ['f32', state] as ['f32', number[]] : null,
    c.op === 'LSTM' && c.peep ? randomTensor('f32', [D, 3 * H], 14, -0.5, 0.5) : null,
  ];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  return oneOpModel({
    op: c.op, inputs, outputs: c.outputs ?? (c.op === 'LSTM' ? 3 : 2),
    attrs: { hidden_size: H, direction: c.dir ?? 'forward', ...(L ? { layout: 1 } : {}), ...c.attrs },
  });
}

async function check(c: Case): Promise<void> {
  const bytes = model(c);
  const g = loadOnnxBytes(bytes).graph;
  const after = runPasses(g, [lookupPass('decompose-rnn')], passContext({}, [verifyInstrument()]));
  expect(after.nodes.some((n) => n.op === c.op), 'the recurrent node is unrolled').toBe(false);
  const inputs = randomInputs(bytes, { seed: 5 });
  // onnxruntime has no batch-major (layout 1) recurrent kernels: there the reference runtime's node is the truth.
  const ours = runGraph(after, inputs), ref = c.layout === 1 ? runGraph(g, inputs) : await runOrt(bytes, inputs);
  for (const [k, r] of Object.entries(ref)) {
    const d = compareTensors(k, ours[k], r, 1e-4);
    expect(d.shapeMatch && d.ok, `${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
  }
}

describe('decompose-rnn matches onnxruntime', () => {
  const cases: [string, Case][] = [
    ['LSTM forward, bias, initial states, peepholes', { op: 'LSTM', bias: true, h0: true, c0: true, peep: true }],
    ['LSTM reverse, no bias, no states', { op: 'LSTM', dir: 'reverse' }],
    ['LSTM bidirectional, full sequence_lens', { op: 'LSTM', dir: 'bidirectional', bias: true, h0: true, c0: true, peep: true, lens: 'full' }],
    ['LSTM bidirectional, layout 1 (against the reference runtime)', { op: 'LSTM', dir: 'bidirectional', layout: 1, bias: true, h0: true, c0: true }],
    ['LSTM clip and input_forget', { op: 'LSTM', bias: true, h0: true, attrs: { clip: 0.3, input_forget: 1 } }],
    ['LSTM activations (HardSigmoid, LeakyRelu, ScaledTanh)', {
      op: 'LSTM', bias: true, attrs: { activations: ['HardSigmoid', 'LeakyRelu', 'ScaledTanh'], activation_alpha: [0.3, 0.05, 0.9], activation_beta: [0.4, 1.1] },
    }],
    ['GRU forward, bias, initial state', { op: 'GRU', bias: true, h0: true }],
    ['GRU linear_before_reset, bidirectional', { op: 'GRU', bias: true, h0: true, dir: 'bidirectional', attrs: { linear_before_reset: 1 } }],
    ['GRU linear_before_reset, no initial state, layout 1, reverse (reference runtime)', { op: 'GRU', bias: true, layout: 1, dir: 'reverse', attrs: { linear_before_reset: 1 } }],
    ['GRU activations and clip', { op: 'GRU', bias: true, attrs: { activations: ['Sigmoid', 'Softsign'], clip: 0.5 } }],
    ['RNN forward (Tanh)', { op: 'RNN', bias: true, h0: true }],
    ['RNN bidirectional Relu / Affine', { op: 'RNN', dir: 'bidirectional', bias: true, attrs: { activations: ['Relu', 'Affine'], activation_alpha: [0.5], activation_beta: [0.1] } }],
    ['RNN Y only (Y_h unused), seq 1', { op: 'RNN', seq: 1, outputs: 1 }],
  ];
  for (const [name, c] of cases) it(name, () => check(c));
});

describe('decompose-rnn leaves what it cannot unroll', () => {
  it('a sequence_lens shorter than the sequence stays an LSTM node', () => {
    const g = loadOnnxBytes(model({ op: 'LSTM', lens: 'short' })).graph;
    expect(runPasses(g, [lookupPass('decompose-rnn')]).nodes.map((n) => n.op)).toEqual(['LSTM']);
  });
});

describe('decompose-rnn golden', () => {
  it('tiny LSTM (seq 2, batch 1, input 2, hidden 2, bias)', () => {
    const g = loadOnnxBytes(model({ op: 'LSTM', seq: 2, batch: 1, input: 2, H: 2, bias: true })).graph;
    const after = runPasses(g, [lookupPass('decompose-rnn')]);
    const text = `## before\n${printGraph(g)}\n## passes\ndecompose-rnn\n## after\n${printGraph(after)}\n`;
    const file = fileURLToPath(new URL('./rnn-golden/decompose-rnn-lstm.txt', import.meta.url));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
    expect(existsSync(file), `missing golden ${file}; create it with UPDATE_GOLDEN=1`).toBe(true);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
