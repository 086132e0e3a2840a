// The timing model and the functional model on hand-written streams: legal traces run and compute
// the PU's arithmetic bit for bit; each kind of timing violation or protocol error is reported.
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../../models/builder.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { parseStream, type Stream } from '../../../targets/pim/commands.ts';
import { compileKernel, packHost, placeResident } from '../../../targets/pim/codegen/program.ts';
import { PimError } from '../../../targets/pim/errors.ts';
import { encode16, laneDot } from '../../../targets/pim/fp.ts';
import { getPreset, withoutRefresh, type PimConfig } from '../../../targets/pim/presets.ts';
import { BankArray } from '../../../targets/pim/sim/functional.ts';
import { simulate } from '../../../targets/pim/sim/run.ts';

const HBM3 = getPreset('hbm3');
const head = '.stream preset=hbm3 fmt=fp16 pc=0\n';

function run(text: string, cfg: PimConfig = HBM3, host = new DataView(new ArrayBuffer(4096)), mem = new BankArray(cfg)) {
  return { stats: simulate(cfg, [parseStream(head + text)], () => mem, host), host, mem };
}

function violation(text: string, cfg?: PimConfig): string {
  try { run(text, cfg); } catch (e) {
    expect(e).toBeInstanceOf(PimError);
    return `${(e as PimError).pimCode}: ${(e as Error).message}`;
  }
  throw new Error('the stream was accepted');
}

describe('hand-written streams', () => {
  it('a legal MAC sweep computes the PU dot product bit for bit and reports its cycles', () => {
    const host = new DataView(new ArrayBuffer(4096)), mem = new BankArray(HBM3);
    const x = Array.from({ length: 16 }, (_, l) => encode16('fp16', 0.1 * l - 0.7));
    x.forEach((h, l) => host.setUint16(2 * l, h, true));
    host.setUint16(32 + 2 * 3, encode16('fp16', 0.5), true); // bias of bank 3
    for (let b = 0; b < 16; b++) for (let l = 0; l < 16; l++) mem.row(b, 7)[2 * 16 + l] = encode16('fp16', (b - l) / 8);
    const { stats } = run([
      '+0 WRGB slot=5 addr=0', '+2 SETACC acc=2 addr=32', '+1 ACTAB row=7', '+23 MACAB col=2 slot=5 acc=2',
      '+7 MACAB col=2 slot=5 acc=2', '+25 PREAB', '+1 RDACC acc=2 addr=64', '+24 SYNC',
    ].join('\n'), HBM3, host, mem);
    const w = new Uint16Array(mem.row(3, 7).buffer, 2 * 16 * 2, 16);
    const dot = laneDot('fp16', w, 0, Uint16Array.from(x), 0, 16);
    expect(host.getFloat32(64 + 4 * 3, true)).toBe(Math.fround(Math.fround(0.5 + dot) + dot));
    expect(stats.commands.MACAB).toBe(2);
    expect(stats.externalBytes).toBe(32 + 32 + 64);
    expect(stats.internalBytes).toBe(2 * 16 * 32);
    expect(stats.cycles).toBe(2 + 1 + 23 + 7 + 25 + 1 + 24 + 1); // the SYNC's issue cycle + 1
  });
  it('reports each timing rule it checks', () => {
    expect(violation('+0 ACTAB row=0\n+10 MACAB col=0 slot=0 acc=0')).toMatch(/PIM_TIMING.*nRCD/);
    expect(violation('+0 ACTAB row=0\n+30 PREAB')).toMatch(/nRAS/);
    expect(violation('+0 ACTAB row=0\n+55 PREAB\n+5 ACTAB row=1')).toMatch(/nRP/);
    expect(violation('+0 ACTAB row=0\n+23 MACAB col=0 slot=0 acc=0\n+3 MACAB col=1 slot=0 acc=0')).toMatch(/nCCDAB/);
    expect(violation('+0 ACTAB row=0\n+23 MACAB col=0 slot=0 acc=0\n+9 PREAB')).toMatch(/nRAS|nCCDAB\+nRTP/);
    expect(violation('+0 ACT bank=0 row=0\n+4 ACT bank=1 row=0\n+4 ACT bank=2 row=0\n+4 ACT bank=3 row=0\n+4 ACT bank=4 row=0')).toMatch(/tFAW/);
    expect(violation('+0 ACT bank=0 row=0\n+1 ACT bank=1 row=0')).toMatch(/nRRDS/);
    expect(violation('+0 ACTAB row=0\n+23 WRGB slot=4 addr=0\n+1 MACAB col=0 slot=4 acc=0')).toMatch(/global-buffer slot 4/);
    expect(violation('+0 WRGB slot=0 addr=0\n+1 WRGB slot=1 addr=32')).toMatch(/pins are busy/);
    expect(violation('+0 REF\n+100 ACTAB row=0')).toMatch(/nRFC/);
    expect(violation('+0 ACTAB row=0\n+23 MACAB col=0 slot=0 acc=0\n+1 SYNC')).toMatch(/SYNC waits/);
    expect(violation('+0 ACTAB row=0\n+56 PREAB\n+70000 ACTAB row=0')).toMatch(/refresh overdue/);
  });
  it('the same overdue trace is legal with refresh disabled', () => {
    expect(() => run('+0 ACTAB row=0\n+56 PREAB\n+70000 ACTAB row=0', withoutRefresh(HBM3))).not.toThrow();
  });
  it('reports protocol errors', () => {
    expect(violation('+0 MACAB col=0 slot=0 acc=0')).toMatch(/PIM_PROTOCOL.*no open row/);
    expect(violation('+0 ACTAB row=0\n+77 ACTAB row=1')).toMatch(/PIM_PROTOCOL.*already has row/);
    expect(violation('+0 ACTAB row=0\n+55 REF')).toMatch(/PIM_PROTOCOL.*precharged/);
    expect(violation('+0 WRGB slot=0 addr=4090')).toMatch(/PIM_PROTOCOL.*host/);
  });
});

