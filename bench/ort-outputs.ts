// Model outputs per sample on onnxruntime's CPU provider (one session, graph optimizations off: the
// QDQ pattern as written) — how the quantization benches run held-out inputs of the QDQ export
// (passes/quantize/export.ts, which matches the reference runtime to 1e-4).
import { Tensor } from '../src/ir/graph/tensor.ts';
import type { TensorMap } from '../src/runtime/interpreter.ts';

export async function ortOutputs(bytes: Uint8Array, samples: readonly TensorMap[]): Promise<TensorMap[]> {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 3 });
  const outs: TensorMap[] = [];
  for (const x of samples) {
    const feeds = Object.fromEntries(Object.entries(x).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, [...t.shape])]));
    const r = await s.run(feeds);
    outs.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, new Tensor('f32', v.dims as number[], v.data as Float32Array)])));
  }
  await s.release();
  return outs;
}
