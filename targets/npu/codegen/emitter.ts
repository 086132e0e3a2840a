// Instruction building for the code generator: typed helpers per opcode, per-core scratchpad and
// accumulator bump allocators (reset at every layer boundary, which is a barrier), and the layer table
// the simulator reports cycles against.
import type { NpuConfig } from '../config.ts';
import { BCAST, DT, type Instr, Op, VF } from '../isa.ts';

export interface Layer { readonly name: string; readonly ops: readonly string[]; readonly kind: string; readonly first: number; last: number; readonly precision?: string }

export class SpaceError extends Error {}

export class Emitter {
  readonly instrs: Instr[] = [];
  readonly comments = new Map<number, string>();
  readonly layers: Layer[] = [];
  private spadTop: number[];
  private accTop: number[];
  constructor(readonly cfg: NpuConfig) {
    this.spadTop = new Array(cfg.cores).fill(0);
    this.accTop = new Array(cfg.cores).fill(0);
  }

  private perCore: Instr[][] | null = null;

  private push(op: number, core: number, dt: number, a: Record<string, number>, fn = 0, flags = 0): void {
    const ins = { op, core, dt, fn, flags, a };
    if (this.perCore) this.perCore[core].push(ins); else this.instrs.push(ins);
  }

  /** Emits `body` with each core's instructions interleaved round-robin: cores run independently within
   *  a layer, so the order is free, and keeping the stream close to time order keeps the simulator's
   *  shared-DRAM accounting fair between cores. */
  interleaved(body: () => void): void {
    this.perCore = Array.from({ length: this.cfg.cores }, () => []);
    try { body(); } finally { this.flush(); this.perCore = null; }
  }

  private flush(): void {
    const q = this.perCore!;
    const at = new Array(q.length).fill(0);
    for (let left = q.reduce((a, x) => a + x.length, 0); left > 0;) {
      for (let c = 0; c < q.length; c++) if (at[c] < q[c].length) { this.instrs.push(q[c][at[c]++]); left--; }
    }
    for (const x of q) x.length = 0;
  }

  /** A barrier inside a layer: what any core wrote to DRAM before it is visible to every core after it
   *  (the cores touch disjoint DRAM between barriers). */
  sync(): void {
    if (this.perCore) this.flush();
    this.instrs.push({ op: Op.BARRIER, core: 0, dt: 0, fn: 0, flags: 0, a: {} });
  }

  beginLayer(name: string, ops: readonly string[], kind: string, precision?: string): void {
    this.comments.set(this.instrs.length, `layer ${name} (${kind}${precision ? `, ${precision}` : ''}): ${ops.join(', ')}`);
    this.layers.push({ name, ops, kind, first: this.instrs.length, last: this.instrs.length, ...(precision ? { precision } : {}) });
    this.spadTop.fill(0);
    this.accTop.fill(0);
  }
  endLayer(): void {
    this.barrier();
    this.layers[this.layers.length - 1].last = this.instrs.length;
  }

  /** Bytes of scratchpad on `core`, 32-byte aligned; throws SpaceError when full. */
  spad(core: number, bytes: number): number {
    const at = this.spadTop[core];
    const end = at + Math.ceil(bytes / 32) * 32;
    if (end > this.cfg.spadBytes) throw new SpaceError(`scratchpad full (${end} > ${this.cfg.spadBytes})`);
    this.spadTop[core] = end;
    return at;
  }
  acc(core: number, bytes: number): number {
    const at = this.accTop[core];
    const end = at + Math.ceil(bytes / 32) * 32;
    if (end > this.cfg.accBytes) throw new SpaceError(`accumulator full (${end} > ${this.cfg.accBytes})`);
    this.accTop[core] = end;
    return at;
  }
  /** Runs `body` and then frees every scratchpad/accumulator allocation it made (on all cores); the
   *  scoreboard orders reuse of the space after the instructions that used it. */
  scoped(body: () => void): void {
    const sp = [...this.spadTop], ac = [...this.accTop];
    try { body(); } finally { this.spadTop = sp; this.accTop = ac; }
  }
  /** Releases allocations made after `mark` (scoped temporaries). */
  spadMark(core: number): number { return this.spadTop[core]; }
  spadRelease(core: number, mark: number): void { this.spadTop[core] = mark; }

