// The PIM command set (COMMANDS.md): 16-byte binary records and a one-line-per-command text form that
// round-trip. Every command carries `delta`, its issue cycle minus the previous command's, so a stream
// is a timed trace a memory controller would send to one pseudo-channel; the simulator checks it.
import { PimError } from './errors.ts';
import type { PimFormat } from './fp.ts';
import { PRESETS, banksPerPc, type PimConfig } from './presets.ts';

export type Field = 'bank' | 'row' | 'col' | 'col2' | 'slot' | 'acc' | 'addr' | 'mask';

/** Mnemonic → opcode and the fields it uses (in text order); the others must be zero. */
export const OPCODES = {
  ACT: { code: 0x01, fields: ['bank', 'row'] },
  ACTAB: { code: 0x02, fields: ['row'] },
  PRE: { code: 0x03, fields: ['bank'] },
  PREAB: { code: 0x04, fields: [] },
  WR: { code: 0x05, fields: ['bank', 'col', 'addr'] },
  RD: { code: 0x06, fields: ['bank', 'col', 'addr'] },
  WRGB: { code: 0x07, fields: ['slot', 'addr'] },
  MAC: { code: 0x08, fields: ['bank', 'col', 'slot', 'acc'] },
  MACAB: { code: 0x09, fields: ['col', 'slot', 'acc'] },
  ADDAB: { code: 0x0a, fields: ['col', 'col2'] },
  MULAB: { code: 0x0b, fields: ['col', 'col2'] },
  CLRACC: { code: 0x0c, fields: ['acc'] },
  SETACC: { code: 0x0d, fields: ['acc', 'addr'] },
  RDACC: { code: 0x0e, fields: ['acc', 'addr'] },
  REF: { code: 0x0f, fields: [] },
  SYNC: { code: 0x10, fields: [] },
  // Per-bank refresh and the masked all-bank commands that let the other banks keep working meanwhile.
  REFPB: { code: 0x11, fields: ['bank'] },
  ACTMB: { code: 0x12, fields: ['mask', 'row'] },
  MACMB: { code: 0x13, fields: ['mask', 'col', 'slot', 'acc'] },
  PREMB: { code: 0x14, fields: ['mask'] },
} as const satisfies Record<string, { code: number; fields: readonly Field[] }>;

export type Op = keyof typeof OPCODES;
const BY_CODE = new Map<number, Op>(Object.entries(OPCODES).map(([k, v]) => [v.code, k as Op]));

export interface Command {
  readonly op: Op;
  readonly bank: number; readonly row: number; readonly col: number; readonly col2: number;
  readonly slot: number; readonly acc: number; readonly addr: number;
  /** Banks a masked all-bank command (ACTMB/MACMB/PREMB) addresses: bit b = bank b (never 0). */
  readonly mask: number;
  /** Issue cycle minus the previous command's issue cycle (the first: minus 0). */
  readonly delta: number;
}

export function cmd(op: Op, f: Partial<Omit<Command, 'op'>> = {}): Command {
  return { op, bank: 0, row: 0, col: 0, col2: 0, slot: 0, acc: 0, addr: 0, mask: 0, delta: 0, ...f };
}

/** One pseudo-channel's command stream. */
export interface Stream {
  readonly preset: string;
  readonly fmt: PimFormat;
  /** Global pseudo-channel index (channel · pseudoChannels + pc). */
  readonly pc: number;
  readonly commands: readonly Command[];
}

const MAGIC = 0x534d4950; // "PIMS" little-endian
const VERSION = 1;
const HEADER = 16;
const RECORD = 16;
const PRESET_IDS = Object.keys(PRESETS);

/** Field limits of a preset: every field value v satisfies 0 ≤ v < limit. */
function limits(c: PimConfig): Record<Field, number> {
  return {
    bank: banksPerPc(c), row: c.rows, col: c.columns, col2: c.columns, slot: c.gbSlots,
    acc: c.accumulators, addr: 2 ** 32, mask: 2 ** banksPerPc(c),
  };
}

