// The WGSL code generator's knobs (targets/wgsl/config.ts): the default rule's config reproduces the
// default shaders, invalid configs are refused with the kernel named, and configs drawn at random
// from `wgslSpace` compute the same outputs on WebGPU (Dawn on SwiftShader) as the default and as
// onnxruntime-node.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { TargetError } from '../../../src/util/errors.ts';
import type { ModulePlan } from '../../../targets/target.ts';
import { type WgslConfig, checkConfig, defaultConfig, wgslSpace } from '../../../targets/wgsl/config.ts';
import type { WgslPayload } from '../../../targets/wgsl/index.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { configHarness } from './check.ts';

const conv = () => oneOpModel({
  op: 'Conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  inputs: [['f32', [1, 6, 9, 10]], randomTensor('f32', [12, 6, 3, 3], 7, -0.5, 0.5), randomTensor('f32', [12], 8, -0.5, 0.5)],
});
const matmul = () => oneOpModel({ op: 'MatMul', inputs: [['f32', [20, 36]], ['f32', [36, 28]]] });

const withConfig = (plan: ModulePlan, cfg: unknown): ModulePlan => ({ ...plan, kernels: plan.kernels.map((k) => ({ ...k, config: cfg })) });

/** A deterministic pick of n configs from a list (LCG), never the first (the default). */
function pick<T>(xs: readonly T[], n: number, seed: number): T[] {
  let s = seed;
  const out: T[] = [];
  while (out.length < Math.min(n, xs.length - 1)) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const x = xs[1 + (s % (xs.length - 1))];
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

describe('wgsl config: default rule, validity, random configs', () => {
  it('the default config given explicitly produces the same shaders as no config', async () => {
    const c = await compileModel(loadOnnxBytes(conv()), { target: 'wgsl:cpu' });
    const { built, profile } = c.artifact.payload as WgslPayload;
    const k = c.plan.kernels[0];
    const cfg = defaultConfig(k.func, profile);
    expect(cfg.stages[0].tile).toBeDefined();
    expect(built.plan.kernels[0].config).toEqual(cfg);
    const again = await c.target.compile(withConfig(c.plan, JSON.parse(JSON.stringify(cfg))));
    expect((again.payload as WgslPayload).built.shaderCode).toEqual(built.shaderCode);
    expect((again.payload as WgslPayload).built.plan.kernels[0].tuned).toBe(true);
  });

  it('a config of the default rule passes the static check (a 7-long loop tiled by 8)', async () => {
    const m = oneOpModel({
      op: 'Conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      inputs: [['f32', [1, 64, 7, 7]], randomTensor('f32', [64, 64, 3, 3], 7, -0.5, 0.5), randomTensor('f32', [64], 8, -0.5, 0.5)],
    });
    const c = await compileModel(loadOnnxBytes(m), { target: 'wgsl:cpu' });
    const { profile } = c.artifact.payload as WgslPayload;
    const cfg = defaultConfig(c.plan.kernels[0].func, profile);
    expect(cfg.stages.some((st) => st.tile && Math.max(st.tile.ta, st.tile.tb) > 7)).toBe(true);
    expect(checkConfig(c.plan.kernels[0].func, cfg, profile)).toEqual([]);
  });

  it('refuses invalid configs statically, naming the kernel and the problem', async () => {
    const c = await compileModel(loadOnnxBytes(conv()), { target: 'wgsl:cpu' });
    const { profile } = c.artifact.payload as WgslPayload;
    const func = c.plan.kernels[0].func;
    const base = defaultConfig(func, profile);
    const bad: [WgslConfig, RegExp][] = [
      [{ version: 1, stages: [{ ...base.stages[0], wg: 1024 }] }, /workgroup 1024 outside 1\.\.256/],
      [{ version: 1, stages: [{ wg: 64, hoist: true, tile: { a: 'nope', ta: 2, b: 'i1', tb: 2 } }] }, /nope is not a parallel loop/],
      [{ version: 1, stages: [{ wg: 64, hoist: true, tile: { a: 'i1', ta: 32, b: 'i2', tb: 2 } }] }, /factor 32 of i1 outside 1\.\.16/],
      [{ version: 1, stages: [{ wg: 64, hoist: true, unroll: ['i1'] }] }, /unroll\(i1\): not a constant-extent loop inside the stage/],
      [{ version: 1, stages: [] }, /0 stage configs for 1 stages/],
    ];
    for (const [cfg, why] of bad) {
      expect(checkConfig(func, cfg, profile).join('; ')).toMatch(why);
      const err = await c.target.compile(withConfig(c.plan, cfg)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetError);
      expect(String((err as Error).message)).toMatch(/kernel Conv_0/);
    }
    // Every config of the space passes the check; the default comes first.
    const space = wgslSpace(func, c.plan.kernels[0].node, profile);
    expect(space[0]).toEqual(base);
    expect(space.length).toBeGreaterThan(50);
    for (const cfg of pick(space, 20, 3)) expect(checkConfig(func, cfg, profile)).toEqual([]);
  });

  for (const [name, bytes] of [['Conv 3×3', conv], ['MatMul', matmul]] as const) {
    it(`${name}: random valid configs give the same outputs on WebGPU`, async () => {
      const { c, profile, expectConfig } = await configHarness(bytes());
      const space = wgslSpace(c.plan.kernels[0].func, c.plan.kernels[0].node, profile);
      for (const cfg of pick(space, 3, name.length)) await expectConfig(cfg);
    }, 120_000);
  }
});
