// The session-4 knobs of the WGSL code generator (targets/wgsl/config.ts): subgroup sharing
// (`bcast`), the lane loop (`lane`), partial unrolling of a reduction loop (`kunroll`) and tile
// factor 16. Every config must compute what the default computes (same sums in the same order:
// ≤ 1e-6 of the default's output) and what onnxruntime computes (≤ 1e-4), on random non-zero
// inputs, including invocation counts that are not a multiple of the workgroup (the no-return
// path subgroup sharing takes); invalid combinations are refused statically.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { type StageConfig, checkConfig, defaultConfig, wgslSpace } from '../../../targets/wgsl/config.ts';
import { type DeviceProfile, PROFILES } from '../../../targets/wgsl/limits.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { configHarness } from './check.ts';

// 16 output columns: the lanes of a 4-wide subgroup share the row and channel, so the weights
// are shared; 144 invocations are not a multiple of 64.
const conv = () => oneOpModel({
  op: 'Conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
  inputs: [['f32', [1, 6, 9, 16]], randomTensor('f32', [12, 6, 3, 3], 7, -0.5, 0.5), randomTensor('f32', [12], 8, -0.5, 0.5)],
});
const matmul = () => oneOpModel({ op: 'MatMul', inputs: [['f32', [20, 36]], ['f32', [36, 28]]] });
const depthwise = () => oneOpModel({
  op: 'Conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 },
  inputs: [['f32', [1, 8, 10, 16]], randomTensor('f32', [8, 1, 3, 3], 9, -0.5, 0.5), randomTensor('f32', [8], 10, -0.5, 0.5)],
});

const one = (s: StageConfig) => ({ version: 1 as const, stages: [s] });

const CASES: [string, () => Uint8Array, StageConfig[]][] = [
  ['Conv 3×3', conv, [
    { wg: 64, tile: { a: 'i1', ta: 4, b: 'i2', tb: 4 }, hoist: true, unroll: ['rh', 'rw'], bcast: true },
    { wg: 32, tile: { a: 'i1', ta: 4, b: 'i2', tb: 2 }, hoist: true, bcast: true, kunroll: { loop: 'rc', factor: 2 } },
    { wg: 64, tile: { a: 'i1', ta: 16, b: 'i3', tb: 2 }, hoist: true, lane: 'i2', bcast: true },
    { wg: 64, tile: { a: 'i1', ta: 4, b: 'i2', tb: 4 }, hoist: true, unroll: ['rh', 'rw'], lane: 'i1' },
    { wg: 64, tile: { a: 'i1', ta: 2, b: 'i2', tb: 4 }, hoist: true, kunroll: { loop: 'rc', factor: 3 } },
  ]],
  ['MatMul', matmul, [
    { wg: 64, tile: { a: 'i0', ta: 4, b: 'i1', tb: 7 }, hoist: true, bcast: true },
    { wg: 32, tile: { a: 'i0', ta: 4, b: 'i1', tb: 7 }, hoist: true, bcast: true, kunroll: { loop: 'rk', factor: 4 } },
    { wg: 64, tile: { a: 'i0', ta: 5, b: 'i1', tb: 4 }, hoist: true, lane: 'i0', bcast: true },
    { wg: 64, tile: { a: 'i0', ta: 16, b: 'i1', tb: 4 }, hoist: true },
  ]],
  ['depthwise Conv 3×3', depthwise, [
    { wg: 64, tile: { a: 'i2', ta: 2, b: 'i3', tb: 4 }, hoist: true, unroll: ['rh', 'rw'], bcast: true },
    { wg: 64, tile: { a: 'i1', ta: 4, b: 'i2', tb: 2 }, hoist: true, lane: 'i1', bcast: true },
  ]],
];

