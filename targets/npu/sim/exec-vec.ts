// VEC instructions: operand ranges (for bounds checks and the scoreboard) and, in functional mode,
// their effect on the scratchpad.
import { BCAST, BINARY_FNS, SCALE_REGS, type Instr, VF } from '../isa.ts';
import { type Memory, Trap, F16, toF16 } from './memory.ts';
import { SPAD, ACC, REG, type Access } from './timing.ts';
import { binary, rowOp, unary } from './vector.ts';

export interface Geometry { c: number; ih: number; iw: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; oh: number; ow: number; cpad: number }

function readF16(m: Memory, addr: number, n: number, i: number): Float64Array {
  m.checkWritten(addr, addr + n * 2, i, 'vector read');
  const out = new Float64Array(n), b = addr >> 1;
  for (let k = 0; k < n; k++) out[k] = F16[m.u16[b + k]];
  return out;
}
function writeF16(m: Memory, addr: number, v: ArrayLike<number>): void {
  const b = addr >> 1;
  for (let k = 0; k < v.length; k++) m.u16[b + k] = toF16(v[k]);
  m.mark(addr, addr + v.length * 2);
}

export function execVec(ins: Instr, i: number, sp: Memory, acc: Memory, g: Geometry | null, fn: boolean, regs: Float64Array): { accs: Access[]; work?: number } {
  const a = ins.a, f = ins.fn;
  const accs: Access[] = [];
  const use = (m: Memory, space: number, lo: number, bytes: number, write: boolean, align = 2) => {
    m.range(lo, lo + bytes, align, i, `vec.${f}`);
    accs.push({ space, lo, hi: lo + bytes, write });
  };
  if (f === VF.IM2COL) {
    if (!g) throw new Trap(i, 'im2col before CFG');
    const K = a.pch * g.kh * g.kw;
    if (!a.kt || !a.np || a.k0 + a.kt > K || a.p0 + a.np > g.oh * g.ow) throw new Trap(i, 'im2col range outside the configured convolution');
    use(sp, SPAD, a.src, a.pch * a.prows * g.iw * 2, false);
    use(sp, SPAD, a.dst, a.kt * a.np * 2, true);
    if (fn) im2col(sp, a, g, (ins.flags & 1) === 1, i);
    return { accs };
  }
  if (f === VF.POOLMAX || f === VF.POOLAVG) {
    if (!g) throw new Trap(i, 'pool before CFG');
    if (!a.ch) throw new Trap(i, 'pool of zero planes');
    use(sp, SPAD, a.src, a.ch * g.ih * g.iw * 2, false);
    use(sp, SPAD, a.dst, a.ch * g.oh * g.ow * 2, true);
    if (fn) pool(sp, a, g, f === VF.POOLMAX, i);
    return { accs, work: a.ch * g.oh * g.ow * g.kh * g.kw };
  }
  const rows = a.rows, cols = a.cols, n = rows * cols;
  if (!n) throw new Trap(i, 'vector op on an empty block');
  /** Scale from registers named by src1 (bcast=reg): quant reads one index, mvout up to two (index+1 per nibble). */
  const regScale = (multi: boolean): number => {
    if (a.bcast !== BCAST.reg) return 1;
    const ids = multi ? [(a.src1 & 15) - 1, ((a.src1 >> 4) & 15) - 1].filter((r) => r >= 0) : [a.src1];
    if ((multi && a.src1 >> 8) || ids.some((r) => r >= SCALE_REGS)) throw new Trap(i, `bad scale register in ${a.src1}`);
    for (const r of ids) accs.push({ space: REG, lo: r, hi: r + 1, write: false });
    return ids.reduce((p, r) => p * (Math.max(regs[r], 1e-30) / 127), 1);
  };
  if (f === VF.AMAX) {
    if (ins.dt !== 0 || a.dst >= SCALE_REGS) throw new Trap(i, `amax into scale register ${a.dst}`);
    use(sp, SPAD, a.src0, n * 2, false);
    accs.push({ space: REG, lo: a.dst, hi: a.dst + 1, write: true });
    if (fn) {
      let m = ins.flags & 1 ? 0 : regs[a.dst];
      for (const v of readF16(sp, a.src0, n, i)) m = Math.max(m, Math.abs(v));
      regs[a.dst] = m;
    }
    return { accs };
  }
  if (f === VF.MVOUT) {
    if (ins.dt !== 2 && ins.dt !== 3) throw new Trap(i, 'mvout reads f32 or i32 accumulators');
    if (a.bcast !== BCAST.full && a.bcast !== BCAST.reg) throw new Trap(i, 'mvout scale mode');
    use(acc, ACC, a.src0, n * 4, false, 4);
    use(sp, SPAD, a.dst, n * 2, true);
    const sc = a.imm0 * regScale(true);
    if (fn) {
      acc.checkWritten(a.src0, a.src0 + n * 4, i, 'mvout');
      const v = new Float64Array(n), b = a.src0 >> 2;
      for (let k = 0; k < n; k++) v[k] = (ins.dt === 3 ? acc.i32[b + k] : acc.f32[b + k]) * sc;
      writeF16(sp, a.dst, v);
    }
    return { accs };
  }
  if (ins.dt !== 0) throw new Trap(i, `vector function ${f} works on f16`);
  if (f === VF.QUANT) {
    use(sp, SPAD, a.src0, n * 2, false);
    use(sp, SPAD, a.dst, n, true, 1);
    if (a.bcast !== BCAST.full && a.bcast !== BCAST.reg) throw new Trap(i, 'quant scale mode');
    const q = a.bcast === BCAST.reg ? 1 / regScale(false) : a.imm0;
    if (fn) {
      const v = readF16(sp, a.src0, n, i);
      for (let k = 0; k < n; k++) sp.i8[a.dst + k] = Math.max(-127, Math.min(127, Math.round(v[k] * q)));
      sp.mark(a.dst, a.dst + n);
    }
    return { accs };
  }
  const red = f === VF.RSUM || f === VF.RMAX || f === VF.RMEAN;
  use(sp, SPAD, a.src0, n * 2, false);
  use(sp, SPAD, a.dst, (red ? rows : n) * 2, true);
  if (f === VF.SEL) {
    use(sp, SPAD, a.src1, n * 2, false); use(sp, SPAD, a.src2, n * 2, false);
    if (fn) {
      const c = readF16(sp, a.src0, n, i), x = readF16(sp, a.src1, n, i), y = readF16(sp, a.src2, n, i);
      writeF16(sp, a.dst, c.map((v, k) => (v !== 0 ? x[k] : y[k])));
    }
    return { accs };
  }
  if (f === VF.TRANSPOSE) {
    if (fn) {
      const x = readF16(sp, a.src0, n, i), o = new Float64Array(n);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = x[r * cols + c];
      writeF16(sp, a.dst, o);
    }
    return { accs };
  }
  if (red || f === VF.SOFTMAX || f === VF.LNORM) {
    if (fn) writeF16(sp, a.dst, rowOp(f, readF16(sp, a.src0, n, i), rows, cols, a.imm0));
    return { accs };
  }
  if (BINARY_FNS.has(f)) {
    const bc = a.bcast;
    const len = bc === BCAST.full ? n : bc === BCAST.row ? rows : bc === BCAST.col ? cols : bc === BCAST.scalar ? 1 : 0;
    if (bc > BCAST.imm) throw new Trap(i, `bad broadcast mode ${bc}`);
    if (len) use(sp, SPAD, a.src1, len * 2, false);
    const mac = f === VF.MAC;
    if (mac) use(sp, SPAD, a.dst, n * 2, false);
    if (fn) {
      const old = mac ? readF16(sp, a.dst, n, i) : null;
      const x = readF16(sp, a.src0, n, i), y = len ? readF16(sp, a.src1, len, i) : null, op = binary(f)!;
      const o = new Float64Array(n);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
        const k = r * cols + c;
        const b = bc === BCAST.full ? y![k] : bc === BCAST.row ? y![r] : bc === BCAST.col ? y![c] : bc === BCAST.scalar ? y![0] : a.imm0;
        o[k] = old ? old[k] + op(x[k], b) : op(x[k], b);
      }
      writeF16(sp, a.dst, o);
    }
    return { accs };
  }
  const u = unary(f, a.imm0, a.imm1);
  if (!u) throw new Trap(i, `vector function ${f} is not executable`);
  if (fn) writeF16(sp, a.dst, readF16(sp, a.src0, n, i).map(u));
  return { accs };
}

