// Compile a model for WGSL, run it on WebGPU (Dawn on SwiftShader here) and compare every output
// with onnxruntime-node on the same seeded inputs: max|a − b| ≤ tol · max|ref|.
import { expect } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors, type Diff } from '../../../src/runtime/compare.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { randomInputs } from '../../helpers/check.ts';
import type { WgslPayload } from '../../../targets/wgsl/index.ts';

export interface WgslCheck {
  shapes?: Record<string, number[]>;
  inputs?: TensorMap;
  tol?: number;
  /** Target spec; default `wgsl` (profile from the adapter). */
  target?: string;
}

export async function checkOnWgsl(bytes: Uint8Array, opts: WgslCheck = {}): Promise<{ diffs: Diff[]; payload: WgslPayload }> {
  const inputs = randomInputs(bytes, { shapes: opts.shapes, inputs: opts.inputs });
  const model = loadOnnxBytes(bytes, { shapes: opts.shapes });
  const compiled = await compileModel(model, { target: opts.target ?? 'wgsl' });
  const got = await compiled.target.run!(compiled.artifact, inputs);
  const ref = await runOrt(bytes, inputs, { optimization: 'disabled' });
  const diffs: Diff[] = [];
  for (const [k, r] of Object.entries(ref)) {
    expect(got.outputs[k], `output ${k}`).toBeDefined();
    const d = compareTensors(k, got.outputs[k], r, opts.tol ?? 1e-4);
    diffs.push(d);
    expect(d.shapeMatch, `output ${k}: shape [${got.outputs[k].shape}] vs onnxruntime [${r.shape}]`).toBe(true);
    expect(d.ok, `output ${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
    expect(d.maxRef, `output ${k} is all zeros`).toBeGreaterThan(0);
  }
  expect(diffs.length).toBeGreaterThan(0);
  return { diffs, payload: compiled.artifact.payload as WgslPayload };
}

/**
 * One compiled model with its default outputs and onnxruntime's, for running it under other
 * configs: `expectConfig(cfg)` compiles the plan with `cfg` as every kernel's config, runs it on
 * WebGPU and expects the default's outputs (≤ 1e-6: same sums) and onnxruntime's (≤ 1e-4).
 */
export async function configHarness(model: Uint8Array) {
  const c = await compileModel(loadOnnxBytes(model), { target: 'wgsl' });
  const { profile } = c.artifact.payload as WgslPayload;
  const inputs = randomInputs(model);
  const ref = await runOrt(model, inputs, { optimization: 'disabled' });
  const [out] = Object.keys(ref);
  const dflt = (await c.target.run!(c.artifact, inputs)).outputs[out];
  const expectConfig = async (cfg: unknown) => {
    const art = await c.target.compile({ ...c.plan, kernels: c.plan.kernels.map((k) => ({ ...k, config: cfg })) });
    const got = (await c.target.run!(art, inputs)).outputs[out];
    const same = compareTensors(out, got, dflt, 1e-6);
    expect(same.ok, `${JSON.stringify(cfg)}: max|a-b| = ${same.maxAbs} against the default config`).toBe(true);
    expect(compareTensors(out, got, ref[out], 1e-4).ok, `${JSON.stringify(cfg)} against onnxruntime`).toBe(true);
    return (art.payload as WgslPayload).built;
  };
  return { c, profile, expectConfig };
}
