// The shared-HBM model (src/driver/hetero/hbm.ts): NPU traffic at its DRAM bandwidth, PIM holding the
// banks; the same placement scheduled with it is never faster, and the memory's busy times never
// overlap (they add up within the makespan).
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { CostCache } from '../../src/driver/hetero/cost.ts';
import { hbmDevices, trafficBytes } from '../../src/driver/hetero/hbm.ts';
import { prepareHetero } from '../../src/driver/hetero/index.ts';
import { loadSystem } from '../../src/driver/hetero/systems.ts';
import { listSchedule } from '../../passes/partition/index.ts';
import { gpt2Decode, GPT2_TINY } from '../../models/zoo/gpt2-decode.ts';

const model = loadOnnxBytes(gpt2Decode({ ...GPT2_TINY, batch: 4 }).bytes);

describe('shared HBM (exclusive)', () => {
  it('which devices share PIM memory, and a Gather reads only its rows', () => {
    expect(hbmDevices(loadSystem('npu-pim'), ['npu', 'pim'])).toEqual(['npu', 'pim']);
    expect(hbmDevices(loadSystem('gpu-npu-pim'), ['cuda', 'npu', 'pim'])).toEqual(['npu', 'pim']);
    expect(hbmDevices(loadSystem('soc-wgsl-npu'), ['wgsl', 'npu'])).toEqual([]);
    const gather = model.graph.nodes.find((n) => n.op === 'Gather')!;
    const out = gather.outputs[0].type.shape.reduce<number>((p, d) => p * (d as number), 1);
    // fp16 on the device: table rows read = output size, plus the indices, plus the output written.
    expect(trafficBytes(gather)).toBe(out * 2 + gather.inputs[1]!.type.shape.reduce<number>((p, d) => p * (d as number), 1) * 8 + out * 2);
  });

  it('the same placement is never faster with contention, and the memory busy times fit in its makespan', async () => {
    const cache = new CostCache();
    const free = await prepareHetero(model, { target: 'hetero:npu,pim', cache });
    const excl = await prepareHetero(model, { target: 'hetero:npu,pim', cache, sharedHbm: 'exclusive' });
    const p = excl.result.dp.problem;
    expect(p.hbm?.devices.length).toBe(2);
    for (const a of [free.result.dp.assign, excl.result.dp.assign, free.result.greedy.assign]) {
      const s0 = listSchedule(free.result.dp.problem, a), s1 = listSchedule(p, a);
      expect(s1.makespan).toBeGreaterThanOrEqual(s0.makespan - 1e-12);
      // The memory serves one kernel at a time: its busy times add up within the makespan.
      const busy = a.reduce((t, d, i) => t + p.hbm!.occupancy[i][d], 0);
      expect(busy).toBeGreaterThan(0);
      expect(busy).toBeLessThanOrEqual(s1.makespan + 1e-12);
    }
  }, 60_000);
});
