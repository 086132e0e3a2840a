// The timing-only simulator on ResNet-18 at batch 1, tpuv4 preset: the default mapping beats ONNXim's
// own (456,788 cycles) by at least 2×, and simulating it costs well under ONNXim's seconds (CPU time,
// so a busy machine does not fail it). Full numbers, ResNet-50 and the tuned mapping: bench/npu.ts.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { resnet } from '../../../models/resnet.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import { compileNpu, timeNpu } from '../../../targets/npu/npu.ts';

describe('npu timing on ResNet-18', () => {
  it('≥2× fewer cycles than the ONNXim anchor, simulated in under 3 s of CPU', () => {
    const cfg = loadConfig('onnxim-tpuv4');
    const c = compileNpu(loadOnnxBytes(resnet({ depth: 18, batch: 1 }).toBytes(), {}).graph, cfg);
    expect(c.program.host).toEqual([]);
    const t0 = process.cpuUsage();
    const sim = timeNpu(c);
    const cpu = process.cpuUsage(t0);
    expect((cpu.user + cpu.system) / 1e6).toBeLessThan(3);
    expect(sim.cycles).toBeLessThan(456_788 / 2);
    expect(sim.macs).toBe(1_814_073_344);
    expect(sim.utilization).toBeGreaterThan(0.1);
  });
});
