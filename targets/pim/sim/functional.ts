// The functional model of one pseudo-channel: bank arrays (rows materialized on first touch), open
// rows, the PUs' fp32 accumulators, the global buffer, and the host memory the pins connect to.
// Arithmetic is the PU's (fp.ts): exact 16-bit products, an fp32 adder tree, fp32 accumulation;
// element-wise results are rounded once into the 16-bit format and written back to the bank. An int8
// stream (COMMANDS.md) MACs 32 s8 bank bytes by 32 u8 buffer bytes into int32 accumulators and has no
// element-wise or SETACC commands.
import type { Command } from '../commands.ts';
import { PimError } from '../errors.ts';
import { decode16, encode16, laneDot, laneDotInt8, type Pim16, type PimFormat } from '../fp.ts';
import { banksPerPc, type PimConfig } from '../presets.ts';
import { maskBanks } from './timing.ts';

/** Bank contents of one pseudo-channel: bank → row → columns × lanes of 16-bit words. */
export class BankArray {
  private readonly rows: Map<number, Uint16Array>[];
  constructor(readonly cfg: PimConfig) {
    this.rows = Array.from({ length: banksPerPc(cfg) }, () => new Map());
  }
  row(bank: number, row: number): Uint16Array {
    const m = this.rows[bank];
    let r = m.get(row);
    if (!r) { r = new Uint16Array(this.cfg.columns * this.cfg.lanes); m.set(row, r); }
    return r;
  }
}

export class PcState {
  readonly open: Int32Array;
  readonly acc: Float32Array;
  /** The int8 mode's view of the same registers. */
  readonly iacc: Int32Array;
  readonly gb: Uint16Array;
  private readonly nb: number;
  private readonly all: readonly number[];
  constructor(readonly cfg: PimConfig, readonly fmt: PimFormat, readonly mem: BankArray, readonly host: DataView) {
    this.nb = banksPerPc(cfg);
    this.all = Array.from({ length: this.nb }, (_, b) => b);
    this.open = new Int32Array(this.nb).fill(-1);
    this.acc = new Float32Array(this.nb * cfg.accumulators);
    this.iacc = new Int32Array(this.nb * cfg.accumulators);
    this.gb = new Uint16Array(cfg.gbSlots * cfg.lanes);
  }

  exec(c: Command, i: number): void {
    const L = this.cfg.lanes;
    const bad = (m: string): never => { throw new PimError('PIM_PROTOCOL', `command ${i} (${c.op}): ${m}`); };
    const openRow = (b: number): Uint16Array => {
      if (this.open[b] < 0) bad(`bank ${b} has no open row`);
      return this.mem.row(b, this.open[b]);
    };
    const hostSpan = (bytes: number) => { if (c.addr + bytes > this.host.byteLength) bad(`host address ${c.addr}+${bytes} is beyond the ${this.host.byteLength}-byte host buffer`); };
    const all = this.all, int8 = this.fmt === 'int8';
    switch (c.op) {
      case 'ACT': case 'ACTAB': case 'ACTMB':
        for (const b of c.op === 'ACT' ? [c.bank] : c.op === 'ACTMB' ? maskBanks(c.mask, this.nb) : all) { if (this.open[b] >= 0) bad(`bank ${b} already has row ${this.open[b]} open`); this.open[b] = c.row; }
        return;
      case 'PRE': this.open[c.bank] = -1; return;
      case 'PREAB': this.open.fill(-1); return;
      case 'PREMB': for (const b of maskBanks(c.mask, this.nb)) this.open[b] = -1; return;
      case 'REF': if (this.open.some((r) => r >= 0)) bad('refresh needs every bank precharged'); return;
      case 'REFPB': if (this.open[c.bank] >= 0) bad(`per-bank refresh needs bank ${c.bank} precharged`); return;
      case 'WR': { hostSpan(32); const r = openRow(c.bank); for (let l = 0; l < L; l++) r[c.col * L + l] = this.host.getUint16(c.addr + 2 * l, true); return; }
      case 'RD': { hostSpan(32); const r = openRow(c.bank); for (let l = 0; l < L; l++) this.host.setUint16(c.addr + 2 * l, r[c.col * L + l], true); return; }
      case 'WRGB': hostSpan(32); for (let l = 0; l < L; l++) this.gb[c.slot * L + l] = this.host.getUint16(c.addr + 2 * l, true); return;
      case 'MAC': case 'MACAB': case 'MACMB':
        for (const b of c.op === 'MAC' ? [c.bank] : c.op === 'MACMB' ? maskBanks(c.mask, this.nb) : all) {
          const k = b * this.cfg.accumulators + c.acc;
          if (int8) this.iacc[k] = (this.iacc[k] + laneDotInt8(openRow(b), c.col * L, this.gb, c.slot * L, L)) | 0; // int32 wraps
          else this.acc[k] = Math.fround(this.acc[k] + laneDot(this.fmt as Pim16, openRow(b), c.col * L, this.gb, c.slot * L, L));
        }
        return;
      case 'ADDAB': case 'MULAB':
        if (int8) bad('element-wise commands need a 16-bit format (this stream is int8)');
        for (const b of all) {
          const r = openRow(b);
          for (let l = 0; l < L; l++) {
            const f = this.fmt as Pim16, x = decode16(f, r[c.col * L + l]), y = decode16(f, r[c.col2 * L + l]);
            r[c.col * L + l] = encode16(f, c.op === 'ADDAB' ? x + y : x * y);
          }
        }
        return;
      case 'CLRACC': for (const b of all) { const k = b * this.cfg.accumulators + c.acc; this.acc[k] = 0; this.iacc[k] = 0; } return;
      case 'SETACC':
        if (int8) bad('SETACC loads 16-bit values; an int8 stream starts from CLRACC (the host adds int32 offsets at read-out)');
        hostSpan(2 * this.nb);
        for (const b of all) this.acc[b * this.cfg.accumulators + c.acc] = decode16(this.fmt as Pim16, this.host.getUint16(c.addr + 2 * b, true));
        return;
      case 'RDACC':
        hostSpan(4 * this.nb);
        for (const b of all) {
          const k = b * this.cfg.accumulators + c.acc;
          if (int8) this.host.setInt32(c.addr + 4 * b, this.iacc[k], true);
          else this.host.setFloat32(c.addr + 4 * b, this.acc[k], true);
        }
        return;
      case 'SYNC': return;
    }
  }
}
