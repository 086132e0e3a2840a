// Per-bank refresh (REFPB) and the masked all-bank commands on hand-written streams: the timing rules
// are reported by name, the masked commands touch only their banks, and the encodings round-trip.
import { describe, expect, it } from 'vitest';
import { decodeStream, encodeStream, parseStream, printStream } from '../../../targets/pim/commands.ts';
import { PimError } from '../../../targets/pim/errors.ts';
import { encode16, laneDot } from '../../../targets/pim/fp.ts';
import { getPreset, type PimConfig } from '../../../targets/pim/presets.ts';
import { BankArray } from '../../../targets/pim/sim/functional.ts';
import { simulate } from '../../../targets/pim/sim/run.ts';

const HBM3 = getPreset('hbm3');
const head = '.stream preset=hbm3 fmt=fp16 pc=0\n';
const run = (text: string, cfg: PimConfig = HBM3, host = new DataView(new ArrayBuffer(4096)), mem = new BankArray(cfg)) =>
  ({ stats: simulate(cfg, [parseStream(head.replace('hbm3', cfg.name).replace('fp16', cfg.formats[0]) + text)], () => mem, host), host, mem });

function violation(text: string, cfg?: PimConfig): string {
  try { run(text, cfg); } catch (e) {
    expect(e).toBeInstanceOf(PimError);
    return `${(e as PimError).pimCode}: ${(e as Error).message}`;
  }
  throw new Error('the stream was accepted');
}

describe('REFPB timing', () => {
  const t = HBM3.timing;
  it('reports nRFCpb, nRREFD, the activate spacing and per-bank overdue refresh', () => {
    expect(violation(`+0 REFPB bank=3\n+${t.nRFCpb - 1} ACT bank=3 row=0`)).toMatch(/PIM_TIMING.*nRFCpb after the last REFPB of bank 3/);
    expect(violation(`+0 REFPB bank=3\n+${t.nRREFD - 1} REFPB bank=4`)).toMatch(/PIM_TIMING.*nRREFD after the last REFPB/);
    expect(violation('+0 REFPB bank=3\n+5 ACT bank=4 row=0')).toMatch(/PIM_TIMING.*nRREFD-1/);
    expect(violation('+0 ACTMB mask=1 row=0\n+1 REFPB bank=3')).toMatch(/PIM_TIMING.*activate \(2 cycles\) before REFPB/);
    expect(violation(`+0 REF\n+${t.nRFC - 1} REFPB bank=0`)).toMatch(/PIM_TIMING.*nRFC after the last REF/);
    expect(violation(`+0 REFPB bank=0\n+${t.nRFCpb - 1} REF`)).toMatch(/PIM_TIMING.*nRFCpb/);
    // 15 banks refreshed, bank 15 never: overdue for bank 15 (the others' REFPBs do not count for it).
    const others = Array.from({ length: 15 }, (_, b) => `+${t.nRREFD} REFPB bank=${b}`).join('\n');
    const late = `+${9 * t.nREFI} ACTMB mask=1 row=0`;
    expect(violation(`${others}\n${late}`)).toMatch(/PIM_TIMING.*refresh overdue for bank 15/);
  });
  it('REFPB needs its bank closed, and the other banks may stay open', () => {
    expect(violation('+0 ACT bank=2 row=0\n+60 REFPB bank=2')).toMatch(/PIM_PROTOCOL.*bank 2 precharged/);
    expect(() => run('+0 ACT bank=2 row=0\n+60 REFPB bank=3')).not.toThrow();
  });
  it('a preset without per-bank refresh rejects REFPB', () => {
    expect(violation('+0 REFPB bank=0', getPreset('aim'))).toMatch(/PIM_TIMING.*per-bank refresh/);
  });
});

describe('masked all-bank commands', () => {
  it('ACTMB/MACMB/PREMB touch only their banks while another bank refreshes', () => {
    const host = new DataView(new ArrayBuffer(4096)), mem = new BankArray(HBM3);
    const x = Array.from({ length: 16 }, (_, l) => encode16('fp16', 0.25 * l - 1));
    x.forEach((h, l) => host.setUint16(2 * l, h, true));
    for (let b = 0; b < 16; b++) for (let l = 0; l < 16; l++) mem.row(b, 5)[l] = encode16('fp16', (b + l) / 16);
    const { stats } = run([
      '+0 WRGB slot=0 addr=0', '+1 REFPB bank=0', '+12 ACTMB mask=65534 row=5', '+23 MACMB mask=65534 col=0 slot=0 acc=1',
      '+32 PREMB mask=65534', '+1 RDACC acc=1 addr=64', `+${HBM3.timing.nRFCpb} SYNC`,
    ].join('\n'), HBM3, host, mem);
    const dot = (b: number) => laneDot('fp16', mem.row(b, 5), 0, Uint16Array.from(x), 0, 16);
    expect(host.getFloat32(64, true)).toBe(0); // bank 0 refreshed, no MAC
    for (let b = 1; b < 16; b++) expect(host.getFloat32(64 + 4 * b, true)).toBe(dot(b));
    expect(stats.commands.MACMB).toBe(1);
    expect(stats.internalBytes).toBe(15 * 32);
  });
  it('a masked MAC on a bank outside the activate mask is a protocol error; mask=0 is rejected', () => {
    expect(violation('+0 ACTMB mask=2 row=0\n+23 MACMB mask=3 col=0 slot=0 acc=0')).toMatch(/PIM_PROTOCOL.*bank 0 has no open row/);
    expect(() => parseStream(head + '+0 PREMB mask=0')).toThrow(/mask=0/);
    expect(() => parseStream(head + '+0 PREMB mask=65536')).toThrow(/out of range/);
  });
  it('text and binary round-trip, the mask riding in the address word', () => {
    const s = parseStream(head + '+0 REFPB bank=7\n+13 ACTMB mask=65407 row=9\n+23 MACMB mask=65407 col=3 slot=4 acc=5\n+40 PREMB mask=65407\n');
    const back = decodeStream(encodeStream(s));
    expect(printStream(back)).toBe(printStream(s));
    expect(back.commands[1].mask).toBe(65407);
  });
});
