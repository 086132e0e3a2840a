// Transformer models: a ViT encoder (patch-embedding conv, class token, pre-norm block, head) and a
// GPT-2 decoder (token + position embeddings, Gemm QKV + Split, causal mask, tied-size LM head).
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { type Built, Net } from './net.ts';
import { dynamicShape, gelu, layerNorm, split, unsqueeze } from './forms.ts';
import { attend, mergeHeads, splitHeads } from './attention.ts';

interface Dims { t: number; c: number; heads: number; mlp: number }

/** Pre-norm ViT encoder block with Linear (MatMul + Add) projections. */
function vitBlock(n: Net, x: string, { t, c, heads, mlp }: Dims): string {
  const d = c / heads;
  const h = layerNorm(n, x, c, 1e-12);
  const [q, k, v] = [0, 1, 2].map(() => splitHeads(n, n.linear(h, c, c), t, heads, d));
  const a = n.linear(mergeHeads(n, attend(n, q, k, v, d), t, c), c, c);
  const x1 = n.op('Add', [x, a]);
  const m = n.linear(gelu(n, n.linear(layerNorm(n, x1, c, 1e-12), c, mlp)), mlp, c);
  return n.op('Add', [x1, m]);
}

/** ViT: N×3×32×32 → 8×8 patches (16 tokens + class token) → one block → class-token head. */
export function vit(opset: number): Built {
  const n = new Net(opset, 31);
  const dims: Dims = { t: 17, c: 32, heads: 4, mlp: 64 };
  const x = n.input('pixels', ['N', 3, 32, 32]);
  const patches = n.conv(x, 3, dims.c, 8, { stride: 8, pad: 0 });
  const flat = n.op('Reshape', [patches, dynamicShape(n, patches, [{ dim: 0 }, dims.c, -1])]);
  const tokens = n.op('Transpose', [flat], { perm: [0, 2, 1] });
  const cls = n.op('Expand', [n.init(n.uniform([1, 1, dims.c], -1, 1), 'cls'), dynamicShape(n, x, [{ dim: 0 }, 1, dims.c])]);
  const seq = n.op('Concat', [cls, tokens], { axis: 1 });
  let h = n.op('Add', [seq, n.init(n.uniform([1, dims.t, dims.c], -0.5, 0.5), 'pos')]);
  h = layerNorm(n, vitBlock(n, h, dims), dims.c, 1e-12);
  const first = n.op('Gather', [h, n.constant(Tensor.i64([0], []))], { axis: 1 });
  n.output(n.gemm(first, dims.c, 10), 'logits');
  return { bytes: n.toBytes(), shapes: { pixels: [2, 3, 32, 32] } };
}

/** GPT-2 Conv1D: x.view(-1, C) → addmm (Gemm, weight stored [in, out]) → view(B, T, out). */
function conv1d(n: Net, x: string, t: number, cin: number, cout: number): string {
  const flat = n.op('Reshape', [x, n.ints([-1, cin])]);
  const y = n.op('Gemm', [flat, n.init(n.weight([cin, cout], cin)), n.init(n.uniform([cout], -0.1, 0.1), 'b')]);
  return n.op('Reshape', [y, dynamicShape(n, x, [{ dim: 0 }, t, cout])]);
}

/** The causal mask: the registered lower-triangular `bias` buffer, sliced to [1, 1, T, T]. */
function causalMask(n: Net, maxT: number, seqLen: string): string {
  const tri = Tensor.fromNumbers('bool', [1, 1, maxT, maxT], Array.from({ length: maxT * maxT }, (_, i) => +((i % maxT) <= Math.floor(i / maxT))));
  const end = unsqueeze(n, seqLen, [0]);
  const ends = n.op('Concat', [end, end], { axis: 0 });
  return n.op('Slice', [n.init(tri, 'bias'), n.ints([0, 0]), ends, n.ints([2, 3])]);
}

function gpt2Block(n: Net, x: string, mask: string, { t, c, heads, mlp }: Dims): string {
  const d = c / heads;
  const [q, k, v] = split(n, conv1d(n, layerNorm(n, x, c), t, c, 3 * c), [c, c, c], 2);
  const kr = n.op('Reshape', [k, dynamicShape(n, k, [{ dim: 0 }, t, heads, d])]);
  const kt = n.op('Transpose', [kr], { perm: [0, 2, 3, 1] });
  const o = attend(n, splitHeads(n, q, t, heads, d), kt, splitHeads(n, v, t, heads, d), d, { mask, kTransposed: true });
  const x1 = n.op('Add', [x, conv1d(n, mergeHeads(n, o, t, c), t, c, c)]);
  const m = conv1d(n, gelu(n, conv1d(n, layerNorm(n, x1, c), t, c, mlp)), t, mlp, c);
  return n.op('Add', [x1, m]);
}

/** GPT-2: token ids N×8 → embeddings (+ Range positions) → one block → final norm → logits N×8×64. */
export function gpt2(opset: number): Built {
  const n = new Net(opset, 32);
  const vocab = 64, maxT = 16;
  const dims: Dims = { t: 8, c: 32, heads: 4, mlp: 128 };
  const ids = n.b.input('input_ids', 'i64', ['N', dims.t]);
  const seqLen = n.op('Gather', [n.op('Shape', [ids]), n.constant(Tensor.i64([1], []))], { axis: 0 });
  const positions = unsqueeze(n, n.op('Range', [n.constant(Tensor.i64([0], [])), seqLen, n.constant(Tensor.i64([1], []))]), [0]);
  const tok = n.op('Gather', [n.init(n.uniform([vocab, dims.c], -1, 1), 'wte'), ids], { axis: 0 });
  const pos = n.op('Gather', [n.init(n.uniform([maxT, dims.c], -0.5, 0.5), 'wpe'), positions], { axis: 0 });
  let h = gpt2Block(n, n.op('Add', [tok, pos]), causalMask(n, maxT, seqLen), dims);
  h = layerNorm(n, h, dims.c);
  n.output(n.op('MatMul', [h, n.init(n.weight([dims.c, vocab], dims.c), 'lm_head')]), 'logits');
  const tokens = Array.from({ length: 2 * dims.t }, (_, i) => (i * 37 + 11) % vocab);
  return { bytes: n.toBytes(), shapes: { input_ids: [2, dims.t] }, inputs: { input_ids: Tensor.i64(tokens, [2, dims.t]) } };
}
