// The execution targets `tscc run` and `tscc verify` know. Each runs a loaded model on inputs.
// The reference interpreter is the first; the code-generating targets register here as they land.
import { TargetError } from '../util/errors.ts';
import type { Model } from '../frontend/onnx/import.ts';
import { runGraph, type TensorMap } from '../runtime/interpreter.ts';

export interface RunResult {
  outputs: TensorMap;
  /** Wall-clock milliseconds of the execution itself. */
  ms: number;
  /** How the target executed, e.g. "reference interpreter". */
  how: string;
}

export interface ExecTarget {
  readonly name: string;
  readonly describe: string;
  run(model: Model, inputs: TensorMap): Promise<RunResult>;
}

const ref: ExecTarget = {
  name: 'ref',
  describe: 'reference interpreter (TypeScript, op by op)',
  async run(model, inputs) {
    const t0 = performance.now();
    const outputs = runGraph(model.graph, inputs);
    return { outputs, ms: performance.now() - t0, how: 'reference interpreter' };
  },
};

const TARGETS = new Map<string, ExecTarget>([[ref.name, ref]]);

export function execTarget(spec: string): ExecTarget {
  const name = spec.split(':')[0];
  const t = TARGETS.get(name);
  if (!t) throw new TargetError(`unknown target "${spec}" (available: ${[...TARGETS.keys()].join(', ')})`);
  return t;
}

export function targetNames(): string[] { return [...TARGETS.keys()]; }
