// f16 storage: on a device with shader-f16 the plan stores f16 values in 2 bytes, shaders start with
// `enable f16;`, loads widen to f32 and stores narrow. SwiftShader has no shader-f16, so here the
// text and the plan are checked on a profile that claims the feature; the end-to-end run against
// onnxruntime happens only where the adapter has it (on SwiftShader it runs the f32-storage path).
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { f32ToF16Bits } from '../../../src/util/float16.ts';
import type { WgslPayload } from '../../../targets/wgsl/index.ts';
import { PROFILES, adapterProfile } from '../../../targets/wgsl/limits.ts';
import { nodeGpu } from '../../../targets/wgsl/node.ts';
import { buildPlan } from '../../../targets/wgsl/plan.ts';
import { f32ToF16 } from '../../../targets/wgsl/runtime.js';
import { oneOpModel } from '../../helpers/check.ts';
import { checkOnWgsl } from './check.ts';

const model = () => oneOpModel({ op: 'MatMul', inputs: [['f16', [5, 6]], ['f16', [6, 3]]] });
const { gpu, adapter } = await nodeGpu();
const here = adapterProfile(adapter, gpu as { wgslLanguageFeatures?: { has(n: string): boolean } });

describe('wgsl f16 storage', () => {
  it('with shader-f16: enable f16, array<f16> bindings, 2-byte buffers, widening loads and narrowing stores', async () => {
    const c = await compileModel(loadOnnxBytes(model()), { target: 'wgsl:cpu' });
    const { plan, shaderCode } = buildPlan(c.plan, { ...PROFILES.cpu, f16: true });
    expect(plan.f16).toBe(true);
    expect(plan.inputs.map((i) => plan.buffers[i.buffer].bytes)).toEqual([60, 36]);
    expect(plan.buffers[plan.outputs[0].buffer].bytes).toBe(30);
    const code = shaderCode.join('\n');
    for (const s of shaderCode) expect(s.startsWith('enable f16;\n')).toBe(true);
    expect(code).toMatch(/var<storage, read> b_in0: array<f16>;/);
    expect(code).toMatch(/f32\(b_in0\[/);
    expect(code).toMatch(/b_MatMul_0_out\[[^\n]*\] = f16\(/);
    // Without the feature nothing changes: f32 storage, no enable.
    const plain = (c.artifact.payload as WgslPayload).built;
    expect(plain.plan.f16).toBeUndefined();
    expect(plain.shaderCode.join('\n')).not.toContain('f16');
  });

  it("the runtime's f32 → f16 conversion rounds like the compiler's (nearest even, subnormals, overflow)", () => {
    const vals = [0, -0, 1, 65504, 65519, 65520, 1e-8, 2.98e-8, 5.96e-8, 6.1e-5, 0.1, 1 / 3, -Infinity];
    for (let i = 0; i < 2000; i++) vals.push(Math.sin(i) * 10 ** ((i % 13) - 8));
    for (const v of vals) expect(f32ToF16(v), String(v)).toBe(f32ToF16Bits(v));
  });

  it.runIf(here.f16)('runs an f16 MatMul on this adapter (shader-f16) and matches onnxruntime', async () => {
    await checkOnWgsl(model(), { tol: 1e-3 });
  }, 60_000);

  it.runIf(!here.f16)('without shader-f16 (SwiftShader) the same f16 model runs with f32 storage and matches onnxruntime', async () => {
    await checkOnWgsl(model(), { tol: 1e-3 });
  }, 60_000);
});
