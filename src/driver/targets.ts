// Execution for `tscc run` / `verify`: the reference interpreter, or compile for a code-generating
// target and run the artifact on that target's runner (WebGPU, CPU emulation or GPU, simulators).
import { TargetError } from '../util/errors.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { runGraph, type TensorMap } from '../runtime/interpreter.ts';
import { compileModel, type CompileOptions } from './compile.ts';
import { CODEGEN_TARGETS, splitTargetSpec } from './registry.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { quantizeFused } from '../quant/search-run.ts';

export interface RunResult {
  outputs: TensorMap;
  /** Milliseconds: measured wall time, or the simulated time on simulators. */
  ms: number;
  /** Simulated cycles, on NPU/PIM. */
  cycles?: number;
  /** How the target executed, e.g. "reference interpreter". */
  how: string;
  /** With --quantize: report.json's `quantization` section (calibration source, per-layer precision). */
  quantization?: Record<string, unknown>;
}

export async function runOnTarget(spec: string, model: Model, inputs: TensorMap, opts: Omit<CompileOptions, 'target'> = {}): Promise<RunResult> {
  if (spec === 'ref') {
    // --quantize on the reference interpreter: the passes and the quantized graph, run as is.
    const q = opts.quantize ? await quantizeFused(optimizeGraph(model.graph), opts.quantize) : undefined;
    const t0 = performance.now();
    const outputs = runGraph(q?.graph ?? model.graph, inputs);
    return { outputs, ms: performance.now() - t0, how: 'reference interpreter', ...(q ? { quantization: q.report } : {}) };
  }
  if (!CODEGEN_TARGETS.includes(splitTargetSpec(spec).name) && splitTargetSpec(spec).name !== 'hetero') {
    throw new TargetError(`unknown target "${spec}" (targets: ref, ${CODEGEN_TARGETS.join(', ')}, hetero[:a,b,…])`);
  }
  const compiled = await compileModel(model, { ...opts, target: spec });
  if (!compiled.target.run) throw new TargetError(`target "${spec}" compiles but has no runner`);
  const t0 = performance.now();
  const r = await compiled.target.run(compiled.artifact, inputs);
  return { outputs: r.outputs, ms: r.ms ?? performance.now() - t0, cycles: r.cycles, how: r.how, ...(compiled.quantization ? { quantization: compiled.quantization } : {}) };
}
