// Host-plan properties that need no GPU: dispatch folding past the per-dimension limit, buffer
// reuse by liveness (peak below the unshared total, no kernel writing a buffer it also reads), and
// the WGSL text of a reduction stage (register tile, no short-circuit operators).
import { describe, expect, it } from 'vitest';
import { zooModel } from '../../../models/zoo/zoo.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { fold } from '../../../targets/wgsl/emit.ts';
import type { WgslPayload } from '../../../targets/wgsl/index.ts';

async function compile(bytes: Uint8Array, shapes?: Record<string, number[]>) {
  const c = await compileModel(loadOnnxBytes(bytes, { shapes }), { target: 'wgsl:cpu' });
  return c.artifact.payload as WgslPayload;
}

describe('wgsl host plan', () => {
  it('folds a dispatch larger than the per-dimension limit into 2-D and 3-D grids', () => {
    expect(fold(1000, 65535)).toEqual([1000, 1, 1]);
    expect(fold(70000, 65535)).toEqual([65535, 2, 1]);
    const [x, y, z] = fold(65535 * 65535 + 5, 65535);
    expect(x * y * z).toBeGreaterThanOrEqual(65535 * 65535 + 5);
    expect(z).toBe(2);
  });

  it('reuses intermediate buffers by liveness and never binds a buffer both read and written', async () => {
    const m = zooModel('resnet-basic').build(17);
    const { built } = await compile(m.bytes, m.shapes);
    const plan = built.plan;
    expect(plan.peakBytes).toBeLessThan(plan.unsharedBytes);
    for (const d of plan.dispatches) expect(new Set(d.bindings).size).toBe(d.bindings.length);
    expect(plan.shaders.length).toBe(plan.dispatches.length);
  });

  it('gives a matmul a register tile with its loads hoisted', async () => {
    const { built } = await compile(oneOpModel({ op: 'MatMul', inputs: [['f32', [128, 128]], ['f32', [128, 128]]] }));
    const code = built.shaderCode.join('\n');
    expect(code).toMatch(/var b_acc_\d+_63: f32;/);
    expect(code).toMatch(/let t\d+ = b_in0\[/);
    expect(code).not.toContain('&&');
  });

  it('packs read-only inputs into one binding when a kernel reads more buffers than the device binds', async () => {
    const inputs = Array.from({ length: 14 }, () => ['f32', [2, 3]] as ['f32', number[]]);
    const { built } = await compile(oneOpModel({ op: 'Concat', attrs: { axis: 1 }, inputs }));
    const d = built.plan.dispatches.find((x) => x.copies);
    expect(d, 'a dispatch with pack copies').toBeDefined();
    expect(d!.bindings.length).toBeLessThanOrEqual(8);
    expect(d!.copies!.length).toBe(15 - 8 + 1);
    expect(new Set(d!.copies!.map((c) => c.dst)).size).toBe(1);
    expect(d!.bindings).toContain(d!.copies![0].dst);
    expect(built.shaderCode[d!.shader]).toMatch(/var<storage, read> b_pack: array<u32>;/);
    expect(built.shaderCode[d!.shader]).toMatch(/bitcast<f32>\(b_pack\[/);
  });
});

