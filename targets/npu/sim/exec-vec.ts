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
    if (ins.dt !== 0 && ins.dt !== 1) throw new Trap(i, 'im2col works on f16 or i8');
    const eb = ins.dt === 1 ? 1 : 2;
    if (eb === 1 && (a.pad < -128 || a.pad > 127)) throw new Trap(i, `im2col i8 pad value ${a.pad}`);
    use(sp, SPAD, a.src, a.pch * a.prows * g.iw * eb, false, eb);
    use(sp, SPAD, a.dst, a.kt * a.np * eb, true, eb);
    if (fn) im2col(sp, a, g, (ins.flags & 1) === 1, i, eb);
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
  if (f === VF.REQUANT) return requant(ins, i, sp, acc, fn, accs, use);
  if (f === VF.DEQUANT) {
    if (ins.dt !== 1) throw new Trap(i, 'dequant reads i8');
    use(sp, SPAD, a.src0, n, false, 1);
    use(sp, SPAD, a.dst, n * 2, true);
    if (fn) {
      sp.checkWritten(a.src0, a.src0 + n, i, 'dequant');
      const v = new Float64Array(n);
      for (let k = 0; k < n; k++) v[k] = (sp.i8[a.src0 + k] - a.imm1) * a.imm0;
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
      // ONNX QuantizeLinear: round half to even, add the zero point (imm1), saturate to int8.
      const v = readF16(sp, a.src0, n, i);
      for (let k = 0; k < n; k++) sp.i8[a.dst + k] = Math.max(-128, Math.min(127, roundEven(v[k] * q) + a.imm1));
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

function im2col(sp: Memory, a: Readonly<Record<string, number>>, g: Geometry, transposed: boolean, i: number, eb: number): void {
  const out = new Float64Array(a.kt * a.np);
  const khw = g.kh * g.kw;
  for (let kk = 0; kk < a.kt; kk++) {
    const k = a.k0 + kk, c = Math.floor(k / khw), ki = Math.floor(k / g.kw) % g.kh, kj = k % g.kw;
    for (let pp = 0; pp < a.np; pp++) {
      const p = a.p0 + pp, oy = Math.floor(p / g.ow), ox = p % g.ow;
      const y = oy * g.sh - g.pt + ki * g.dh, x = ox * g.sw - g.pl + kj * g.dw;
      let v = a.pad;
      if (y >= 0 && y < g.ih && x >= 0 && x < g.iw) {
        if (y < a.y0 || y >= a.y0 + a.prows) throw new Trap(i, `im2col needs input row ${y}, the patch holds rows ${a.y0}..${a.y0 + a.prows - 1}`);
        const at = a.src + ((c * a.prows + (y - a.y0)) * g.iw + x) * eb;
        if (sp.valid[at] === 0) sp.checkWritten(at, at + eb, i, 'im2col');
        v = eb === 1 ? sp.i8[at] : F16[sp.u16[at >> 1]];
      }
      out[transposed ? pp * a.kt + kk : kk * a.np + pp] = v;
    }
  }
  if (eb === 2) { writeF16(sp, a.dst, out); return; }
  sp.i8.set(out, a.dst);
  sp.mark(a.dst, a.dst + out.length);
}

/** Round half to even (ONNX QuantizeLinear). */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `vec.requant`: int32 accumulator rows × cols → i8 (or f16 with flag bit 0), per channel (a row with
 *  bcast=row, a column with bcast=col) through a scratchpad table of four i32 words: bias (added to the
 *  accumulator), a Q31 multiplier M and a shift (scale = M·2^(shift−31)), and the clamp bounds packed
 *  as lo | hi << 16 (i8 output). i8: y = clamp(zp + ⌊(acc + bias)·M·2^(shift−31) + ½⌋, lo, hi), one
 *  rounding of the exact product (TFLite's single-rounding mode); zp is imm0. f16: (acc + bias)·scale.
 *  Flag bit 1 (with bit 0): the int8 result dequantized, (y − zp)·imm1 in f16 (a Q → DQ pair). */
function requant(ins: Instr, i: number, sp: Memory, acc: Memory, fn: boolean, accs: Access[],
  use: (m: Memory, space: number, lo: number, bytes: number, write: boolean, align?: number) => void): { accs: Access[] } {
  const a = ins.a, rows = a.rows, cols = a.cols, n = rows * cols, f16 = (ins.flags & 1) === 1, grid = (ins.flags & 2) === 2;
  if (grid && !f16) throw new Trap(i, 'requant to the int8 grid writes f16');
  if (ins.dt !== 3) throw new Trap(i, 'requant reads an i32 accumulator');
  if (a.bcast !== BCAST.row && a.bcast !== BCAST.col) throw new Trap(i, 'requant channels are rows or columns');
  const ch = a.bcast === BCAST.row ? rows : cols;
  use(acc, ACC, a.src0, n * 4, false, 4);
  use(sp, SPAD, a.src1, ch * 16, false, 4);
  use(sp, SPAD, a.dst, n * (f16 ? 2 : 1), true, f16 ? 2 : 1);
  if (!fn) return { accs };
  acc.checkWritten(a.src0, a.src0 + n * 4, i, 'requant');
  sp.checkWritten(a.src1, a.src1 + ch * 16, i, 'requant table');
  const t = a.src1 >> 2, b = a.src0 >> 2, out = new Float64Array(n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const k = a.bcast === BCAST.row ? r : c, e = t + 4 * k;
    const v = acc.i32[b + r * cols + c] + sp.i32[e], m = sp.i32[e + 1], sh = sp.i32[e + 2];
    if (f16 && !grid) { out[r * cols + c] = v * m * 2 ** (sh - 31); continue; }
    if (sh > 30 || sh < -31) throw new Trap(i, `requant shift ${sh}`);
    const prod = BigInt(v) * BigInt(m), rs = BigInt(31 - sh);
    const q = Number((prod + (1n << (rs - 1n))) >> rs);
    const lohi = sp.i32[e + 3], lo = (lohi << 16) >> 16, hi = lohi >> 16;
    if (lo < -128 || hi > 127 || lo > hi) throw new Trap(i, `requant clamp [${lo}, ${hi}] outside int8`);
    const y = Math.max(lo, Math.min(hi, a.imm0 + q));
    out[r * cols + c] = grid ? (y - a.imm0) * a.imm1 : y;
  }
  if (f16) writeF16(sp, a.dst, out);
  else { sp.i8.set(out, a.dst); sp.mark(a.dst, a.dst + n); }
  return { accs };
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
