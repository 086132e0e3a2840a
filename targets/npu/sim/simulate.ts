// The simulator: decodes the binary one instruction at a time (the encoded words, never the code
// generator's objects), executes it on real data when `functional` is on, and always times it.
// Any instruction the hardware could not run traps with its index and the reason.
import type { NpuConfig } from '../config.ts';
import { DT_BYTES, Op, SCALE_REGS, WORDS, decodeAt, readHeader, DecodeError, type Instr } from '../isa.ts';
import { bf16BitsToF32 } from '../../../src/util/float16.ts';
import { F16, Memory, Trap } from './memory.ts';
import { Timing, SPAD, ACC, DRAM, type Access, UNITS } from './timing.ts';
import { execVec, type Geometry } from './exec-vec.ts';

export interface SimOptions {
  /** Execute on data (else timing only: no memories are allocated). */
  readonly functional: boolean;
  /** DRAM size in bytes; DRAM is initialized by `init` in functional mode. */
  readonly dramBytes: number;
  readonly init?: (dram: Memory) => void;
  /** Runs host fallback `id` on DRAM between barriers. */
  readonly host?: (id: number, dram: Memory) => void;
  /** Instruction budget (guards fuzzed programs that never halt). */
  readonly maxInstrs?: number;
  readonly trace?: Timing['trace'];
}

export interface LayerStats { readonly index: number; readonly start: number; readonly cycles: number; readonly macs: number }

export interface SimResult {
  readonly cycles: number;
  readonly instructions: number;
  readonly macs: number;
  readonly utilization: number;
  readonly dramBytes: number;
  readonly dramRequests: number;
  readonly stalls: Readonly<Record<string, number>>;
  readonly unitBusy: Readonly<Record<string, number>>;
  /** Cycles between consecutive barriers (one entry per barrier). */
  readonly phases: readonly LayerStats[];
  readonly hostCalls: number;
  readonly dram?: Memory;
}