function im2col(sp: Memory, a: Readonly<Record<string, number>>, g: Geometry, transposed: boolean, i: number): void {
  const out = new Float64Array(a.kt * a.np);
  const khw = g.kh * g.kw;
  for (let kk = 0; kk < a.kt; kk++) {
    const k = a.k0 + kk, c = Math.floor(k / khw), ki = Math.floor(k / g.kw) % g.kh, kj = k % g.kw;
    for (let pp = 0; pp < a.np; pp++) {
      const p = a.p0 + pp, oy = Math.floor(p / g.ow), ox = p % g.ow;
      const y = oy * g.sh - g.pt + ki * g.dh, x = ox * g.sw - g.pl + kj * g.dw;
      let v = 0;
      if (y >= 0 && y < g.ih && x >= 0 && x < g.iw) {
        if (y < a.y0 || y >= a.y0 + a.prows) throw new Trap(i, `im2col needs input row ${y}, the patch holds rows ${a.y0}..${a.y0 + a.prows - 1}`);
        const at = a.src + ((c * a.prows + (y - a.y0)) * g.iw + x) * 2;
        if (sp.valid[at] === 0) sp.checkWritten(at, at + 2, i, 'im2col');
        v = F16[sp.u16[at >> 1]];
      }
      out[transposed ? pp * a.kt + kk : kk * a.np + pp] = v;
    }
  }
  writeF16(sp, a.dst, out);
}

function pool(sp: Memory, a: Readonly<Record<string, number>>, g: Geometry, max: boolean, i: number): void {
  const x = readF16(sp, a.src, a.ch * g.ih * g.iw, i);
  const out = new Float64Array(a.ch * g.oh * g.ow);
  for (let c = 0; c < a.ch; c++) for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) {
    let acc = max ? -Infinity : 0, cnt = 0;
    for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) {
      const y = oy * g.sh - g.pt + ki * g.dh, xx = ox * g.sw - g.pl + kj * g.dw;
      const inPad = y >= -g.pt && y < g.ih + g.pt && xx >= -g.pl && xx < g.iw + g.pl;
      if (y < 0 || y >= g.ih || xx < 0 || xx >= g.iw) { if (g.cpad && inPad) cnt++; continue; }
      const v = x[(c * g.ih + y) * g.iw + xx];
      if (max) acc = Math.max(acc, v); else acc += v;
      cnt++;
    }
    out[(c * g.oh + oy) * g.ow + ox] = max ? acc : acc / Math.max(1, cnt);
  }
  writeF16(sp, a.dst, out);
}
