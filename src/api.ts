// The library API: `import { loadModel, run, verify } from 'tscc'`. No global state, no process.exit;
// every user-caused failure is a TsccError subclass with a stable `code`.
import { loadOnnxBytes, loadOnnxFile, type LoadOptions, type Model } from './frontend/onnx/import.ts';
import { runOnTarget, type RunResult } from './driver/targets.ts';
import { compileModel, writeArtifact, type Compiled, type CompileOptions } from './driver/compile.ts';
import { completeInputs } from './driver/inputs.ts';
import { verifyModel, type VerifyReport } from './driver/verify.ts';
import type { TensorMap } from './runtime/interpreter.ts';
import type { QuantizeOptions } from './quant/search-run.ts';

export * from './util/errors.ts';
export { Tensor } from './ir/graph/tensor.ts';
export type { DType } from './ir/graph/dtype.ts';
export type { Graph, Node, Value, TensorType, Dim } from './ir/graph/graph.ts';
export type { Model, LoadOptions } from './frontend/onnx/import.ts';
export type { TensorMap } from './runtime/interpreter.ts';
export type { RunResult } from './driver/targets.ts';
export type { VerifyReport } from './driver/verify.ts';
export { printGraph, graphStats } from './ir/graph/print.ts';
export { readNpy, writeNpy, parseNpy, encodeNpy } from './runtime/npy.ts';

/** Loads an ONNX model from a file path or from bytes (external data then needs `baseDir`). */
export function loadModel(source: string | Uint8Array, opts: LoadOptions & { baseDir?: string } = {}): Model {
  return typeof source === 'string' ? loadOnnxFile(source, opts) : loadOnnxBytes(source, opts);
}

export interface RunOptions {
  /** Execution target, default 'ref' (the reference interpreter). */
  target?: string;
  /** Seed for inputs that are not given. */
  seed?: number;
  /** `target: 'hetero…'`: the system preset or JSON file (see src/driver/hetero). */
  system?: string;
  /** Quantize before running (`--quantize`): see src/quant/search-run.ts. */
  quantize?: QuantizeOptions;
}

/** Runs a model; inputs not given are drawn from a fixed seed. */
export async function run(model: Model, inputs: TensorMap = {}, opts: RunOptions = {}): Promise<RunResult> {
  return runOnTarget(opts.target ?? 'ref', model, completeInputs(model.graph, inputs, opts.seed), {
    ...(opts.system ? { system: opts.system } : {}), ...(opts.quantize ? { quantize: opts.quantize } : {}),
  });
}

/** Compiles for a code-generating target; with `out`, writes the artifact folder and report.json. */
export async function compile(model: Model, opts: CompileOptions & { out?: string }): Promise<Compiled> {
  const c = await compileModel(model, opts);
  if (opts.out) writeArtifact(opts.out, model, opts.target, c);
  return c;
}
export type { Compiled, CompileOptions } from './driver/compile.ts';
export type { QuantizeOptions } from './quant/search-run.ts';

/** Runs random inputs through a target and onnxruntime-node and compares every output. */
export async function verify(model: Model, opts: RunOptions & { tol?: number; inputs?: TensorMap } = {}): Promise<VerifyReport> {
  return verifyModel(model, opts.target ?? 'ref', opts);
}