  barrier(): void { this.push(Op.BARRIER, 0, 0, {}); }
  halt(): void { this.push(Op.HALT, 0, 0, {}); }
  host(id: number): void { this.push(Op.HOST, 0, 0, { id }); }
  cfgConv(core: number, g: { c: number; ih: number; iw: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; oh: number; ow: number; cpad?: number }): void {
    this.push(Op.CFG, core, 0, { cpad: 0, ...g });
  }

  /** DRAM (3-D element pattern, strides in elements) → contiguous scratchpad; `pad` = zero positions
   *  [before, after] on dims 0 and 1 (`dram` addresses the first element inside the padding). */
  load(core: number, dt: keyof typeof DT, dram: number, spad: number, n: readonly number[], s: readonly number[], pad?: readonly [number, number, number, number]): void {
    const p = pad ?? [0, 0, 0, 0];
    this.push(Op.DMA_LD, core, DT[dt], { ...dmaFields(dram, spad, n, s), pl0: p[0], ph0: p[1], pl1: p[2], ph1: p[3] });
  }
  store(core: number, dt: keyof typeof DT, dram: number, spad: number, n: readonly number[], s: readonly number[]): void {
    this.push(Op.DMA_ST, core, DT[dt], dmaFields(dram, spad, n, s));
  }
  /** Rows idx[j] (i32 at scratchpad `idx`) of a DRAM table (`rows` rows, `stride` elements apart) → contiguous scratchpad. */
  gather(core: number, dt: keyof typeof DT, dram: number, spad: number, idx: number, count: number, n0: number, rows: number, stride: number): void {
    this.push(Op.DMA_GATHER, core, DT[dt], { dram, spad, idx, count, n0, rows, stride });
  }
  preload(core: number, dt: keyof typeof DT, spad: number, k: number, n: number, stride: number): void {
    this.push(Op.PRELOAD, core, DT[dt], { spad, k, n, stride });
  }
  compute(core: number, dt: keyof typeof DT, spad: number, acc: number, m: number, k: number, astride: number, cstride: number, accumulate: boolean): void {
    this.push(Op.COMPUTE, core, DT[dt], { spad, acc, m, k, astride, cstride }, 0, accumulate ? 1 : 0);
  }
  /** A vector op over a contiguous rows×cols block. */
  vec(core: number, fn: number, dst: number, src0: number, rows: number, cols: number,
    o: { src1?: number; imm0?: number; imm1?: number; bcast?: number; dt?: keyof typeof DT; flags?: number } = {}): void {
    this.push(Op.VEC, core, DT[o.dt ?? 'f16'], {
      dst, src0, rows, cols, src1: o.src1 ?? 0, imm0: Math.fround(o.imm0 ?? 0), imm1: Math.fround(o.imm1 ?? 0), bcast: o.bcast ?? BCAST.full,
    }, fn, o.flags ?? 0);
  }
  /** scale register `reg` = max(reg, max|x|) over a block (reset first when `reset`). */
  amax(core: number, reg: number, src: number, rows: number, cols: number, reset: boolean): void {
    this.push(Op.VEC, core, DT.f16, { dst: reg, src0: src, rows, cols, src1: 0, imm0: 0, imm1: 0, bcast: 0 }, VF.AMAX, reset ? 1 : 0);
  }
  sel(core: number, dst: number, cond: number, a: number, b: number, rows: number, cols: number): void {
    this.push(Op.VEC, core, DT.f16, { dst, src0: cond, src1: a, src2: b, rows, cols }, VF.SEL);
  }
  /** GEMM operand rows from an input patch; i8 patches pad with `pad` (the input's zero point). */
  im2col(core: number, dst: number, src: number, k0: number, kt: number, p0: number, np: number, y0: number, prows: number, pch: number, transposed: boolean,
    dt: 'f16' | 'i8' = 'f16', pad = 0): void {
    this.push(Op.VEC, core, DT[dt], { dst, src, k0, kt, p0, np, y0, prows, pch, pad }, VF.IM2COL, transposed ? 1 : 0);
  }
  pool(core: number, max: boolean, dst: number, src: number, ch: number): void {
    this.push(Op.VEC, core, DT.f16, { dst, src, ch }, max ? VF.POOLMAX : VF.POOLAVG);
  }
}

function dmaFields(dram: number, spad: number, n: readonly number[], s: readonly number[]): Record<string, number> {
  return { dram, spad, n0: n[0] ?? 1, n1: n[1] ?? 1, n2: n[2] ?? 1, pl0: 0, ph0: 0, pl1: 0, ph1: 0, s0: s[0] ?? 0, s1: s[1] ?? 0, s2: s[2] ?? 0 };
}
