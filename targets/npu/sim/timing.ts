// The timing model, after ONNXim: per core a DMA-load queue, the array, the vector unit and a
// DMA-store queue, each in order; a scoreboard over scratchpad/accumulator/DRAM byte ranges lets an
// instruction start once what it reads is written (and what it overwrites is read). The array costs
// H (+2H−1 when cold) per weight preload and max(m,4) issue / H+W−2+max(m,4) latency per compute;
// vector ops ⌈n/lanes⌉ × latency; DMA moves 32-byte requests through DRAM channels with a fixed
// latency and each channel's bandwidth (a fluid model in time buckets, so cores share it fairly).
import type { NpuConfig } from '../config.ts';
import { Op, VF } from '../isa.ts';

export const UNITS = ['dma-load', 'array', 'vector', 'dma-store'] as const;
export type Unit = 0 | 1 | 2 | 3;
/** Memory spaces of the scoreboard. */
export const SPAD = 0, ACC = 1, DRAM = 2, REG = 3;

/** A byte range an instruction reads or writes. */
export interface Access { space: number; lo: number; hi: number; write: boolean }

/** `readDone`: when its reads are over (a compute has streamed A after max(m,4) cycles), for WAR hazards. */
interface Entry { acc: Access[]; done: number; readDone: number; unit: number }
const WINDOW = 96;
const BUCKET = 64;

export interface LayerTime { readonly start: number; end: number; macs: number }

export class Timing {
  readonly unitFree: Float64Array[];
  private readonly win: Entry[][];
  private readonly retired: Float64Array[];
  private readonly chUse: Float64Array[];
  private readonly reqCycles: number;
  private readonly memLatency: number;
  private arrayLastDone: number[];
  now = 0;
  macs = 0;
  arrayBusy = 0;
  dramBytes = 0;
  dramRequests = 0;
  readonly stalls: Record<string, number> = { 'wait dma-load': 0, 'wait array': 0, 'wait vector': 0, 'wait dma-store': 0 };
  readonly busy = new Float64Array(4);
  /** Debugging: called with every timed instruction. */
  trace?: (core: number, op: number, fn: number, start: number, done: number) => void;

  constructor(readonly cfg: NpuConfig) {
    this.unitFree = Array.from({ length: cfg.cores }, () => new Float64Array(4));
    this.win = Array.from({ length: cfg.cores }, () => []);
    this.retired = Array.from({ length: cfg.cores }, () => new Float64Array(8));
    this.chUse = Array.from({ length: cfg.dramChannels }, () => new Float64Array(1024));
    this.reqCycles = cfg.coreFreq / cfg.dramFreq;
    this.memLatency = cfg.dramLatency * this.reqCycles + 2 * cfg.icntLatency;
    this.arrayLastDone = new Array(cfg.cores).fill(0);
  }

  /** Earliest start allowed by the scoreboard, and which unit's result was waited for. */
  private ready(core: number, unit: number, acc: readonly Access[]): { t: number; by: number } {
    let t = 0, by = -1;
    const ret = this.retired[core];
    for (const a of acc) {
      const rt = a.write ? Math.max(ret[a.space * 2], ret[a.space * 2 + 1]) : ret[a.space * 2];
      if (rt > t) { t = rt; by = -1; }
    }
    for (const e of this.win[core]) {
      if (e.readDone <= t && e.done <= t) continue;
      // The array accumulates in pipeline order: computes into the same accumulator rows never wait for each other.
      const sameArray = unit === 1 && e.unit === 1;
      for (const p of e.acc) {
        if (sameArray && p.space === ACC) continue;
        let need = 0;
        for (const a of acc) {
          if (a.space !== p.space || a.lo >= p.hi || p.lo >= a.hi) continue;
          if (p.write) need = Math.max(need, e.done); else if (a.write) need = Math.max(need, e.readDone);
        }
        if (need > t) { t = need; by = e.unit; }
      }
    }
    return { t, by };
  }

  private record(core: number, unit: number, acc: Access[], done: number, readDone: number): void {
    const w = this.win[core];
    w.push({ acc, done, readDone, unit });
    if (w.length > WINDOW) {
      const old = w.shift()!;
      const ret = this.retired[core];
      for (const a of old.acc) { const k = a.space * 2 + (a.write ? 0 : 1); ret[k] = Math.max(ret[k], old.done); }
    }
  }

  /** DRAM: spreads `lines` (32-byte line indices, as runs) over channels from time t; returns completion. */
  private dram(t: number, runs: readonly number[], count: number): number {
    const ch = this.cfg.dramChannels, cap = BUCKET / this.reqCycles;
    const per = new Float64Array(ch);
    for (let i = 0; i < runs.length; i += 2) {
      const l0 = runs[i], L = runs[i + 1];
      const q = Math.floor(L / ch), r = L % ch;
      for (let c = 0; c < ch; c++) per[c] += q + (((c - (l0 % ch)) + ch) % ch < r ? 1 : 0);
    }
    let done = t;
    for (let c = 0; c < ch; c++) {
      let need = per[c];
      if (!need) continue;
      let b = Math.floor(t / BUCKET);
      let use = this.chUse[c];
      let end = t;
      while (need > 0) {
        if (b >= use.length) { const n = new Float64Array(use.length * 2); n.set(use); use = this.chUse[c] = n; }
        const take = Math.min(need, cap - use[b]);
        if (take > 0) { use[b] += take; need -= take; end = b * BUCKET + (use[b] / cap) * BUCKET; }
        b++;
      }
      done = Math.max(done, end);
    }
    this.dramRequests += count;
    return done + this.memLatency;
  }