export function validateCommand(c: Command, cfg: PimConfig, where: string): void {
  const spec = OPCODES[c.op];
  if (!spec) throw new PimError('PIM_OPCODE', `${where}: unknown command ${String(c.op)}`);
  const lim = limits(cfg);
  for (const f of Object.keys(lim) as Field[]) {
    const v = c[f];
    const used = (spec.fields as readonly Field[]).includes(f);
    if (!Number.isInteger(v) || v < 0 || v >= lim[f]) {
      throw new PimError('PIM_FIELD', `${where}: ${c.op} ${f}=${v} is out of range for ${cfg.name} (0..${lim[f] - 1})`);
    }
    if (!used && v !== 0) throw new PimError('PIM_FIELD', `${where}: ${c.op} has no field "${f}" (got ${v})`);
  }
  if ((spec.fields as readonly Field[]).includes('mask') && c.mask === 0) throw new PimError('PIM_FIELD', `${where}: ${c.op} mask=0 addresses no bank`);
  const align = c.op === 'RDACC' ? 4 : 2;
  if (c.addr % align !== 0) throw new PimError('PIM_FIELD', `${where}: ${c.op} addr=${c.addr} is not ${align}-byte aligned`);
  if (!Number.isInteger(c.delta) || c.delta < 0 || c.delta >= 2 ** 32) {
    throw new PimError('PIM_FIELD', `${where}: delta=${c.delta} must be an integer in 0..2^32-1`);
  }
}

/** The bank mask travels in the record's address word: no command has both. */
const usesMask = (op: Op): boolean => (OPCODES[op].fields as readonly Field[]).includes('mask');

/** Header format byte: index in this list. */
const FORMAT_IDS: readonly PimFormat[] = ['fp16', 'bf16', 'int8'];

/** A stream runs in one of its preset's PU formats. */
function checkFormat(fmt: PimFormat, preset: string, where: string): void {
  if (!PRESETS[preset].formats.includes(fmt)) throw new PimError('PIM_FIELD', `${where}: format ${fmt} is not a mode of the ${preset} PU (${PRESETS[preset].formats.join(', ')})`);
}

