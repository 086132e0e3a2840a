// The tscc NPU instruction set, version 2 (v2 added dma.gather, vec.requant/dequant, i8 im2col): fixed 32-byte instructions (eight little-endian u32 words),
// described as data — one field table per opcode drives the encoder, decoder, assembler and the
// simulator's operand access, so the four never disagree. ISA.md is the prose version of this table.

export const ISA_VERSION = 2;
export const WORDS = 8;
export const INSTR_BYTES = WORDS * 4;
/** "TNPU" — first word of a binary. */
export const MAGIC = 0x55504e54;

export const Op = {
  NOP: 0x00, HALT: 0x01, BARRIER: 0x02, HOST: 0x03, CFG: 0x04,
  DMA_LD: 0x10, DMA_ST: 0x11, DMA_GATHER: 0x12,
  PRELOAD: 0x20, COMPUTE: 0x21,
  VEC: 0x30,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** Element types of memory operands. */
export const DT = { f16: 0, i8: 1, f32: 2, i32: 3, bf16: 4 } as const;
export type DTName = keyof typeof DT;
export const DT_NAMES = Object.keys(DT) as DTName[];
export const DT_BYTES = [2, 1, 4, 4, 2];

/** Vector-unit functions (the `fn` byte of VEC). */
export const VF = {
  COPY: 0, ADD: 1, SUB: 2, MUL: 3, DIV: 4, MAX: 5, MIN: 6, POW: 7,
  RELU: 8, CLIP: 9, EXP: 10, SIGMOID: 11, TANH: 12, ERF: 13, GELU: 14, SWISH: 15,
  HSWISH: 16, HSIGMOID: 17, NEG: 18, SQRT: 19, RECIP: 20, ABS: 21, AFFINE: 22, LOG: 23, MAC: 24,
  RSUM: 32, RMAX: 33, RMEAN: 34, SOFTMAX: 35, LNORM: 36, SEL: 37,
  MVOUT: 38, QUANT: 39, IM2COL: 40, POOLMAX: 41, POOLAVG: 42, TRANSPOSE: 43, AMAX: 44, REQUANT: 45, DEQUANT: 46,
} as const;
export type VecFn = (typeof VF)[keyof typeof VF];
export const VF_NAMES: Record<number, string> = Object.fromEntries(Object.entries(VF).map(([k, v]) => [v, k.toLowerCase()]));
export const BINARY_FNS: ReadonlySet<number> = new Set([VF.ADD, VF.SUB, VF.MUL, VF.DIV, VF.MAX, VF.MIN, VF.POW, VF.MAC]);

/** How VEC's second operand is read for binary functions. */
export const BCAST = { full: 0, row: 1, col: 2, scalar: 3, imm: 4, reg: 5 } as const;
/** Scale registers per core (written by vec.amax, read by quant/mvout with bcast=reg). */
export const SCALE_REGS = 8;

/** One operand field: word index (1..7), bit offset, width, signedness, f32 bit pattern. */
export interface Field { readonly name: string; readonly word: number; readonly shift: number; readonly bits: number; readonly signed?: boolean; readonly float?: boolean }

const f = (name: string, word: number, shift = 0, bits = 32, extra: Partial<Field> = {}): Field => ({ name, word, shift, bits, ...extra });
// pl0/ph0/pl1/ph1 (load only): that many leading/trailing positions of dims 0 and 1 are zero padding,
// written to the scratchpad without reading DRAM; `dram` addresses the first element inside them.
const DMA_FIELDS = [f('dram', 1), f('spad', 2), f('n0', 3, 0, 16), f('n1', 3, 16, 16), f('n2', 4, 0, 16),
  f('pl0', 4, 16, 4), f('ph0', 4, 20, 4), f('pl1', 4, 24, 4), f('ph1', 4, 28, 4),
  f('s0', 5, 0, 32, { signed: true }), f('s1', 6, 0, 32, { signed: true }), f('s2', 7, 0, 32, { signed: true })];

/** Operand fields per opcode; VEC's depend on its function. */
export const FIELDS: Record<number, readonly Field[]> = {
  [Op.NOP]: [], [Op.HALT]: [], [Op.BARRIER]: [],
  [Op.HOST]: [f('id', 1)],
  [Op.CFG]: [f('c', 1, 0, 16), f('ih', 1, 16, 16), f('iw', 2, 0, 16), f('kh', 2, 16, 8), f('kw', 2, 24, 8),
    f('sh', 3, 0, 8), f('sw', 3, 8, 8), f('dh', 3, 16, 8), f('dw', 3, 24, 8), f('pt', 4, 0, 16), f('pl', 4, 16, 16),
    f('oh', 5, 0, 16), f('ow', 5, 16, 16), f('cpad', 6, 0, 1)],
  [Op.DMA_LD]: DMA_FIELDS, [Op.DMA_ST]: DMA_FIELDS,
  // Indexed rows: for j < count, row idx[j] (i32 in the scratchpad at `idx`; negative counts from the
  // end, as ONNX Gather) of a table of `rows` rows, `stride` elements apart, n0 elements each.
  [Op.DMA_GATHER]: [f('dram', 1), f('spad', 2), f('idx', 3), f('count', 4, 0, 16), f('n0', 4, 16, 16), f('rows', 5), f('stride', 6)],
  [Op.PRELOAD]: [f('spad', 1), f('k', 2, 0, 16), f('n', 2, 16, 16), f('stride', 3)],
  [Op.COMPUTE]: [f('spad', 1), f('acc', 2), f('m', 3, 0, 16), f('k', 3, 16, 16), f('astride', 4), f('cstride', 5)],
};
const VEC_COMMON = [f('dst', 1), f('src0', 2), f('rows', 4, 0, 16), f('cols', 4, 16, 16)];
export function vecFields(fn: number): readonly Field[] {
  switch (fn) {
    case VF.IM2COL: return [f('dst', 1), f('src', 2), f('k0', 3, 0, 16), f('kt', 3, 16, 16), f('p0', 4), f('np', 5, 0, 16),
      f('y0', 5, 16, 16, { signed: true }), f('prows', 6, 0, 16), f('pch', 6, 16, 16), f('pad', 7, 0, 16, { signed: true })];
    case VF.POOLMAX: case VF.POOLAVG: return [f('dst', 1), f('src', 2), f('ch', 3, 0, 16)];
    case VF.SEL: return [...VEC_COMMON, f('src1', 3), f('src2', 6)];
    default: return [...VEC_COMMON, f('src1', 3), f('imm0', 5, 0, 32, { float: true }), f('imm1', 6, 0, 32, { float: true }), f('bcast', 7, 0, 4)];
  }
}
export function fieldsOf(op: number, fn: number): readonly Field[] {
  return op === Op.VEC ? vecFields(fn) : FIELDS[op];
}

export const MNEMONIC: Record<number, string> = {
  [Op.NOP]: 'nop', [Op.HALT]: 'halt', [Op.BARRIER]: 'barrier', [Op.HOST]: 'host', [Op.CFG]: 'cfg',
  [Op.DMA_LD]: 'dma.ld', [Op.DMA_ST]: 'dma.st', [Op.DMA_GATHER]: 'dma.gather', [Op.PRELOAD]: 'gemm.preload', [Op.COMPUTE]: 'gemm.compute', [Op.VEC]: 'vec',
};

/** A decoded instruction: header bits plus named operand values (f32 immediates as numbers). */
export interface Instr {
  readonly op: number;
  readonly core: number;
  /** bit 0: COMPUTE accumulates into the accumulator (else overwrites). */
  readonly flags: number;
  readonly dt: number;
  readonly fn: number;
  readonly a: Readonly<Record<string, number>>;
}

export class DecodeError extends Error {
  constructor(readonly index: number, reason: string) { super(`instruction ${index}: ${reason}`); }
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

function packField(fl: Field, v: number, words: Uint32Array): void {
  let bits: number;
  if (fl.float) { f32buf[0] = v; bits = u32buf[0]; }
  else {
    const lo = fl.signed ? -(2 ** (fl.bits - 1)) : 0, hi = fl.signed ? 2 ** (fl.bits - 1) - 1 : 2 ** fl.bits - 1;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`field ${fl.name}=${v} does not fit ${fl.bits} bits`);
    bits = v < 0 ? v + 2 ** fl.bits : v;
  }
  const mask = fl.bits === 32 ? 0xffffffff : (1 << fl.bits) - 1;
  words[fl.word] = (words[fl.word] | ((bits & mask) << fl.shift)) >>> 0;
}

export function encodeInto(ins: Instr, out: Uint32Array, at: number): void {
  const w = out.subarray(at, at + WORDS);
  w.fill(0);
  w[0] = (ins.op | (ins.core << 8) | (ins.flags << 12) | (ins.dt << 16) | (ins.fn << 20)) >>> 0;
  for (const fl of fieldsOf(ins.op, ins.fn)) packField(fl, ins.a[fl.name] ?? 0, w);
}

/** Reads one instruction, rejecting anything the encoder could not have produced. */
export function decodeAt(words: Uint32Array, at: number, index: number, cores: number): Instr {
  const w0 = words[at];
  const op = w0 & 0xff, core = (w0 >>> 8) & 0xf, flags = (w0 >>> 12) & 0xf, dt = (w0 >>> 16) & 0xf, fn = (w0 >>> 20) & 0xff;
  if (!(op in MNEMONIC)) throw new DecodeError(index, `illegal opcode 0x${op.toString(16)}`);
  if (w0 >>> 28) throw new DecodeError(index, 'reserved header bits set');
  if (core >= cores) throw new DecodeError(index, `core ${core} does not exist (${cores} cores)`);
  if (dt >= DT_NAMES.length) throw new DecodeError(index, `illegal data type ${dt}`);
  if (op === Op.VEC ? !(fn in VF_NAMES) : fn !== 0) throw new DecodeError(index, `illegal function ${fn}`);
  const fields = fieldsOf(op, fn);
  const a: Record<string, number> = {};
  const used = new Uint32Array(WORDS);
  for (const fl of fields) {
    const mask = fl.bits === 32 ? 0xffffffff : (1 << fl.bits) - 1;
    used[fl.word] = (used[fl.word] | (mask << fl.shift)) >>> 0;
    let v = fl.bits === 32 ? words[at + fl.word] : (words[at + fl.word] >>> fl.shift) & mask;
    if (fl.float) { u32buf[0] = v; v = f32buf[0]; }
    else if (fl.signed && v >= 2 ** (fl.bits - 1)) v -= 2 ** fl.bits;
    a[fl.name] = v;
  }
  for (let i = 1; i < WORDS; i++) if ((words[at + i] & ~used[i]) !== 0) throw new DecodeError(index, `unused bits set in word ${i}`);
  return { op, core, flags, dt, fn, a };
}

/** A program: header (magic, version, cores, count) then the instructions. */
export interface Binary { readonly cores: number; readonly instrs: readonly Instr[] }
const HEADER_WORDS = 4;

export function encodeProgram(p: Binary): Uint8Array {
  const words = new Uint32Array(HEADER_WORDS + p.instrs.length * WORDS);
  words.set([MAGIC, ISA_VERSION, p.cores, p.instrs.length]);
  p.instrs.forEach((ins, i) => encodeInto(ins, words, HEADER_WORDS + i * WORDS));
  return new Uint8Array(words.buffer);
}

/** Header check only; instructions are decoded one at a time by the simulator (so a trap names its index). */
export function readHeader(bytes: Uint8Array): { cores: number; count: number; words: Uint32Array } {
  if (bytes.byteLength < HEADER_WORDS * 4 || bytes.byteLength % 4) throw new DecodeError(-1, 'truncated header');
  const words = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (words[0] !== MAGIC) throw new DecodeError(-1, 'bad magic');
  if (words[1] !== ISA_VERSION) throw new DecodeError(-1, `unsupported ISA version ${words[1]} (this simulator runs ${ISA_VERSION})`);
  const cores = words[2], count = words[3];
  if (cores < 1 || cores > 16) throw new DecodeError(-1, `bad core count ${cores}`);
  if (words.length !== HEADER_WORDS + count * WORDS) throw new DecodeError(-1, `length does not match ${count} instructions`);
  return { cores, count, words: words.subarray(HEADER_WORDS) };
}

export function decodeProgram(bytes: Uint8Array): Binary {
  const { cores, count, words } = readHeader(bytes);
  const instrs: Instr[] = [];
  for (let i = 0; i < count; i++) instrs.push(decodeAt(words, i * WORDS, i, cores));
  return { cores, instrs };
}
