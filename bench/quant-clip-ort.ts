// Activation clip factors by end-to-end output SQNR (passes/quantize/ranges-e2e.ts) with onnxruntime as
// the judge: one session of the clip graph (u8 QDQ whose scale / zero point are graph inputs) serves
// every candidate, so a det 192² candidate on 16 judging pages costs ~0.3 s instead of a model rebuild.
import { Tensor } from '../src/ir/graph/tensor.ts';
import type { Graph } from '../src/ir/graph/graph.ts';
import type { Range } from '../src/quant/activations.ts';
import type { TensorMap } from '../src/runtime/interpreter.ts';
import { metricsOf } from '../src/quant/sensitivity-metrics.ts';
import { toOnnxBytes } from '../passes/quantize/export.ts';
import { clipFeeds, clipGraph, type DescentOptions, type DescentResult, descendClips } from '../passes/quantize/ranges-e2e.ts';
import { activationInputs } from '../passes/quantize/groups.ts';

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

async function runSession(ort: Ort, s: Session, samples: readonly TensorMap[], extra: TensorMap = {}): Promise<TensorMap[]> {
  const feedsOf = (m: TensorMap) => Object.fromEntries(Object.entries(m).map(([k, t]) =>
    [k, new ort.Tensor(t.dtype === 'u8' ? 'uint8' : 'float32', t.data as Float32Array | Uint8Array, [...t.shape])]));
  const ex = feedsOf(extra), outs: TensorMap[] = [];
  for (const x of samples) {
    const r = await s.run({ ...feedsOf(x), ...ex });
    outs.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, new Tensor('f32', v.dims as number[], v.data as Float32Array)])));
  }
  return outs;
}

/** `clipRangesByOutput` on onnxruntime: clip factors per u8 site of g (weights as in g) judged on `judge`. */
export async function ortClipRanges(g: Graph, ranges: ReadonlyMap<string, Range>, judge: readonly TensorMap[],
  opts: DescentOptions & { sites?: readonly string[]; folds?: number } = {}): Promise<DescentResult> {
  const ort = await import('onnxruntime-node');
  const create = (x: Graph) => ort.InferenceSession.create(toOnnxBytes(x), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 3 });
  const all = activationInputs(g), fs = await create(g), cs = await create(clipGraph(g, all));
  const refs = await runSession(ort, fs, judge);
  await fs.release();
  const k = opts.folds ?? 0, per = Math.ceil(judge.length / Math.max(k, 1));
  const score = async (r: ReadonlyMap<string, Range>) => {
    const outs = await runSession(ort, cs, judge, clipFeeds(all, r));
    const folds = Array.from({ length: k }, (_, i) => metricsOf(refs.slice(i * per, (i + 1) * per), outs.slice(i * per, (i + 1) * per)).sqnr);
    return [metricsOf(refs, outs).sqnr, ...folds];
  };
  try { return await descendClips(opts.sites ?? all, ranges, score, opts); } finally { await cs.release(); }
}