export function encodeStream(s: Stream): Uint8Array {
  const cfg = PRESETS[s.preset];
  if (!cfg) throw new PimError('PIM_MAGIC', `unknown preset "${s.preset}"`);
  const out = new Uint8Array(HEADER + RECORD * s.commands.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint8(4, VERSION);
  checkFormat(s.fmt, s.preset, 'stream');
  dv.setUint8(5, FORMAT_IDS.indexOf(s.fmt));
  dv.setUint8(6, PRESET_IDS.indexOf(s.preset));
  dv.setUint16(8, s.pc, true);
  dv.setUint32(12, s.commands.length, true);
  s.commands.forEach((c, i) => {
    validateCommand(c, cfg, `command ${i}`);
    const o = HEADER + RECORD * i;
    dv.setUint8(o, OPCODES[c.op].code);
    dv.setUint8(o + 1, c.bank); dv.setUint8(o + 2, c.col); dv.setUint8(o + 3, c.col2);
    dv.setUint8(o + 4, c.slot); dv.setUint8(o + 5, c.acc);
    dv.setUint16(o + 6, c.row, true);
    dv.setUint32(o + 8, usesMask(c.op) ? c.mask : c.addr, true);
    dv.setUint32(o + 12, c.delta, true);
  });
  return out;
}

export function decodeStream(bytes: Uint8Array): Stream {
  if (bytes.length < HEADER) throw new PimError('PIM_TRUNCATED', `a stream is at least ${HEADER} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new PimError('PIM_MAGIC', 'not a PIM command stream (bad magic)');
  if (dv.getUint8(4) !== VERSION) throw new PimError('PIM_MAGIC', `stream version ${dv.getUint8(4)} (this tscc reads ${VERSION})`);
  const fmtId = dv.getUint8(5);
  const preset = PRESET_IDS[dv.getUint8(6)];
  if (fmtId >= FORMAT_IDS.length) throw new PimError('PIM_FIELD', `header: data format ${fmtId} (0 fp16, 1 bf16, 2 int8)`);
  if (!preset) throw new PimError('PIM_FIELD', `header: preset id ${dv.getUint8(6)} (0..${PRESET_IDS.length - 1})`);
  checkFormat(FORMAT_IDS[fmtId], preset, 'header');
  if (dv.getUint8(7) !== 0 || dv.getUint16(10, true) !== 0) throw new PimError('PIM_FIELD', 'header: reserved bytes must be zero');
  const cfg = PRESETS[preset];
  const pc = dv.getUint16(8, true);
  if (pc >= cfg.channels * cfg.pseudoChannels) throw new PimError('PIM_FIELD', `header: pseudo-channel ${pc} does not exist on ${preset}`);
  const n = dv.getUint32(12, true);
  if (bytes.length !== HEADER + RECORD * n) {
    throw new PimError('PIM_TRUNCATED', `header says ${n} commands (${HEADER + RECORD * n} bytes), got ${bytes.length} bytes`);
  }
  const commands: Command[] = [];
  for (let i = 0; i < n; i++) {
    const o = HEADER + RECORD * i;
    const op = BY_CODE.get(dv.getUint8(o));
    if (!op) throw new PimError('PIM_OPCODE', `command ${i}: unknown opcode 0x${dv.getUint8(o).toString(16)}`);
    const word = dv.getUint32(o + 8, true);
    const c: Command = {
      op, bank: dv.getUint8(o + 1), col: dv.getUint8(o + 2), col2: dv.getUint8(o + 3), slot: dv.getUint8(o + 4),
      acc: dv.getUint8(o + 5), row: dv.getUint16(o + 6, true), addr: usesMask(op) ? 0 : word, mask: usesMask(op) ? word : 0,
      delta: dv.getUint32(o + 12, true),
    };
    validateCommand(c, cfg, `command ${i}`);
    commands.push(c);
  }
  return { preset, fmt: FORMAT_IDS[fmtId], pc, commands };
}

export function commandText(c: Command): string {
  const f = (OPCODES[c.op].fields as readonly Field[]).map((k) => `${k}=${c[k]}`);
  return [`+${c.delta}`, c.op, ...f].join(' ');
}

export function printStream(s: Stream): string {
  return [`.stream preset=${s.preset} fmt=${s.fmt} pc=${s.pc}`, ...s.commands.map(commandText)].join('\n') + '\n';
}

export function parseStream(text: string): Stream {
  const lines = text.split('\n').map((l, i) => ({ n: i + 1, t: l.replace(/#.*/, '').trim() })).filter((l) => l.t !== '');
  const head = lines.shift();
  const m = head && /^\.stream preset=(\S+) fmt=(fp16|bf16|int8) pc=(\d+)$/.exec(head.t);
  if (!m) throw new PimError('PIM_SYNTAX', `line ${head?.n ?? 1}: expected ".stream preset=P fmt=fp16|bf16|int8 pc=N"`);
  const cfg = PRESETS[m[1]];
  if (!cfg) throw new PimError('PIM_FIELD', `line ${head!.n}: unknown preset "${m[1]}"`);
  checkFormat(m[2] as PimFormat, m[1], `line ${head!.n}`);
  const pc = Number(m[3]);
  if (pc >= cfg.channels * cfg.pseudoChannels) throw new PimError('PIM_FIELD', `line ${head!.n}: pseudo-channel ${pc} does not exist on ${m[1]}`);
  const commands = lines.map(({ n, t }) => parseLine(t, `line ${n}`, cfg));
  return { preset: m[1], fmt: m[2] as PimFormat, pc, commands };
}

function parseLine(t: string, where: string, cfg: PimConfig): Command {
  const [d, op, ...rest] = t.split(/\s+/);
  if (!/^\+\d+$/.test(d ?? '')) throw new PimError('PIM_SYNTAX', `${where}: a command starts with +<delta cycles>, got "${d}"`);
  if (!(op in OPCODES)) throw new PimError('PIM_OPCODE', `${where}: unknown command "${op}"`);
  const spec = OPCODES[op as Op];
  const vals: Partial<Record<Field, number>> = {};
  for (const kv of rest) {
    const mm = /^([a-z0-9]+)=(\d+)$/.exec(kv);
    if (!mm) throw new PimError('PIM_SYNTAX', `${where}: expected field=value, got "${kv}"`);
    const k = mm[1] as Field;
    if (!(spec.fields as readonly string[]).includes(k)) throw new PimError('PIM_FIELD', `${where}: ${op} has no field "${k}"`);
    if (vals[k] !== undefined) throw new PimError('PIM_SYNTAX', `${where}: field "${k}" given twice`);
    vals[k] = Number(mm[2]);
  }
  for (const k of spec.fields) if (vals[k] === undefined) throw new PimError('PIM_SYNTAX', `${where}: ${op} needs field "${k}"`);
  const c = cmd(op as Op, { ...vals, delta: Number(d.slice(1)) });
  validateCommand(c, cfg, where);
  return c;
}
