// Shared by the CUDA tests: compile a model for CUDA, build the artifact (the nvcc check and the
// CPU emulation, concurrently), run it on the emulation, compare with onnxruntime.
import { expect } from 'vitest';
import { loadOnnxBytes, type Model } from '../../../src/frontend/onnx/import.ts';
import { compileModel, type Compiled } from '../../../src/driver/compile.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { randomInputs } from '../../helpers/check.ts';
import { buildArtifact, findNvcc, runArtifact } from '../../../targets/cuda/runner.ts';

export interface CudaCase {
  readonly bytes: Uint8Array;
  readonly shapes?: Record<string, number[]>;
  readonly inputs?: TensorMap;
}

export async function compileCase(c: CudaCase, target = 'cuda:sm_90'): Promise<{ model: Model; compiled: Compiled }> {
  const model = loadOnnxBytes(c.bytes, { shapes: c.shapes });
  return { model, compiled: await compileModel(model, { target }) };
}

/** `make check`: nvcc -arch=sm_90 --Werror all-warnings -Xcompiler -Wall,-Werror over every kernel and the host plan. */
export async function nvccCheck(compiled: Compiled): Promise<void> {
  if (!findNvcc()) throw new Error('nvcc is not installed: the CUDA tests need the CUDA toolkit (PATH or /usr/local/cuda*/bin)');
  await buildArtifact(compiled.artifact, 'check');
}

/** Runs the artifact on the CPU emulation; returns the worst max|a−b| / max|ref| over the outputs. */
export async function emulateAndCompare(c: CudaCase, compiled: Compiled, tol = 1e-4): Promise<number> {
  const inputs = randomInputs(c.bytes, { shapes: c.shapes, inputs: c.inputs });
  const ours = await runArtifact(compiled.artifact, inputs, { emulate: true });
  expect(ours.how).toContain('CPU emulation');
  const ref = await runOrt(c.bytes, inputs, { optimization: 'disabled' });
  let worst = 0;
  for (const [k, r] of Object.entries(ref)) {
    expect(ours.outputs[k], `output ${k}`).toBeDefined();
    const d = compareTensors(k, ours.outputs[k], r, tol);
    expect(d.shapeMatch, `output ${k}: shape [${ours.outputs[k].shape}] vs [${r.shape}]`).toBe(true);
    expect(d.ok, `output ${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
    worst = Math.max(worst, d.maxRef ? d.maxAbs / d.maxRef : d.maxAbs);
  }
  return worst;
}
