// The vector unit's functions on decoded operands: f16 values in, f16 out, computed in double and
// rounded once per element (the unit's internal precision is fp32 or better).
import { erf } from '../../../src/util/erf.ts';
import { VF } from '../isa.ts';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function unary(fn: number, imm0: number, imm1: number): ((x: number) => number) | null {
  switch (fn) {
    case VF.COPY: return (x) => x;
    case VF.RELU: return (x) => (x > 0 ? x : 0);
    case VF.CLIP: return (x) => Math.min(Math.max(x, imm0), imm1);
    case VF.EXP: return Math.exp;
    case VF.SIGMOID: return sigmoid;
    case VF.TANH: return Math.tanh;
    case VF.ERF: return erf;
    case VF.GELU: return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case VF.SWISH: return (x) => x * sigmoid(x);
    case VF.HSWISH: return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case VF.HSIGMOID: return (x) => Math.max(0, Math.min(1, imm0 * x + imm1));
    case VF.NEG: return (x) => -x;
    case VF.SQRT: return Math.sqrt;
    case VF.RECIP: return (x) => 1 / x;
    case VF.ABS: return Math.abs;
    case VF.AFFINE: return (x) => x * imm0 + imm1;
    case VF.LOG: return Math.log;
    default: return null;
  }
}

export function binary(fn: number): ((a: number, b: number) => number) | null {
  switch (fn) {
    case VF.ADD: return (a, b) => a + b;
    case VF.SUB: return (a, b) => a - b;
    case VF.MUL: return (a, b) => a * b;
    case VF.DIV: return (a, b) => a / b;
    case VF.MAX: return (a, b) => (a > b ? a : b);
    case VF.MIN: return (a, b) => (a < b ? a : b);
    case VF.POW: return Math.pow;
    case VF.MAC: return (a, b) => a * b; // added to the destination by the caller
    default: return null;
  }
}

/** Row-wise functions over a rows×cols block; reductions write one value per row. */
export function rowOp(fn: number, x: Float64Array, rows: number, cols: number, eps: number): Float64Array {
  const red = fn === VF.RSUM || fn === VF.RMAX || fn === VF.RMEAN;
  const out = new Float64Array(red ? rows : rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    if (fn === VF.RMAX) { let m = -Infinity; for (let c = 0; c < cols; c++) m = Math.max(m, x[o + c]); out[r] = m; continue; }
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[o + c];
    if (fn === VF.RSUM) { out[r] = s; continue; }
    if (fn === VF.RMEAN) { out[r] = s / cols; continue; }
    if (fn === VF.SOFTMAX) {
      let m = -Infinity;
      for (let c = 0; c < cols; c++) m = Math.max(m, x[o + c]);
      let z = 0;
      for (let c = 0; c < cols; c++) { const e = Math.exp(x[o + c] - m); out[o + c] = e; z += e; }
      for (let c = 0; c < cols; c++) out[o + c] /= z;
      continue;
    }
    // LNORM
    const mean = s / cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[o + c] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / cols + eps);
    for (let c = 0; c < cols; c++) out[o + c] = (x[o + c] - mean) * inv;
  }
  return out;
}
