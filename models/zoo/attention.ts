// Multi-head attention pieces as PyTorch/HF exports them: head split via Reshape (shape read from
// the tensor at run time) + Transpose, scaled dot products, optional causal Where-mask, merge back.
import type { Net } from './net.ts';
import { dynamicShape, softmaxLast } from './forms.ts';

/** torch.finfo(float32).min: the value HF writes where attention is masked out. */
export const MASK_VALUE = -3.4028234663852886e38;

/** [B, T, H·D] → [B, H, T, D]; the batch comes from the tensor's shape, as in `x.view(B, T, H, D)`. */
export function splitHeads(n: Net, x: string, t: number, heads: number, d: number): string {
  const r = n.op('Reshape', [x, dynamicShape(n, x, [{ dim: 0 }, t, heads, d])]);
  return n.op('Transpose', [r], { perm: [0, 2, 1, 3] });
}

/** [B, H, T, D] → [B, T, H·D]. */
export function mergeHeads(n: Net, x: string, t: number, c: number): string {
  const tr = n.op('Transpose', [x], { perm: [0, 2, 1, 3] });
  return n.op('Reshape', [tr, dynamicShape(n, tr, [{ dim: 0 }, t, c])]);
}

/**
 * softmax(q·kᵀ / √d [masked]) · v on [B, H, T, D] heads. `kTransposed` says whether k was already
 * permuted to [B, H, D, T] (GPT-2 permutes k directly; ViT transposes the last two axes here).
 */
export function attend(n: Net, q: string, k: string, v: string, d: number, opts: { mask?: string; kTransposed?: boolean } = {}): string {
  const kt = opts.kTransposed ? k : n.op('Transpose', [k], { perm: [0, 1, 3, 2] });
  let s = n.op('Div', [n.op('MatMul', [q, kt]), n.scalar(Math.sqrt(d))]);
  if (opts.mask) s = n.op('Where', [opts.mask, s, n.scalar(MASK_VALUE)]);
  return n.op('MatMul', [softmaxLast(n, s, 4), v]);
}
