// The CUDA launch plan: arena placement by liveness, and what the artifact folder holds.
import { describe, expect, it } from 'vitest';
import { zooModel } from '../../../models/zoo/zoo.ts';
import { planLaunches } from '../../../targets/cuda/plan.ts';
import { compileCase } from './harness.ts';

describe('CUDA launch plan', () => {
  it('reuses arena memory, and never for two buffers live at once', async () => {
    const m = zooModel('resnet-bottleneck').build(17);
    const { compiled } = await compileCase({ bytes: m.bytes, shapes: m.shapes });
    const p = planLaunches(compiled.plan);
    const total = p.arena.reduce((s, b) => s + b.bytes, 0);
    expect(p.arena.length).toBeGreaterThan(3);
    expect(p.arenaBytes).toBeLessThan(total);
    for (const a of p.arena) {
      expect(a.offset % 256).toBe(0);
      for (const b of p.arena) {
        if (a === b || a.last < b.first || b.last < a.first) continue;
        const apart = a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset;
        expect(apart, `${a.key} and ${b.key} are live together and overlap`).toBe(true);
      }
    }
    // Every launch argument lies inside its block.
    for (const l of p.launches) {
      for (const s of l.args) expect(s.offset + s.bytes).toBeLessThanOrEqual(s.where === 'arena' ? p.arenaBytes : p.weights.byteLength + 255);
    }
  });

  it('writes a folder with kernels, host plan, C API, emulation header and Makefile', async () => {
    const m = zooModel('tiny-cnn').build(17);
    const { compiled } = await compileCase({ bytes: m.bytes, shapes: m.shapes }, 'cuda:sm_80');
    const files = compiled.artifact.files;
    for (const f of ['kernels.cu', 'model.cu', 'main.cu', 'tscc_cuda.h', 'tscc_emu.h', 'tscc_model.h', 'Makefile', 'weights.bin']) expect(files.has(f), f).toBe(true);
    expect(String(files.get('Makefile'))).toContain('ARCH ?= sm_80');
    expect(String(files.get('model.cu'))).toContain('tscc_model_create');
    expect(compiled.artifact.target).toBe('cuda:sm_80');
    expect(compiled.artifact.kernels.length).toBe(planLaunches(compiled.plan).launches.length);
    // The weights file holds each constant the kernels read once, 256-byte aligned.
    const consts = new Map(compiled.plan.kernels.flatMap((k) => k.inputs.filter((v) => v.constant).map((v) => [v.name, v.constant!.byteLength])));
    expect(consts.size).toBeGreaterThan(0);
    const want = [...consts.values()].reduce((s, n) => s + Math.ceil(n / 256) * 256, 0);
    expect((files.get('weights.bin') as Uint8Array).byteLength).toBe(want);
  });
});