describe('wgsl config: subgroup sharing, lane loop, partial unrolling', () => {
  for (const [name, bytes, configs] of CASES) {
    it(`${name}: every config gives the default's and onnxruntime's outputs on WebGPU`, async () => {
      const { c, profile, expectConfig } = await configHarness(bytes());
      let shared = 0;
      for (const s of configs) {
        const cfg = one(s);
        const why = checkConfig(c.plan.kernels[0].func, cfg, profile);
        if (s.bcast && !profile.subgroupSize) { expect(why.join('; ')).toMatch(/no subgroups of one fixed size/); continue; }
        expect(why, JSON.stringify(s)).toEqual([]);
        const built = await expectConfig(cfg);
        if (built.shaderCode.some((x) => x.includes('subgroupBroadcast'))) { shared++; expect(built.plan.subgroups).toBe(true); }
      }
      // Where the adapter has subgroups, the sharing configs really share loads.
      if (profile.subgroupSize) expect(shared).toBeGreaterThan(0);
    }, 120_000);
  }

  it('random configs with the new knobs from the extended wgslSpace give the default outputs', async () => {
    const { c, profile, expectConfig } = await configHarness(conv());
    const space = wgslSpace(c.plan.kernels[0].func, c.plan.kernels[0].node, profile, { extended: true });
    const knobbed = space.filter((x) => x.stages.some((s) => s.bcast || s.kunroll || s.lane));
    expect(knobbed.length).toBeGreaterThan(profile.subgroupSize ? 100 : 10);
    for (let k = 0; k < 3; k++) await expectConfig(knobbed[(k * 7919 + 13) % knobbed.length]);
  }, 120_000);

  it('refuses invalid combinations statically', async () => {
    const c = await compileModel(loadOnnxBytes(conv()), { target: 'wgsl:cpu' });
    const func = c.plan.kernels[0].func;
    const sg: DeviceProfile = { ...PROFILES.cpu, subgroupSize: 4 };
    const tile = { a: 'i1', ta: 4, b: 'i2', tb: 4 };
    const bad: [StageConfig, RegExp, DeviceProfile][] = [
      [{ wg: 64, tile, hoist: true, bcast: true }, /no subgroups of one fixed size/, PROFILES.cpu],
      [{ wg: 6, tile, hoist: true, bcast: true }, /workgroup 6 is not a multiple of the subgroup size 4/, sg],
      [{ wg: 64, tile, hoist: true, bcast: true, split: true }, /not with the interior\/border split/, sg],
      [{ wg: 64, tile, hoist: false, bcast: true }, /hoist is off/, sg],
      [{ wg: 64, tile, hoist: true, lane: 'rc' }, /lane: rc is not a parallel loop/, sg],
      [{ wg: 64, tile, hoist: true, kunroll: { loop: 'rc', factor: 4 } }, /kunroll\(rc\): factor 4 does not divide 6/, sg],
      [{ wg: 64, tile, hoist: true, unroll: ['rh'], kunroll: { loop: 'rh', factor: 3 } }, /kunroll\(rh\): the loop is unrolled completely/, sg],
      [{ wg: 64, tile, hoist: true, kunroll: { loop: 'i3', factor: 2 } }, /kunroll\(i3\): not a constant-extent loop inside the stage/, sg],
    ];
    for (const [s, why, profile] of bad) expect(checkConfig(func, one(s), profile).join('; ')).toMatch(why);
    // The default rule shares loads where the device has fixed-size subgroups, and uses no other new knob.
    expect(defaultConfig(func, sg).stages[0].bcast).toBe(true);
    expect(JSON.stringify(defaultConfig(func, sg))).not.toMatch(/lane|kunroll/);
    expect(JSON.stringify(defaultConfig(func, PROFILES.cpu))).not.toMatch(/bcast/);
    const plain = wgslSpace(func, undefined, PROFILES.cpu, { extended: true });
    expect(plain.some((x) => x.stages.some((s) => s.bcast))).toBe(false);
    expect(plain.some((x) => x.stages.some((s) => s.kunroll))).toBe(true);
    const ext = wgslSpace(func, undefined, sg, { extended: true });
    expect(ext.some((x) => x.stages.some((s) => s.bcast && s.lane))).toBe(true);
    expect(ext.some((x) => x.stages.some((s) => s.tile && !s.split && s.wg % 4 === 0 && !s.bcast))).toBe(true);
    // Without `extended`: the session-3 knobs, sharing going with the tile (as hoisting does), so
    // no two configs differ only in a knob the tuner does not describe yet.
    const base = wgslSpace(func, undefined, sg);
    expect(base.some((x) => x.stages.some((s) => s.lane || s.kunroll || (s.tile && s.tile.ta > 8)))).toBe(false);
    expect(base.every((x) => x.stages.every((s) => Boolean(s.bcast) === Boolean(s.tile && !s.split && s.wg % 4 === 0)))).toBe(true);
  });
});
