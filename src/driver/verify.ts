// `tscc verify`: the same seeded inputs through a target and through onnxruntime-node.
import type { Model } from '../frontend/onnx/import.ts';
import { compareTensors, type Diff } from '../runtime/compare.ts';
import type { TensorMap } from '../runtime/interpreter.ts';
import { completeInputs } from './inputs.ts';
import { runOrt } from './ort.ts';
import { runOnTarget } from './targets.ts';
import { TargetError } from '../util/errors.ts';

export interface VerifyReport {
  readonly target: string;
  readonly how: string;
  readonly tol: number;
  readonly diffs: readonly Diff[];
  readonly ok: boolean;
}

export async function verifyModel(model: Model, target: string, opts: { tol?: number; inputs?: TensorMap; seed?: number } = {}): Promise<VerifyReport> {
  if (model.file === '<bytes>') throw new TargetError('verify needs a model loaded from a file (onnxruntime reads the same file)');
  const inputs = completeInputs(model.graph, opts.inputs ?? {}, opts.seed);
  const tol = opts.tol ?? 1e-4;
  const ours = await runOnTarget(target, model, inputs);
  const ref = await runOrt(model.file, inputs);
  const diffs = model.graph.outputs.map((v) => compareTensors(v.name, ours.outputs[v.name], ref[v.name], tol));
  return { target, how: ours.how, tol, diffs, ok: diffs.every((d) => d.ok) };
}
