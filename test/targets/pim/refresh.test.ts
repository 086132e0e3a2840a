// Refresh placement by the code generator. All-bank: REFs overlap the bank-free phases (accumulator
// init with the first global-buffer load, read-out) instead of stalling a row sweep. Per-bank (the
// default on HBM3): rolling REFPB rounds where one bank refreshes while the others keep sweeping under
// masked commands. Neither skips a refresh (every bank ends owing at most one), the simulator re-checks
// every rule, and per-bank refresh changes the cycles, not the numbers.
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../../models/builder.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { compileKernel, runKernel } from '../../../targets/pim/codegen/program.ts';
import { gemvProblems } from '../../../targets/pim/codegen/ops.ts';
import { defaultGemvSchedule, type GemvSchedule } from '../../../targets/pim/layout.ts';
import { getPreset, withoutRefresh, type PimConfig } from '../../../targets/pim/presets.ts';
import { BankArray } from '../../../targets/pim/sim/functional.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { checkPim } from './helpers.ts';
import { intentOutputs } from './intent.ts';

const HBM3 = getPreset('hbm3');
const t = HBM3.timing;

describe('refresh placement', () => {
  const N = 4096, K = 2048;
  const b = new OnnxBuilder({ opset: 17 });
  b.output(b.op('MatMul', [b.input('x', 'f32', [1, K]), b.input('W', 'f32', [K, N])]));
  const node = loadOnnxBytes(b.toBytes()).graph.nodes[0];
  const ins = [randomTensor('f32', [1, K], 1), randomTensor('f32', [K, N], 2)];
  const probs = gemvProblems(node);
  if (typeof probs === 'string') throw new Error(probs);
  const run = (cfg: PimConfig, refresh?: GemvSchedule['refresh'], more: Partial<GemvSchedule> = {}) => {
    const schedule = refresh && { ...defaultGemvSchedule(cfg, probs[0]), refresh, ...more };
    const prog = compileKernel(cfg, node, 'k', { fmt: 'fp16', rowBase: 0, schedule });
    const banks = new Map<number, BankArray>();
    const mem = (pc: number) => { let a = banks.get(pc); if (!a) { a = new BankArray(cfg); banks.set(pc, a); } return a; };
    const r = runKernel(cfg, prog, node, ins, mem);
    return { prog, stats: r.stats, out: Array.from(r.output.toF32()) };
  };
  const off = run(withoutRefresh(HBM3));
  const ab = run(HBM3, 'allBank');
  const pb = run(HBM3);

  it('all-bank: overlaps refreshes with bank-free work, skipping none', () => {
    expect(ab.stats.cycles).toBe(ab.prog.cycles);
    for (const s of ab.prog.streams) {
      let at = 0, refs = 0;
      for (const c of s.commands) { at += c.delta; if (c.op === 'REF') refs++; }
      expect(Math.floor(at / t.nREFI) - refs).toBeLessThanOrEqual(1);
      expect(refs).toBeGreaterThan(0);
      expect(s.commands[0].op).toBe('REF'); // pulled in ahead of the accumulator init and the first load
    }
    const refsPerPc = ab.stats.refreshes / ab.prog.streams.length;
    expect(ab.stats.cycles).toBeLessThan(off.stats.cycles + refsPerPc * t.nRFC);
    expect(ab.stats.cycles).toBeGreaterThanOrEqual(off.stats.cycles + refsPerPc * t.nRFC - 200);
    expect(ab.out).toEqual(off.out);
  });

  it('per-bank: every bank refreshed by its own REFPB, no REF, cheaper than all-bank, same numbers', () => {
    expect(pb.stats.cycles).toBe(pb.prog.cycles);
    for (const s of pb.prog.streams) {
      let at = 0;
      const refs = new Array<number>(16).fill(0);
      for (const c of s.commands) {
        at += c.delta;
        expect(c.op).not.toBe('REF');
        if (c.op === 'REFPB') refs[c.bank]++;
      }
      for (const n of refs) { expect(n).toBeGreaterThan(0); expect(Math.floor(at / t.nREFI) - n).toBeLessThanOrEqual(1); }
      expect(s.commands.some((c) => c.op === 'MACMB')).toBe(true);
    }
    // A round costs each bank about nRFCpb, against nRFC for every bank under REF.
    expect(pb.stats.cycles).toBeLessThan(ab.stats.cycles);
    expect(pb.stats.cycles).toBeLessThan(off.stats.cycles + t.nRFCpb + 60);
    expect(pb.out).toEqual(off.out);
  });

  it('per-bank without overlapped loads: still rounds, still the same numbers', () => {
    const r = run(HBM3, 'perBank', { overlap: false });
    expect(r.stats.commands.REFPB).toBe(pb.stats.commands.REFPB);
    expect(r.out).toEqual(off.out);
  });
});

describe('refresh-on GEMV against onnxruntime and the intent', () => {
  it('MatMul [1, 2560] × [2560, 2048] with a per-bank refresh round (HBM2: shorter nREFI, fewer weights)', async () => {
    const r = await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [1, 2560]], randomTensor('f32', [2560, 2048], 7)] }), { target: 'pim:hbm2' });
    expect(r.programs[0].streams[0].commands.some((c) => c.op === 'REFPB')).toBe(true);
    expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((x) => Array.from(x.toF32())));
  });
});
