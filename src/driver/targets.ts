// Execution for `tscc run` / `verify`: the reference interpreter, or compile for a code-generating
// target and run the artifact on that target's runner (WebGPU, CPU emulation or GPU, simulators).
import { TargetError } from '../util/errors.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { runGraph, type TensorMap } from '../runtime/interpreter.ts';
import { compileModel } from './compile.ts';
import { CODEGEN_TARGETS, splitTargetSpec } from './registry.ts';

export interface RunResult {
  outputs: TensorMap;
  /** Milliseconds: measured wall time, or the simulated time on simulators. */
  ms: number;
  /** Simulated cycles, on NPU/PIM. */
  cycles?: number;
  /** How the target executed, e.g. "reference interpreter". */
  how: string;
}

export async function runOnTarget(spec: string, model: Model, inputs: TensorMap): Promise<RunResult> {
  if (spec === 'ref') {
    const t0 = performance.now();
    const outputs = runGraph(model.graph, inputs);
    return { outputs, ms: performance.now() - t0, how: 'reference interpreter' };
  }
  if (!CODEGEN_TARGETS.includes(splitTargetSpec(spec).name)) {
    throw new TargetError(`unknown target "${spec}" (targets: ref, ${CODEGEN_TARGETS.join(', ')})`);
  }
  const compiled = await compileModel(model, { target: spec });
  if (!compiled.target.run) throw new TargetError(`target "${spec}" compiles but has no runner`);
  const t0 = performance.now();
  const r = await compiled.target.run(compiled.artifact, inputs);
  return { outputs: r.outputs, ms: r.ms ?? performance.now() - t0, cycles: r.cycles, how: r.how };
}
