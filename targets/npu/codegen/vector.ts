// Layers on the vector unit and the DMA engines: element-wise chains (with ONNX broadcasting done by
// zero-stride DMA reads), row-wise ops (softmax, layer norm, trailing-axis reductions), 2-D pooling,
// and pure data movement (transpose, concat, split, slice, expand, constant gather).
import { BCAST, VF } from '../isa.ts';
import type { Emitter } from './emitter.ts';
import { pieces, type View } from './pieces.ts';

/** A tensor in DRAM seen through a strided view of the output's index space. */
export interface Operand { readonly addr: number; readonly strides: readonly number[]; readonly dt?: 'f16' | 'i32' }

/** A step of an element-wise chain; operands are input indices, 'cur' (the running value) or an immediate. */
export type EwStep =
  | { kind: 'unary'; fn: number; a: number | 'cur'; imm0?: number; imm1?: number }
  | { kind: 'binary'; fn: number; a: number | 'cur'; b: number | 'cur' | { imm: number } }
  | { kind: 'sel'; c: number | 'cur'; a: number | 'cur'; b: number | 'cur' };

const ebytes = (dt?: 'f16' | 'i32') => (dt === 'i32' ? 4 : 2);

function splitCores(count: number, cores: number): number[] {
  return Array.from({ length: count }, (_, i) => i % cores);
}

/** A QuantizeLinear fused after a vector layer: the f16 result × inv, rounded, + zp, stored int8. */
export interface OutQuant { readonly inv: number; readonly zp: number }

export function emitElementwise(e: Emitter, shape: readonly number[], inputs: readonly Operand[], out: number, steps: readonly EwStep[], q?: OutQuant): void {
  const bufs = inputs.length + 1 + (q ? 1 : 0), oEb = q ? 1 : 2;
  const budget = Math.max(1, Math.floor(e.cfg.spadBytes / (2 * bufs * 2) / 32) * 32);
  const views: View[] = [{ base: 0, strides: contiguous(shape) }, ...inputs.map((o) => ({ base: 0, strides: o.strides }))];
  const all = [...pieces(shape, views, Math.min(budget, 65535))];
  const core = splitCores(all.length, e.cfg.cores);
  const slots = new Map<number, number[][]>();
  all.forEach((p, i) => {
    const c = core[i];
    if (!slots.has(c)) slots.set(c, [0, 1].map(() => Array.from({ length: bufs }, () => e.spad(c, Math.min(budget, maxElems(all)) * 2))));
    const s = slots.get(c)![(i / e.cfg.cores | 0) & 1];
    inputs.forEach((o, j) => e.load(c, 'f16', o.addr + p.offsets[j + 1] * 2, s[j + 1], p.n, p.s[j + 1]));
    const rows = p.n[1] * p.n[2], cols = p.n[0];
    const addr = (x: number | 'cur') => (x === 'cur' ? s[0] : s[x + 1]);
    for (const st of steps) {
      if (st.kind === 'unary') e.vec(c, st.fn, s[0], addr(st.a), rows, cols, { imm0: st.imm0, imm1: st.imm1 });
      else if (st.kind === 'sel') e.sel(c, s[0], addr(st.c), addr(st.a), addr(st.b), rows, cols);
      else if (typeof st.b === 'object') e.vec(c, st.fn, s[0], addr(st.a), rows, cols, { imm0: st.b.imm, bcast: BCAST.imm });
      else e.vec(c, st.fn, s[0], addr(st.a), rows, cols, { src1: addr(st.b) });
    }
    if (q) e.vec(c, VF.QUANT, s[bufs - 1], s[0], rows, cols, { imm0: q.inv, imm1: q.zp });
    e.store(c, q ? 'i8' : 'f16', out + p.offsets[0] * oEb, q ? s[bufs - 1] : s[0], p.n, p.s[0]);
  });
}

function maxElems(ps: readonly { elems: number }[]): number { return ps.reduce((a, p) => Math.max(a, p.elems), 1); }
export function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** Copies `shape` elements from a strided source view to a strided destination view, via the scratchpad. */
export function emitCopy(e: Emitter, shape: readonly number[], src: Operand, dst: Operand): void {
  const dt = src.dt ?? 'f16', eb = ebytes(dt);
  const budget = Math.max(32, Math.floor(e.cfg.spadBytes / (4 * eb) / 32) * 32);
  const all = [...pieces(shape, [{ base: 0, strides: src.strides }, { base: 0, strides: dst.strides }], Math.min(budget, 1 << 20))];
  const core = splitCores(all.length, e.cfg.cores);
  const slots = new Map<number, number[]>();
  all.forEach((p, i) => {
    const c = core[i];
    if (!slots.has(c)) slots.set(c, [e.spad(c, maxElems(all) * eb), e.spad(c, maxElems(all) * eb)]);
    const buf = slots.get(c)![(i / e.cfg.cores | 0) & 1];
    e.load(c, dt, src.addr + p.offsets[0] * eb, buf, p.n, p.s[0]);
    e.store(c, dt, dst.addr + p.offsets[1] * eb, buf, p.n, p.s[1]);
  });
}

