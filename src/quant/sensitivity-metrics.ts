// Output metrics of a quantized model against fp32: SQNR and MSE over every output element of every
// sample, and agreement of the final decision (top-1 for classifier outputs [N, C]).
import type { Tensor } from '../ir/graph/tensor.ts';
import type { TensorMap } from '../runtime/interpreter.ts';

export interface OutputMetrics {
  /** 10·log10(Σ ref² / Σ (ref − q)²), dB; Infinity when equal. */
  sqnr: number;
  mse: number;
  /** Top-1 agreement with fp32 (fraction of rows) when some output is [N, C] with C > 1, else null. */
  top1: number | null;
}

export class MetricAccumulator {
  private sig = 0;
  private err = 0;
  private n = 0;
  private rows = 0;
  private agree = 0;

  /** `w`: the sample's weight (a screened verification subset stands for a larger pool, search-screen.ts). */
  add(ref: TensorMap, q: TensorMap, w = 1): void {
    for (const [k, r] of Object.entries(ref)) this.addTensor(r, q[k], w);
  }

  addTensor(ref: Tensor, q: Tensor, w = 1): void {
    const a = ref.toF32(), b = q.toF32();
    let sig = 0, err = 0;
    for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; sig += a[i] * a[i]; err += d * d; }
    this.sig += w * sig; this.err += w * err;
    this.n += w * a.length;
    if (ref.rank === 2 && ref.shape[1] > 1) {
      const c = ref.shape[1];
      for (let r = 0; r < ref.shape[0]; r++) { this.rows += w; if (argmax(a, r * c, c) === argmax(b, r * c, c)) this.agree += w; }
    }
  }

  result(): OutputMetrics {
    return { sqnr: sqnrDb(this.sig, this.err), mse: this.n ? this.err / this.n : 0, top1: this.rows ? this.agree / this.rows : null };
  }
}

export function sqnrDb(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

function argmax(a: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}

export function metricsOf(refs: readonly TensorMap[], qs: readonly TensorMap[], weights?: readonly number[]): OutputMetrics {
  const acc = new MetricAccumulator();
  refs.forEach((r, i) => acc.add(r, qs[i], weights?.[i] ?? 1));
  return acc.result();
}
