// Refresh placement by the code generator: refreshes overlap the bank-free phases (accumulator init
// with the first global-buffer load, accumulator read-out) instead of stalling a row sweep, and none
// is skipped: every kernel leaves at most one refresh owed, and the simulator re-checks nRFC and the
// refresh deadlines.
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../../models/builder.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { compileKernel, runKernel } from '../../../targets/pim/codegen/program.ts';
import { getPreset, withoutRefresh, type PimConfig } from '../../../targets/pim/presets.ts';
import { BankArray } from '../../../targets/pim/sim/functional.ts';

const HBM3 = getPreset('hbm3');

describe('refresh placement', () => {
  const N = 4096, K = 2048;
  const b = new OnnxBuilder({ opset: 17 });
  b.output(b.op('MatMul', [b.input('x', 'f32', [1, K]), b.input('W', 'f32', [K, N])]));
  const node = loadOnnxBytes(b.toBytes()).graph.nodes[0];
  const ins = [randomTensor('f32', [1, K], 1), randomTensor('f32', [K, N], 2)];
  const run = (cfg: PimConfig) => {
    const prog = compileKernel(cfg, node, 'k', { fmt: 'fp16', rowBase: 0 });
    const banks = new Map<number, BankArray>();
    const mem = (pc: number) => { let a = banks.get(pc); if (!a) { a = new BankArray(cfg); banks.set(pc, a); } return a; };
    return { prog, stats: runKernel(cfg, prog, node, ins, mem).stats };
  };
  it('overlaps refreshes with bank-free work, skipping none', () => {
    const on = run(HBM3), off = run(withoutRefresh(HBM3));
    expect(on.stats.cycles).toBe(on.prog.cycles);
    const t = HBM3.timing;
    for (const s of on.prog.streams) {
      let at = 0, refs = 0;
      for (const c of s.commands) { at += c.delta; if (c.op === 'REF') refs++; }
      // Refreshes owed at the kernel's end: at most one (postponed), never a skipped one.
      expect(Math.floor(at / t.nREFI) - refs).toBeLessThanOrEqual(1);
      expect(refs).toBeGreaterThan(0);
      // The first refresh is pulled in ahead of the accumulator init and the first load.
      expect(s.commands[0].op).toBe('REF');
    }
    const refsPerPc = on.stats.refreshes / on.prog.streams.length;
    expect(on.stats.cycles).toBeLessThan(off.stats.cycles + refsPerPc * t.nRFC);
    expect(on.stats.cycles).toBeGreaterThanOrEqual(off.stats.cycles + refsPerPc * t.nRFC - 200);
  });
});
