// onnxruntime-node, the numerical truth. A dev dependency: loaded on demand, with a clear error if absent.
import { TargetError } from '../util/errors.ts';
import type { DType } from '../ir/graph/dtype.ts';
import { Tensor } from '../ir/graph/tensor.ts';
import type { TensorMap } from '../runtime/interpreter.ts';

const TO_ORT: Partial<Record<DType, string>> = {
  f32: 'float32', f64: 'float64', f16: 'float16', i64: 'int64', i32: 'int32', i16: 'int16', i8: 'int8',
  u8: 'uint8', u16: 'uint16', u32: 'uint32', u64: 'uint64', bool: 'bool',
};
const FROM_ORT = new Map(Object.entries(TO_ORT).map(([k, v]) => [v, k as DType]));

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;
async function ort(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').catch(() => {
    throw new TargetError('onnxruntime-node is not installed; `npm install --include=dev` to compare with it');
  });
  return ortPromise;
}

export interface OrtOptions {
  /** Graph optimization level; 'disabled' compares with the model as written. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** onnxruntime-node if it can be imported, else undefined (for callers with an interpreter fallback). */
export async function tryOrt(): Promise<Ort | undefined> {
  return ort().catch(() => undefined);
}

/** One onnxruntime session run many times (a search that changes only the feeds); release it when done. */
export interface OrtRunner {
  run(inputs: TensorMap): Promise<TensorMap>;
  release(): Promise<void>;
}

/** An `OrtRunner` of a model (file path or bytes) on onnxruntime's CPU provider, one thread. */
export async function ortSession(model: string | Uint8Array, opts: OrtOptions & { quiet?: boolean } = {}): Promise<OrtRunner> {
  const o = await ort();
  const session = await o.InferenceSession.create(model as string, {
    graphOptimizationLevel: opts.optimization ?? 'all', intraOpNumThreads: 1, ...(opts.quiet ? { logSeverityLevel: 3 as const } : {}),
  });
  return { run: async (inputs) => fromOrt(await session.run(toOrt(o, inputs))), release: () => session.release() };
}

/** Runs a model (file path or bytes) on onnxruntime's CPU provider. */
export async function runOrt(model: string | Uint8Array, inputs: TensorMap, opts: OrtOptions = {}): Promise<TensorMap> {
  const s = await ortSession(model, opts);
  try {
    return await s.run(inputs);
  } finally {
    await s.release();
  }
}

function toOrt(o: Ort, inputs: TensorMap): Record<string, InstanceType<Ort['Tensor']>> {
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const [k, t] of Object.entries(inputs)) {
    const type = TO_ORT[t.dtype];
    if (!type) throw new TargetError(`onnxruntime-node cannot take a ${t.dtype} input ("${k}")`);
    const data = t.dtype === 'bool' ? new Uint8Array(t.data as Uint8Array) : t.data;
    feeds[k] = new o.Tensor(type as 'float32', data as Float32Array, [...t.shape]);
  }
  return feeds;
}

function fromOrt(results: Record<string, { type: string; dims: readonly number[]; data: unknown }>): TensorMap {
  const out: TensorMap = {};
  for (const [k, v] of Object.entries(results)) {
    const dtype = FROM_ORT.get(v.type);
    if (!dtype) throw new TargetError(`onnxruntime output "${k}" has type ${v.type}, which tscc cannot compare`);
    const data = v.data as Tensor['data'];
    out[k] = new Tensor(dtype, v.dims as number[], dtype === 'f16' ? new Uint16Array(data.buffer, data.byteOffset, data.length) : data);
  }
  return out;
}