export function simulate(bin: Uint8Array, cfg: NpuConfig, o: SimOptions): SimResult {
  let hdr;
  try { hdr = readHeader(bin); } catch (e) { throw e instanceof DecodeError ? new Trap(-1, e.message) : e; }
  if (hdr.cores !== cfg.cores) throw new Trap(-1, `binary is for ${hdr.cores} cores, the configuration has ${cfg.cores}`);
  const fn = o.functional;
  const dram = new Memory('DRAM', o.dramBytes, fn);
  if (fn) o.init?.(dram);
  const spad = Array.from({ length: cfg.cores }, (_, i) => new Memory(`core ${i} scratchpad`, cfg.spadBytes, fn));
  const accm = Array.from({ length: cfg.cores }, (_, i) => new Memory(`core ${i} accumulator`, cfg.accBytes, fn));
  const geom: (Geometry | null)[] = new Array(cfg.cores).fill(null);
  const regs = Array.from({ length: cfg.cores }, () => new Float64Array(SCALE_REGS));
  const weights: ({ k: number; n: number; v: Float64Array } | null)[] = new Array(cfg.cores).fill(null);
  const t = new Timing(cfg);
  t.trace = o.trace;
  const phases: LayerStats[] = [];
  let phaseStart = 0, phaseMacs = 0, hostCalls = 0;
  const max = o.maxInstrs ?? 50_000_000;
  let i = 0;
  for (;; i++) {
    if (i >= hdr.count) throw new Trap(i, 'ran past the end of the program without HALT');
    if (i >= max) throw new Trap(i, 'instruction budget exhausted');
    let ins: Instr;
    try { ins = decodeAt(hdr.words, i * WORDS, i, cfg.cores); } catch (e) { throw e instanceof DecodeError ? new Trap(i, e.message.replace(/^instruction \d+: /, '')) : e; }
    const a = ins.a, core = ins.core;
    if (ins.op === Op.HALT) { t.barrier(); break; }
    if (ins.op === Op.BARRIER) {
      const now = t.barrier();
      phases.push({ index: i, start: phaseStart, cycles: now - phaseStart, macs: t.macs - phaseMacs });
      phaseStart = now; phaseMacs = t.macs;
      continue;
    }
    if (ins.op === Op.HOST) {
      t.barrier();
      if (fn) { if (!o.host) throw new Trap(i, 'HOST without a host runtime'); o.host(a.id, dram); }
      hostCalls++;
      continue;
    }
    if (ins.op === Op.NOP) continue;
    if (ins.op === Op.CFG) {
      if (!a.kh || !a.kw || !a.sh || !a.sw || !a.dh || !a.dw || !a.iw || !a.ih || !a.oh || !a.ow) throw new Trap(i, 'CFG with a zero size');
      geom[core] = { ...a } as unknown as Geometry;
      continue;
    }
    const eb = DT_BYTES[ins.dt];
    const accs: Access[] = [];
    let runs: number[] | null = null, bytes = 0;
    let timingArgs: Readonly<Record<string, number>> = a;
    switch (ins.op) {
      case Op.DMA_LD: case Op.DMA_ST: {
        const load = ins.op === Op.DMA_LD;
        const n0 = a.n0, n1 = a.n1, n2 = a.n2;
        if (!n0 || !n1 || !n2) throw new Trap(i, 'DMA with a zero count');
        const elems = n0 * n1 * n2;
        const padded = a.pl0 + a.ph0 + a.pl1 + a.ph1 > 0;
        if (padded && !load) throw new Trap(i, 'padding on a DMA store');
        // The DRAM side is the window inside the padding; `dram` addresses its first element.
        const w: Record<string, number> = { ...a, n0: n0 - a.pl0 - a.ph0, n1: n1 - a.pl1 - a.ph1 };
        const sp = spad[core];
        sp.range(a.spad, a.spad + elems * eb, eb, i, load ? 'DMA load' : 'DMA store');
        accs.push({ space: SPAD, lo: a.spad, hi: a.spad + elems * eb, write: load });
        if (w.n0 > 0 && w.n1 > 0) {
          let lo = w.dram, hi = w.dram + eb;
          for (const [n, s] of [[w.n0, a.s0], [w.n1, a.s1], [n2, a.s2]]) { const d = (n - 1) * s * eb; if (d < 0) lo += d; else hi += d; }
          dram.range(lo, hi, eb, i, load ? 'DMA load' : 'DMA store');
          accs.push({ space: DRAM, lo, hi, write: !load });
          runs = dmaRuns(w, eb, cfg.dramReqSize);
          bytes = w.n0 * w.n1 * n2 * eb;
        } else runs = [];
        if (fn) { if (padded) dmaPadded(dram, sp, a, eb, i); else dmaMove(dram, sp, a, eb, load, i); }
        break;
      }
      case Op.DMA_GATHER: {
        const { count, n0, rows, stride } = a;
        if (!count || !n0 || !rows) throw new Trap(i, 'gather with a zero count');
        const sp = spad[core];
        sp.range(a.idx, a.idx + count * 4, 4, i, 'gather indices');
        sp.range(a.spad, a.spad + count * n0 * eb, eb, i, 'gather');
        const hi = a.dram + ((rows - 1) * stride + n0) * eb;
        dram.range(a.dram, hi, eb, i, 'gather');
        accs.push({ space: SPAD, lo: a.idx, hi: a.idx + count * 4, write: false }, { space: SPAD, lo: a.spad, hi: a.spad + count * n0 * eb, write: true },
          { space: DRAM, lo: a.dram, hi, write: false });
        // Which rows are read is data; the timing model (which runs without data) costs row j as if it
        // were table row j, so functional and timing-only runs agree.
        runs = [];
        for (let j = 0; j < count; j++) {
          const base = a.dram + (j % rows) * stride * eb, l0 = Math.floor(base / cfg.dramReqSize);
          runs.push(l0, Math.floor((base + n0 * eb - 1) / cfg.dramReqSize) - l0 + 1);
        }
        bytes = count * n0 * eb;
        if (fn) dmaGather(dram, sp, a, eb, i);
        break;
      }
      case Op.PRELOAD: {
        const { k, n, stride } = a;
        if (!k || !n || k > cfg.H || n > cfg.W) throw new Trap(i, `preload of ${k}x${n} on a ${cfg.H}x${cfg.W} array`);
        if (stride < n) throw new Trap(i, 'preload row stride shorter than the row');
        const end = a.spad + ((k - 1) * stride + n) * eb;
        spad[core].range(a.spad, end, eb, i, 'preload');
        accs.push({ space: SPAD, lo: a.spad, hi: end, write: false });
        if (fn) weights[core] = { k, n, v: readMatrix(spad[core], a.spad, k, n, stride, ins.dt, i) };
        else weights[core] = { k, n, v: new Float64Array(0) };
        break;
      }
      case Op.COMPUTE: {
        const w = weights[core];
        if (!w) throw new Trap(i, 'compute with no preloaded weights');
        const { m, k, astride, cstride } = a;
        if (!m || k !== w.k) throw new Trap(i, `compute k=${k} does not match the preloaded tile (k=${w.k})`);
        if (astride < k || cstride < w.n) throw new Trap(i, 'compute row stride shorter than the row');
        const aEnd = a.spad + ((m - 1) * astride + k) * eb, cEnd = a.acc + ((m - 1) * cstride + w.n) * 4;
        spad[core].range(a.spad, aEnd, eb, i, 'compute A');
        accm[core].range(a.acc, cEnd, 4, i, 'compute C');
        accs.push({ space: SPAD, lo: a.spad, hi: aEnd, write: false }, { space: ACC, lo: a.acc, hi: cEnd, write: true });
        timingArgs = { m, k, n: w.n };
        if (fn) gemm(spad[core], accm[core], a, w, ins.dt, (ins.flags & 1) === 1, i);
        break;
      }
      case Op.VEC: {
        const r = execVec(ins, i, spad[core], accm[core], geom[core], fn, regs[core]);
        accs.push(...r.accs);
        if (r.work !== undefined) timingArgs = { ...a, work: r.work };
        break;
      }
      default: throw new Trap(i, `opcode ${ins.op} cannot execute`);
    }
    t.issue(core, ins.op, ins.fn, timingArgs, accs, runs, bytes);
  }
  phases.push({ index: i, start: phaseStart, cycles: t.now - phaseStart, macs: t.macs - phaseMacs });
  const cycles = t.now;
  return {
    cycles, instructions: i + 1, macs: t.macs,
    utilization: cycles ? t.macs / (cycles * cfg.cores * cfg.H * cfg.W) : 0,
    dramBytes: t.dramBytes, dramRequests: t.dramRequests, stalls: t.stalls,
    unitBusy: Object.fromEntries(UNITS.map((u, k) => [u, t.busy[k]])), phases, hostCalls,
    ...(fn ? { dram } : {}),
  };
}