  /** Times one instruction. `runs` are DMA line runs [firstLine, count, …]. Returns its completion time. */
  issue(core: number, op: number, fn: number, a: Readonly<Record<string, number>>, acc: Access[], runs: number[] | null, bytes: number): number {
    const c = this.cfg;
    const unit: Unit = op === Op.DMA_LD || op === Op.DMA_GATHER ? 0 : op === Op.DMA_ST ? 3 : op === Op.PRELOAD || op === Op.COMPUTE ? 1 : 2;
    const free = this.unitFree[core];
    const dep = this.ready(core, unit, acc);
    const start = Math.max(free[unit], dep.t, this.now);
    if (dep.t > free[unit] && dep.t > this.now && dep.by >= 0) this.stalls[`wait ${['dma-load', 'array', 'vector', 'dma-store'][dep.by]}`] += dep.t - Math.max(free[unit], this.now);
    let occupy: number, done: number;
    if (unit === 0 || unit === 3) {
      const count = runs ? runs.reduce((s, v, i) => (i & 1 ? s + v : s), 0) : 0;
      occupy = Math.ceil(count / c.dmaReqPerCycle);
      done = Math.max(this.dram(start, runs ?? [], count), start + occupy + this.memLatency);
      this.dramBytes += bytes;
    } else if (op === Op.PRELOAD) {
      const cold = this.arrayLastDone[core] <= start;
      occupy = c.H + (cold ? 2 * c.H - 1 : 0);
      done = start + occupy;
    } else if (op === Op.COMPUTE) {
      const m = Math.max(a.m, 4);
      occupy = m;
      done = start + c.H + c.W - 2 + m;
      this.arrayLastDone[core] = done;
      this.macs += a.m * a.k * (a.n ?? 0);
    } else if (op === Op.VEC) {
      occupy = vecCycles(c, fn, a);
      done = start + occupy;
    } else { occupy = 0; done = start; }
    free[unit] = start + occupy;
    this.busy[unit] += occupy;
    if (unit === 1) this.arrayBusy += occupy;
    this.record(core, unit, acc, done, op === Op.COMPUTE ? start + occupy : done);
    this.trace?.(core, op, fn, start, done);
    return done;
  }

  /** All cores wait for everything outstanding. */
  barrier(): number {
    let t = this.now;
    for (let k = 0; k < this.cfg.cores; k++) {
      for (const f of this.unitFree[k]) t = Math.max(t, f);
      for (const e of this.win[k]) t = Math.max(t, e.done);
      for (const r of this.retired[k]) t = Math.max(t, r);
    }
    for (let k = 0; k < this.cfg.cores; k++) { this.unitFree[k].fill(t); this.win[k].length = 0; this.retired[k].fill(t); }
    this.now = t;
    return t;
  }
}

export function vecCycles(c: NpuConfig, fn: number, a: Readonly<Record<string, number>>): number {
  const L = c.latency;
  const n = (x: number) => Math.max(1, Math.ceil(x / c.lanes));
  const rc = (a.rows ?? 0) * (a.cols ?? 0);
  switch (fn) {
    case VF.IM2COL: return n(a.kt * a.np) * L.add;
    case VF.POOLMAX: case VF.POOLAVG: return n(a.work ?? 0) * L.add; // work = output elements × window, from the simulator
    case VF.MUL: case VF.AFFINE: case VF.HSIGMOID: case VF.HSWISH: return n(rc) * L.mul;
    case VF.MAC: return n(rc) * L.mac;
    case VF.REQUANT: return n(rc) * (L.mul + L.add);
    case VF.DIV: case VF.RECIP: return n(rc) * L.div;
    case VF.EXP: case VF.SIGMOID: case VF.TANH: case VF.ERF: case VF.SWISH: case VF.LOG: case VF.POW: return n(rc) * L.exp;
    case VF.GELU: return n(rc) * L.gelu;
    case VF.SQRT: return n(rc) * L.sqrt;
    case VF.RSUM: case VF.RMAX: case VF.RMEAN: case VF.AMAX: return n(rc) * L.addTree;
    case VF.SOFTMAX: return n(rc) * (L.addTree * 2 + L.exp + L.div + L.add);
    case VF.LNORM: return n(rc) * (L.addTree * 2 + L.mul * 2 + L.add) + L.sqrt + L.div;
    default: return n(rc) * L.add;
  }
}
