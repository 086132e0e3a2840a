// One GPT-2 decoder step with a KV cache (random weights), the workload of batched LLM decode that
// NeuPIMs/AttAcc split between an NPU and PIM. Hidden states are 2-D [B, C] as HF's Conv1D flattens
// them (T = 1), so every projection is a (batched) GEMV. The K cache is kept transposed
// ([B, H, D, P], as several decode kernels store it) so that q·Kᵀ reads it as a resident matrix with no
// Transpose node. The cache is not copied: attention scores the cached tokens and the new one
// separately, one softmax covers both, and present_* are the new token's k/v, which the serving
// runtime writes into the cache in place (shared-buffer / paged decoders) — a Concat producing the
// grown cache would copy 2·B·H·P·D values per layer per step, which no real decoder does.
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { Net, type Built } from './net.ts';
import { gelu, layerNorm } from './forms.ts';

export interface DecodeDims {
  readonly batch: number;
  /** Tokens already in the KV cache. */
  readonly past: number;
  readonly layers: number;
  /** Model width C = heads · headDim. */
  readonly width: number;
  readonly heads: number;
  readonly vocab: number;
}

/** GPT-2 small's shape (124M parameters) with a 512-token cache. */
export const GPT2_SMALL: DecodeDims = { batch: 1, past: 512, layers: 12, width: 768, heads: 12, vocab: 50257 };
/** Small enough for tests: every op of the real one, tiny sizes. */
export const GPT2_TINY: DecodeDims = { batch: 2, past: 16, layers: 1, width: 32, heads: 2, vocab: 64 };

/** x[B, C] · W[C, N] + b, the HF Conv1D. */
function conv1d(n: Net, x: string, cin: number, cout: number): string {
  const y = n.op('MatMul', [x, n.init(n.weight([cin, cout], cin))]);
  return n.op('Add', [y, n.init(n.uniform([cout], -0.1, 0.1), 'b')]);
}

function block(n: Net, x: string, d: DecodeDims, layer: number): string {
  const { batch: B, past: P, width: C, heads: H } = d;
  const D = C / H;
  const h = layerNorm(n, x, C);
  const q = n.op('Reshape', [conv1d(n, h, C, C), n.ints([B, H, 1, D])]);
  const k = n.op('Reshape', [conv1d(n, h, C, C), n.ints([B, H, D, 1])]);
  const v = n.op('Reshape', [conv1d(n, h, C, C), n.ints([B, H, 1, D])]);
  const pastK = n.b.input(`past_key_${layer}`, 'f32', [B, H, D, P]);
  const pastV = n.b.input(`past_value_${layer}`, 'f32', [B, H, P, D]);
  n.output(k, `present_key_${layer}`);
  n.output(v, `present_value_${layer}`);
  const [kNew, vNew] = [`present_key_${layer}`, `present_value_${layer}`];
  // Scores over the cache and over the new token, one softmax over both, then the two weighted sums.
  const scores = n.op('Concat', [n.op('MatMul', [q, pastK]), n.op('MatMul', [q, kNew])], { axis: 3 });
  const p = n.op('Softmax', [n.op('Mul', [scores, n.scalar(1 / Math.sqrt(D))])], { axis: -1 });
  const pPast = n.op('Slice', [p, n.ints([0]), n.ints([P]), n.ints([3])]);
  const pNew = n.op('Slice', [p, n.ints([P]), n.ints([P + 1]), n.ints([3])]);
  const att = n.op('Add', [n.op('MatMul', [pPast, pastV]), n.op('Mul', [pNew, vNew])]);
  const o = n.op('Reshape', [att, n.ints([B, C])]);
  const x1 = n.op('Add', [x, conv1d(n, o, C, C)]);
  const m = conv1d(n, gelu(n, conv1d(n, layerNorm(n, x1, C), C, 4 * C)), 4 * C, C);
  return n.op('Add', [x1, m]);
}

/** input_ids / position_ids [B] → logits [B, vocab] and the grown caches. */
export function gpt2Decode(d: DecodeDims, opset = 17): Built {
  if (d.width % d.heads) throw new Error(`gpt2Decode: width ${d.width} is not a multiple of heads ${d.heads}`);
  const n = new Net(opset, 7);
  const ids = n.b.input('input_ids', 'i64', [d.batch]);
  const pos = n.b.input('position_ids', 'i64', [d.batch]);
  const tok = n.op('Gather', [n.init(n.uniform([d.vocab, d.width], -1, 1), 'wte'), ids], { axis: 0 });
  const wpe = n.op('Gather', [n.init(n.uniform([d.past + 1, d.width], -0.5, 0.5), 'wpe'), pos], { axis: 0 });
  let h = n.op('Add', [tok, wpe]);
  for (let l = 0; l < d.layers; l++) h = block(n, h, d, l);
  h = layerNorm(n, h, d.width);
  n.output(n.op('MatMul', [h, n.init(n.weight([d.width, d.vocab], d.width), 'lm_head')]), 'logits');
  const inputs = {
    input_ids: Tensor.i64(Array.from({ length: d.batch }, (_, i) => (i * 37 + 11) % d.vocab), [d.batch]),
    position_ids: Tensor.i64(Array.from({ length: d.batch }, () => d.past), [d.batch]),
  };
  return { bytes: n.toBytes(), inputs };
}
