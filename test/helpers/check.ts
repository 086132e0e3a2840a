// Compare tscc's reference runtime with onnxruntime-node on a model, with seeded random inputs.
import { expect } from 'vitest';
import { loadOnnxBytes, type LoadOptions } from '../../src/frontend/onnx/import.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { compareTensors, type Diff } from '../../src/runtime/compare.ts';
import { OnnxBuilder, type AttrInput } from '../../models/builder.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';

export interface CheckOptions extends LoadOptions {
  /** Inputs to use; missing ones are drawn at random from the graph's (bound) input types. */
  inputs?: TensorMap;
  tol?: number;
  seed?: number;
  /** Range of random values. */
  range?: [number, number];
  /** onnxruntime graph optimization level (default 'disabled': compare with the model as written). */
  ortOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Random inputs for every graph input; symbolic dims must be bound through `shapes`. */
export function randomInputs(bytes: Uint8Array, opts: CheckOptions = {}): TensorMap {
  const m = loadOnnxBytes(bytes, { shapes: opts.shapes });
  const out: TensorMap = { ...(opts.inputs ?? {}) };
  let seed = opts.seed ?? 1;
  for (const v of m.graph.inputs) {
    if (out[v.name]) continue;
    const shape = v.type.shape.map((d) => {
      if (typeof d !== 'number') throw new Error(`input ${v.name} has symbolic dim ${d}: pass shapes`);
      return d;
    });
    const [lo, hi] = opts.range ?? [-1, 1];
    out[v.name] = randomTensor(v.type.dtype, shape, seed++, lo, hi);
  }
  return out;
}

/** Runs both and asserts every output matches within tol · max|ref|. Returns the diffs. */
export async function checkModel(bytes: Uint8Array, opts: CheckOptions = {}): Promise<Diff[]> {
  const inputs = randomInputs(bytes, opts);
  const m = loadOnnxBytes(bytes, { shapes: opts.shapes, fold: opts.fold });
  const ours = runGraph(m.graph, inputs);
  const ref = await runOrt(bytes, inputs, { optimization: opts.ortOptimization ?? 'disabled' });
  const diffs: Diff[] = [];
  for (const [k, r] of Object.entries(ref)) {
    expect(ours[k], `output ${k}`).toBeDefined();
    const d = compareTensors(k, ours[k], r, opts.tol ?? 1e-4);
    diffs.push(d);
    expect(d.shapeMatch, `output ${k}: shape [${ours[k].shape}] vs onnxruntime [${r.shape}]`).toBe(true);
    expect(d.ok, `output ${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
  }
  return diffs;
}

export interface OneOp {
  op: string;
  /** Inputs: [dtype, shape] for graph inputs, a Tensor for a constant initializer, null for omitted. */
  inputs: ([DType, number[]] | Tensor | null)[];
  attrs?: Record<string, AttrInput | undefined>;
  outputs?: number;
  opset?: number;
}

/** A model with one node; tensors become initializers, [dtype, shape] pairs graph inputs. */
export function oneOpModel(c: OneOp): Uint8Array {
  const b = new OnnxBuilder({ opset: c.opset ?? 17 });
  const names = c.inputs.map((x, i) => {
    if (x === null) return '';
    if (Array.isArray(x)) return b.input(`in${i}`, x[0], x[1]);
    return b.initializer(x as Tensor, `c${i}`);
  });
  const outs = b.node(c.op, names, c.attrs ?? {}, c.outputs ?? 1);
  for (const o of outs) b.output(o);
  return b.toBytes();
}

export async function checkOp(c: OneOp, opts: CheckOptions = {}): Promise<Diff[]> {
  return checkModel(oneOpModel(c), opts);
}
