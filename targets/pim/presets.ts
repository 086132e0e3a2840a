// Memory presets: the hardware as data. Timings are in tCK of the command clock; a column access
// moves 32 bytes (16 lanes of fp16/bf16) between a bank and its processing unit or the pins.
// Sources: AttAcc's HBM3 6.4 Gbps table (ASPLOS'24), Newton/NeuPIMs' HBM2, SK hynix AiM (GDDR6).
// Values the papers do not give are marked `assumed` in DESIGN.md.
import { TargetError } from '../../src/util/errors.ts';
import type { PimFormat } from './fp.ts';

export interface PimTiming {
  readonly nRCD: number; readonly nRP: number; readonly nRAS: number; readonly nRC: number;
  /** Column-to-column, different / same bank group; nCCDS is also one 32-byte burst on the pins. */
  readonly nCCDS: number; readonly nCCDL: number;
  /** Spacing of (all-bank) MACs: the PU's 16-lane multiply and adder tree. */
  readonly nCCDAB: number;
  /** Spacing of element-wise ops (two column reads and one write-back). */
  readonly nEWAB: number;
  readonly nRTP: number; readonly nWR: number;
  /** Write latency: a WR/WRGB's data arrives this long after the command. */
  readonly nCWL: number;
  /** Read latency: RD/RDACC data leaves the pins this long after the command. */
  readonly nRL: number;
  readonly nRRDS: number; readonly nFAW: number;
  /** Refresh interval and all-bank refresh time; nREFI 0 disables refresh. */
  readonly nREFI: number; readonly nRFC: number;
  /**
   * Per-bank refresh (REFPB): the refreshed bank is busy for nRFCpb, the others keep working; two
   * REFPBs (to different banks) are at least nRREFD apart. nRFCpb 0: the preset has no per-bank refresh.
   */
  readonly nRFCpb: number; readonly nRREFD: number;
}

export interface PimConfig {
  readonly name: string;
  readonly tCKns: number;
  readonly channels: number;
  readonly pseudoChannels: number;
  readonly bankGroups: number;
  readonly banksPerGroup: number;
  readonly rows: number;
  /** 32-byte column accesses per row (row size / 32 B). */
  readonly columns: number;
  /** 16-bit lanes per column access and per PU multiplier array. */
  readonly lanes: number;
  /** fp32 accumulators per bank PU (int32 in the int8 mode). */
  readonly accumulators: number;
  /**
   * The PU's native formats, the first 16-bit one its default: HBM-PIM (Aquabolt-XL) multiplies fp16,
   * AiM bf16; the hbm3 preset is our AttAcc-style design with an fp16/bf16 array and an int8 mode
   * (32 s8 × u8 lanes per column access, int32 accumulators; COMMANDS.md). A node asking for another
   * precision runs in a native one, and its kernel report says so.
   */
  readonly formats: readonly PimFormat[];
  /** 32-byte slots of the global buffer of each pseudo-channel. */
  readonly gbSlots: number;
  readonly timing: PimTiming;
}

const HBM3: PimConfig = {
  name: 'hbm3', tCKns: 0.625, channels: 16, pseudoChannels: 2, bankGroups: 4, banksPerGroup: 4,
  rows: 32768, columns: 32, lanes: 16, accumulators: 8, gbSlots: 64, formats: ['fp16', 'bf16', 'int8'],
  timing: {
    nRCD: 23, nRP: 23, nRAS: 55, nRC: 77, nCCDS: 2, nCCDL: 4, nCCDAB: 7, nEWAB: 14,
    nRTP: 10, nWR: 26, nCWL: 8, nRL: 20, nRRDS: 4, nFAW: 48, nREFI: 6240, nRFC: 416, nRFCpb: 320, nRREFD: 13,
  },
};

const HBM2: PimConfig = {
  name: 'hbm2', tCKns: 1.0, channels: 8, pseudoChannels: 2, bankGroups: 4, banksPerGroup: 4,
  rows: 16384, columns: 32, lanes: 16, accumulators: 8, gbSlots: 64, formats: ['fp16'],
  timing: {
    nRCD: 14, nRP: 14, nRAS: 33, nRC: 47, nCCDS: 2, nCCDL: 4, nCCDAB: 4, nEWAB: 8,
    nRTP: 4, nWR: 16, nCWL: 4, nRL: 14, nRRDS: 4, nFAW: 16, nREFI: 3900, nRFC: 260, nRFCpb: 160, nRREFD: 8,
  },
};

const AIM: PimConfig = {
  name: 'aim', tCKns: 0.57, channels: 16, pseudoChannels: 1, bankGroups: 4, banksPerGroup: 4,
  rows: 16384, columns: 64, lanes: 16, accumulators: 8, gbSlots: 128, formats: ['bf16'],
  timing: {
    nRCD: 26, nRP: 26, nRAS: 53, nRC: 79, nCCDS: 4, nCCDL: 6, nCCDAB: 6, nEWAB: 12,
    nRTP: 6, nWR: 28, nCWL: 10, nRL: 24, nRRDS: 6, nFAW: 28, nREFI: 3333, nRFC: 210, nRFCpb: 0, nRREFD: 0,
  },
};

export const PRESETS: Readonly<Record<string, PimConfig>> = { hbm3: HBM3, hbm2: HBM2, aim: AIM };

export function getPreset(name: string | undefined): PimConfig {
  const p = PRESETS[name ?? 'hbm3'];
  if (!p) throw new TargetError(`unknown PIM preset "${name}" (presets: ${Object.keys(PRESETS).join(', ')})`);
  return p;
}

export const banksPerPc = (c: PimConfig): number => c.bankGroups * c.banksPerGroup;
export const pcCount = (c: PimConfig): number => c.channels * c.pseudoChannels;
/** Bytes of one column access. */
export const COLUMN_BYTES = 32;
/** Elements of one column access (one PU multiply): 16 of a 16-bit format, 32 in the int8 mode. */
export const elemsPerColumn = (c: PimConfig, fmt: PimFormat): number => (fmt === 'int8' ? 2 * c.lanes : c.lanes);

/** The same preset with refresh disabled (for closed-form comparisons). */
export function withoutRefresh(c: PimConfig): PimConfig {
  return { ...c, timing: { ...c.timing, nREFI: 0 } };
}