/** DRAM line runs [first line, count, …] of a DMA pattern: contiguous rows coalesce into 32-byte requests. */
function dmaRuns(a: Readonly<Record<string, number>>, eb: number, line: number): number[] {
  const runs: number[] = [];
  const rowBytes = a.n0 * eb;
  for (let i2 = 0; i2 < a.n2; i2++) {
    for (let i1 = 0; i1 < a.n1; i1++) {
      const base = a.dram + (i1 * a.s1 + i2 * a.s2) * eb;
      if (a.s0 === 1 || a.n0 === 1) { const l0 = Math.floor(base / line); runs.push(l0, Math.floor((base + rowBytes - 1) / line) - l0 + 1); }
      else if (a.s0 === 0) runs.push(Math.floor(base / line), 1);
      else if (Math.abs(a.s0) * eb >= line) { for (let j = 0; j < a.n0; j++) runs.push(Math.floor((base + j * a.s0 * eb) / line), 1); }
      else { const lo = Math.min(base, base + (a.n0 - 1) * a.s0 * eb); const l0 = Math.floor(lo / line); runs.push(l0, Math.floor((lo + Math.abs(a.s0) * eb * (a.n0 - 1) + eb - 1) / line) - l0 + 1); }
    }
  }
  return runs;
}

function dmaMove(dram: Memory, sp: Memory, a: Readonly<Record<string, number>>, eb: number, load: boolean, i: number): void {
  let s = a.spad;
  for (let i2 = 0; i2 < a.n2; i2++) {
    for (let i1 = 0; i1 < a.n1; i1++) {
      let d = a.dram + (i1 * a.s1 + i2 * a.s2) * eb;
      if (a.s0 === 1) {
        const n = a.n0 * eb;
        if (load) { dram.checkWritten(d, d + n, i, 'DMA load'); sp.u8.set(dram.u8.subarray(d, d + n), s); sp.mark(s, s + n); }
        else { sp.checkWritten(s, s + n, i, 'DMA store'); dram.u8.set(sp.u8.subarray(s, s + n), d); dram.mark(d, d + n); }
        s += n;
        continue;
      }
      for (let i0 = 0; i0 < a.n0; i0++, s += eb, d += a.s0 * eb) {
        const [src, dst, so, dO] = load ? [dram, sp, d, s] : [sp, dram, s, d];
        if (src.valid[so] === 0) src.checkWritten(so, so + eb, i, load ? 'DMA load' : 'DMA store');
        for (let b = 0; b < eb; b++) dst.u8[dO + b] = src.u8[so + b];
        dst.mark(dO, dO + eb);
      }
    }
  }
}