describe('generated streams', () => {
  const b = new OnnxBuilder({ opset: 17 });
  b.output(b.op('MatMul', [b.input('x', 'f32', [2, 700]), b.input('w', 'f32', [700, 300])]));
  const node = loadOnnxBytes(b.toBytes()).graph.nodes[0];
  const ins = [randomTensor('f32', [2, 700], 1), randomTensor('f32', [700, 300], 2)];
  const setup = (cfg: PimConfig, streams: readonly Stream[]) => {
    const prog = compileKernel(cfg, node, 'k', { fmt: 'fp16', rowBase: 0 });
    const banks = new Map<number, BankArray>();
    const mem = (pc: number) => { let a = banks.get(pc); if (!a) { a = new BankArray(cfg); banks.set(pc, a); } return a; };
    placeResident(cfg, prog, ins, mem);
    return () => simulate(cfg, streams.length ? streams : prog.streams, mem, packHost(cfg, prog, ins, [2, 300]));
  };
  it('pass the checker, and the checker finds any command moved one cycle earlier', () => {
    const prog = compileKernel(HBM3, node, 'k', { fmt: 'fp16', rowBase: 0 });
    expect(setup(HBM3, prog.streams)().cycles).toBe(prog.cycles);
    const s = prog.streams[0];
    let tightened = 0;
    for (const i of [1, 2, 5, 30, 31, 60]) {
      if (s.commands[i].delta === 0) continue;
      const cmds = s.commands.map((c, j) => (j === i ? { ...c, delta: c.delta - 1 } : c));
      // The generator issues every command at its earliest legal cycle, so one cycle earlier is illegal.
      expect(() => setup(HBM3, [{ ...s, commands: cmds }])(), `command ${i} (${s.commands[i].op})`).toThrow(/PIM_TIMING/);
      tightened++;
    }
    expect(tightened).toBeGreaterThan(3);
  });
  it('overlapping the global-buffer writes with the MACs is faster than not', () => {
    const cfg = withoutRefresh(HBM3);
    const on = compileKernel(cfg, node, 'k', { fmt: 'fp16', rowBase: 0, schedule: { kSplit: 1, rowsPerPass: 1, overlap: true, pcGroups: 1 } });
    const off = compileKernel(cfg, node, 'k', { fmt: 'fp16', rowBase: 0, schedule: { kSplit: 1, rowsPerPass: 1, overlap: false, pcGroups: 1 } });
    expect(on.cycles).toBeLessThan(off.cycles);
  });
});