export type RowOp =
  | { kind: 'softmax' }
  | { kind: 'reduce'; fn: number }
  | { kind: 'lnorm'; eps: number; scale: number; bias: number };

/** Row-wise ops over [rows × cols] (contiguous rows): softmax, layer norm (+ scale/bias over cols), reductions to [rows]. */
export function emitRows(e: Emitter, rows: number, cols: number, x: number, y: number, op: RowOp, q?: OutQuant): void {
  const budgetRows = Math.max(1, Math.min(65535, Math.floor(e.cfg.spadBytes / 8 / (cols * 2))));
  if (cols > 65535 || budgetRows < 1 || cols * 2 * 4 > e.cfg.spadBytes) throw new Error(`rows of ${cols} elements do not fit the scratchpad`);
  const tiles: { lo: number; n: number }[] = [];
  for (let lo = 0; lo < rows; lo += budgetRows) tiles.push({ lo, n: Math.min(budgetRows, rows - lo) });
  const per = Math.ceil(tiles.length / e.cfg.cores);
  const state = new Map<number, { slots: number[][]; sc: number; bi: number }>();
  tiles.forEach((t, i) => {
    const c = Math.floor(i / per);
    if (!state.has(c)) {
      const tr = Math.min(budgetRows, rows);
      const slots = [0, 1].map(() => [e.spad(c, tr * cols * 2), e.spad(c, tr * cols * 2)]);
      let sc = -1, bi = -1;
      if (op.kind === 'lnorm') {
        sc = e.spad(c, cols * 2); bi = e.spad(c, cols * 2);
        if (op.scale >= 0) e.load(c, 'f16', op.scale, sc, [cols], [1]);
        if (op.bias >= 0) e.load(c, 'f16', op.bias, bi, [cols], [1]);
      }
      state.set(c, { slots, sc, bi });
    }
    const st = state.get(c)!;
    const [inb, outb] = st.slots[i & 1];
    e.load(c, 'f16', x + t.lo * cols * 2, inb, [cols, t.n], [1, cols]);
    if (op.kind === 'softmax') e.vec(c, VF.SOFTMAX, outb, inb, t.n, cols);
    else if (op.kind === 'reduce') e.vec(c, op.fn, outb, inb, t.n, cols);
    else {
      e.vec(c, VF.LNORM, outb, inb, t.n, cols, { imm0: op.eps });
      if (op.scale >= 0) e.vec(c, VF.MUL, outb, outb, t.n, cols, { src1: st.sc, bcast: BCAST.col });
      if (op.bias >= 0) e.vec(c, VF.ADD, outb, outb, t.n, cols, { src1: st.bi, bcast: BCAST.col });
    }
    const outCols = op.kind === 'reduce' ? 1 : cols;
    // A fused QuantizeLinear writes its int8 over the input slot (read by now; the scoreboard orders it).
    if (q) e.vec(c, VF.QUANT, inb, outb, t.n, outCols, { imm0: q.inv, imm1: q.zp });
    e.store(c, q ? 'i8' : 'f16', y + t.lo * outCols * (q ? 1 : 2), q ? inb : outb, [outCols, t.n], [1, outCols]);
  });
}

export interface PoolGeom { planes: number; IH: number; IW: number; OH: number; OW: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; max: boolean; countPad: boolean }

export function emitPool(e: Emitter, g: PoolGeom, x: number, y: number, q?: OutQuant): void {
  const plane = (g.IH * g.IW + g.OH * g.OW) * 2;
  const per = Math.max(1, Math.min(65535, Math.floor(e.cfg.spadBytes / 2 / plane / 2)));
  if (plane * 2 > e.cfg.spadBytes) throw new Error('a pooling plane does not fit the scratchpad');
  const tiles: { lo: number; n: number }[] = [];
  const step = Math.min(per, Math.max(1, Math.ceil(g.planes / e.cfg.cores)));
  for (let lo = 0; lo < g.planes; lo += step) tiles.push({ lo, n: Math.min(step, g.planes - lo) });
  const slots = new Map<number, number[][]>();
  tiles.forEach((t, i) => {
    const c = i % e.cfg.cores;
    if (!slots.has(c)) {
      e.cfgConv(c, { c: 0, ih: g.IH, iw: g.IW, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw, pt: g.pt, pl: g.pl, oh: g.OH, ow: g.OW, cpad: g.countPad ? 1 : 0 });
      slots.set(c, [0, 1].map(() => [e.spad(c, step * g.IH * g.IW * 2), e.spad(c, step * g.OH * g.OW * 2)]));
    }
    const [inb, outb] = slots.get(c)![(i / e.cfg.cores | 0) & 1];
    e.load(c, 'f16', x + t.lo * g.IH * g.IW * 2, inb, [g.IW, g.IH, t.n], [1, g.IW, g.IH * g.IW]);
    e.pool(c, g.max, outb, inb, t.n);
    if (q) e.vec(c, VF.QUANT, inb, outb, t.n * g.OH, g.OW, { imm0: q.inv, imm1: q.zp });
    e.store(c, q ? 'i8' : 'f16', y + t.lo * g.OH * g.OW * (q ? 1 : 2), q ? inb : outb, [g.OW, g.OH, t.n], [1, g.OW, g.OH * g.OW]);
  });
}