function dmaGather(dram: Memory, sp: Memory, a: Readonly<Record<string, number>>, eb: number, i: number): void {
  sp.checkWritten(a.idx, a.idx + a.count * 4, i, 'gather indices');
  const rowBytes = a.n0 * eb;
  for (let j = 0; j < a.count; j++) {
    const v = sp.i32[(a.idx >> 2) + j], r = v < 0 ? v + a.rows : v;
    if (r < 0 || r >= a.rows) throw new Trap(i, `gather index ${v} outside a table of ${a.rows} rows`);
    const d = a.dram + r * a.stride * eb, s = a.spad + j * rowBytes;
    dram.checkWritten(d, d + rowBytes, i, 'gather');
    sp.u8.set(dram.u8.subarray(d, d + rowBytes), s);
  }
  sp.mark(a.spad, a.spad + a.count * rowBytes);
}

function dmaPadded(dram: Memory, sp: Memory, a: Readonly<Record<string, number>>, eb: number, i: number): void {
  let s = a.spad;
  for (let i2 = 0; i2 < a.n2; i2++) for (let i1 = 0; i1 < a.n1; i1++) for (let i0 = 0; i0 < a.n0; i0++, s += eb) {
    if (i0 < a.pl0 || i0 >= a.n0 - a.ph0 || i1 < a.pl1 || i1 >= a.n1 - a.ph1) { sp.u8.fill(0, s, s + eb); continue; }
    const d = a.dram + ((i0 - a.pl0) * a.s0 + (i1 - a.pl1) * a.s1 + i2 * a.s2) * eb;
    if (dram.valid[d] === 0) dram.checkWritten(d, d + eb, i, 'DMA load');
    for (let b = 0; b < eb; b++) sp.u8[s + b] = dram.u8[d + b];
  }
  sp.mark(a.spad, s);
}

/** Reads a rows×cols matrix of `dt` elements from the scratchpad into doubles. */
export function readMatrix(m: Memory, addr: number, rows: number, cols: number, stride: number, dt: number, i: number): Float64Array {
  const out = new Float64Array(rows * cols);
  const eb = DT_BYTES[dt];
  for (let r = 0; r < rows; r++) {
    const base = addr + r * stride * eb;
    m.checkWritten(base, base + cols * eb, i, 'read');
    for (let c = 0; c < cols; c++) out[r * cols + c] = readElem(m, base + c * eb, dt);
  }
  return out;
}

export function readElem(m: Memory, at: number, dt: number): number {
  switch (dt) {
    case 0: return F16[m.u16[at >> 1]];
    case 1: return m.i8[at];
    case 2: return m.f32[at >> 2];
    case 3: return m.i32[at >> 2];
    default: return bf16BitsToF32(m.u16[at >> 1]);
  }
}

function gemm(sp: Memory, acc: Memory, a: Readonly<Record<string, number>>, w: { k: number; n: number; v: Float64Array }, dt: number, accumulate: boolean, i: number): void {
  const A = readMatrix(sp, a.spad, a.m, a.k, a.astride, dt, i);
  const int = dt === 1;
  const { k: K, n: N, v: W } = w;
  for (let r = 0; r < a.m; r++) {
    const cRow = (a.acc >> 2) + r * a.cstride;
    if (accumulate) acc.checkWritten(a.acc + r * a.cstride * 4, a.acc + (r * a.cstride + N) * 4, i, 'accumulate');
    for (let c = 0; c < N; c++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[r * K + k] * W[k * N + c];
      if (int) acc.i32[cRow + c] = accumulate ? (acc.i32[cRow + c] + s) | 0 : s | 0;
      else acc.f32[cRow + c] = accumulate ? acc.f32[cRow + c] + Math.fround(s) : s;
    }
    acc.mark(a.acc + r * a.cstride * 4, a.acc + (r * a.cstride + N) * 4);
  }
}
