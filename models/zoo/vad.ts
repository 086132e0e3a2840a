// A silero-VAD-style streaming model: an If that picks the feature encoder for the input's sample
// layout (its condition folds away once shapes are known), then an LSTM carrying state across calls.
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { type Built, Net } from './net.ts';
import { reduceMean, squeeze, unsqueeze } from './forms.ts';

const HIDDEN = 16, FEATURES = 8, SAMPLES = 256, FRAMES = 16;

/** An encoder branch: 1-D strided conv over the raw samples, read from the enclosing graph. */
function encoder(opset: number, seed: number, prefix: string, audio: string, hop: number): Net {
  const n = new Net(opset, seed, prefix, `${prefix}encoder`);
  const x = unsqueeze(n, audio, [1]);
  let y = n.op('Relu', [n.conv(x, 1, FEATURES, hop, { stride: hop, pad: 0, spatial: 1 })]);
  const pool = SAMPLES / hop / FRAMES;
  if (pool > 1) y = n.op('MaxPool', [y], { kernel_shape: [pool], strides: [pool] });
  n.output(y);
  return n;
}

/** Inputs audio [1, 256], h/c [1, 1, 16]; outputs speech probability [1, 1] and the new state. */
export function sileroVad(opset: number): Built {
  const n = new Net(opset, 41);
  const audio = n.input('audio', [1, SAMPLES]);
  const h0 = n.input('h', [1, 1, HIDDEN]);
  const c0 = n.input('c', [1, 1, HIDDEN]);

  // Silero branches on the sample rate; here on the window length, which is known at import.
  const len = n.op('Gather', [n.op('Shape', [audio]), n.constant(Tensor.i64([1], []))], { axis: 0 });
  const is16k = n.op('Equal', [len, n.constant(Tensor.i64([SAMPLES], []))]);
  const feats = n.op('If', [is16k], {
    then_branch: encoder(opset, 42, 'then/', audio, SAMPLES / FRAMES).b,
    else_branch: encoder(opset, 43, 'else/', audio, SAMPLES / FRAMES / 2).b,
  });

  const seq = n.op('Transpose', [feats], { perm: [2, 0, 1] }); // [frames, batch, features]
  const s = 1 / Math.sqrt(HIDDEN);
  const w = n.init(n.uniform([1, 4 * HIDDEN, FEATURES], -s, s), 'lstm_W');
  const r = n.init(n.uniform([1, 4 * HIDDEN, HIDDEN], -s, s), 'lstm_R');
  const b = n.init(n.uniform([1, 8 * HIDDEN], -s, s), 'lstm_B');
  const [y, hn, cn] = n.ops('LSTM', [seq, w, r, b, '', h0, c0], { hidden_size: HIDDEN }, 3);

  const frames = n.op('Transpose', [squeeze(n, y, [1])], { perm: [1, 2, 0] }); // [batch, hidden, frames]
  const logits = n.conv(n.op('Relu', [frames]), HIDDEN, 1, 1, { spatial: 1 });
  const prob = reduceMean(n, n.op('Sigmoid', [logits]), [2], 0);
  n.output(prob, 'prob');
  n.output(hn, 'hn');
  n.output(cn, 'cn');
  return { bytes: n.toBytes() };
}
