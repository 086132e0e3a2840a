// Compile a model for PIM, run it on the simulator, compare with onnxruntime-node.
import { expect } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel, type Compiled } from '../../../src/driver/compile.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors, type Diff } from '../../../src/runtime/compare.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { randomInputs } from '../../helpers/check.ts';
import type { Program } from '../../../targets/pim/codegen/program.ts';
import { decodeKernel, encodeKernel, parseKernel, printKernel } from '../../../targets/pim/container.ts';

/**
 * Text ⇄ binary round trip of every stream of the artifact, through the files it writes. Printing and
 * encoding show every field, so comparing the text and the bytes (fast) compares the streams.
 */
export function expectRoundTrip(c: Compiled, programs: readonly Program[]): void {
  for (const p of programs) {
    const bin = c.artifact.files.get(`pim/${p.name}.pim`) as Uint8Array;
    const text = c.artifact.files.get(`pim/${p.name}.txt`) as string;
    expect(text, `${p.name}: the text file prints the streams`).toBe(printKernel(p.streams));
    expect(printKernel(decodeKernel(bin)) === text, `${p.name}: binary → streams → text`).toBe(true);
    expect(Buffer.from(encodeKernel(parseKernel(text))).equals(Buffer.from(bin)), `${p.name}: text → streams → binary`).toBe(true);
    expect(printKernel(parseKernel(text)) === text, `${p.name}: text → streams → text`).toBe(true);
  }
}

export interface PimCheck { diffs: Diff[]; cycles: number; compiled: Compiled; programs: readonly Program[]; outputs: TensorMap; inputs: TensorMap }

/** fp16 data with fp32 accumulation: max|a−b| ≤ tol · max|ref| (default 1e-2). */
export async function checkPim(bytes: Uint8Array, opts: { target?: string; tol?: number; seed?: number; inputs?: TensorMap; passes?: boolean } = {}): Promise<PimCheck> {
  const model = loadOnnxBytes(bytes);
  const inputs = randomInputs(bytes, { seed: opts.seed ?? 3, inputs: opts.inputs });
  const compiled = await compileModel(model, { target: opts.target ?? 'pim', noPasses: !opts.passes });
  const r = await compiled.target.run!(compiled.artifact, inputs);
  const ref = await runOrt(bytes, inputs);
  const diffs: Diff[] = [];
  for (const [k, t] of Object.entries(ref)) {
    expect(r.outputs[k], `output ${k}`).toBeDefined();
    const d = compareTensors(k, r.outputs[k], t, opts.tol ?? 1e-2);
    expect(d.shapeMatch, `output ${k} shape`).toBe(true);
    expect(d.maxRef, `output ${k} is all zeros`).toBeGreaterThan(0);
    expect(d.ok, `output ${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
    diffs.push(d);
  }
  const programs = (compiled.artifact.payload as { programs: Program[] }).programs;
  expectRoundTrip(compiled, programs);
  expect(r.cycles, 'the simulator re-derives the scheduled cycles').toBe(programs.reduce((s, p) => s + p.cycles, 0));
  return { diffs, cycles: r.cycles ?? 0, compiled, programs, outputs: r.outputs, inputs };
}
