// Elementwise reference kernels: unary maps, broadcasting binaries, comparisons, Where, Cast.
import { type DType, allocArray, isBigInt, isFloat } from '../../ir/graph/dtype.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { f16BitsToF32, f32ToF16Bits, bf16BitsToF32, f32ToBf16Bits } from '../../util/float16.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { broadcastIndex, broadcastShape, fail } from './util.ts';
import { castTarget } from '../../ir/graph/ops/elementwise.ts';
import { erf } from '../../util/erf.ts';

type Unary = (x: number, n: KernelNode) => number;
const UNARY: Record<string, Unary> = {
  Abs: Math.abs, Neg: (x) => -x, Exp: Math.exp, Log: Math.log, Sqrt: Math.sqrt, Reciprocal: (x) => 1 / x,
  Floor: Math.floor, Ceil: Math.ceil, Sign: Math.sign, Erf: erf,
  Round: (x) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }, // half to even
  Sin: Math.sin, Cos: Math.cos, Tan: Math.tan, Asin: Math.asin, Acos: Math.acos, Atan: Math.atan,
  Sinh: Math.sinh, Cosh: Math.cosh, Asinh: Math.asinh, Acosh: Math.acosh, Atanh: Math.atanh,
  Relu: (x) => (x > 0 ? x : 0), Sigmoid: (x) => 1 / (1 + Math.exp(-x)), Tanh: Math.tanh,
  Softplus: (x) => (x > 20 ? x : Math.log1p(Math.exp(x))), Softsign: (x) => x / (1 + Math.abs(x)),
  Mish: (x) => x * Math.tanh(x > 20 ? x : Math.log1p(Math.exp(x))),
};

/** Unary ops with attributes: build the per-element function once per node. */
function withAttrs(n: KernelNode): Unary | undefined {
  const a = n.attr;
  switch (n.op) {
    case 'LeakyRelu': { const al = a.float('alpha', 0.01); return (x) => (x >= 0 ? x : al * x); }
    case 'Elu': { const al = a.float('alpha', 1); return (x) => (x >= 0 ? x : al * (Math.exp(x) - 1)); }
    case 'Celu': { const al = a.float('alpha', 1); return (x) => Math.max(0, x) + Math.min(0, al * (Math.exp(x / al) - 1)); }
    case 'Selu': {
      const al = a.float('alpha', 1.67326319217681884765625), g = a.float('gamma', 1.05070102214813232421875);
      return (x) => (x > 0 ? g * x : g * (al * Math.exp(x) - al));
    }
    case 'HardSigmoid': { const al = a.float('alpha', 0.2), b = a.float('beta', 0.5); return (x) => Math.max(0, Math.min(1, al * x + b)); }
    case 'HardSwish': return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'ThresholdedRelu': { const al = a.float('alpha', 1); return (x) => (x > al ? x : 0); }
    case 'Gelu': {
      if (a.string('approximate', 'none') === 'tanh') return (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
      return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    }
  }
  return undefined;
}

function mapFloat(x: Tensor, f: (v: number) => number): Tensor {
  const out = new Tensor(x.dtype, x.shape);
  const s = x.data as Float32Array, d = out.data as Float32Array;
  for (let i = 0; i < s.length; i++) d[i] = f(s[i]);
  return out;
}

for (const op of [...Object.keys(UNARY), 'LeakyRelu', 'Elu', 'Celu', 'Selu', 'HardSigmoid', 'HardSwish', 'ThresholdedRelu', 'Gelu']) {
  defineKernel(op, ([x], n) => {
    const f = UNARY[op] ?? withAttrs(n)!;
    if (isBigInt(x!.dtype)) return [Tensor.fromNumbers(x!.dtype, x!.shape, x!.toNumbers().map((v) => f(v, n)))];
    if (!isFloat(x!.dtype) && (op === 'Abs' || op === 'Neg' || op === 'Sign' || op === 'Relu')) {
      return [Tensor.fromNumbers(x!.dtype, x!.shape, Array.from(x!.data as Int32Array, (v) => f(v, n)))];
    }
    return [mapFloat(x!, (v) => f(v, n))];
  });
}

defineKernel('Identity', ([x]) => [x!], 'any');
defineKernel('Dropout', ([x], n) => {
  const mask = new Tensor('bool', x!.shape);
  (mask.data as Uint8Array).fill(1);
  return n.outputCount > 1 ? [x!, mask] : [x!];
}, 'any');

defineKernel('Clip', ([x, lo, hi]) => {
  const min = lo ? lo.toNumbers()[0] : -Infinity, max = hi ? hi.toNumbers()[0] : Infinity;
  if (isBigInt(x!.dtype)) return [Tensor.fromNumbers(x!.dtype, x!.shape, x!.toNumbers().map((v) => Math.min(max, Math.max(min, v))))];
  return [mapFloat(x!, (v) => (v < min ? min : v > max ? max : v))];
});

type Binary = (a: number, b: number) => number;
type BigBinary = (a: bigint, b: bigint) => bigint;

const FLOAT_BIN: Record<string, Binary> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => a / b, Pow: Math.pow,
  Max: (a, b) => (Number.isNaN(a) || a > b ? a : b), Min: (a, b) => (Number.isNaN(a) || a < b ? a : b),
  PRelu: (x, s) => (x < 0 ? x * s : x),
};
const INT_BIN: Record<string, Binary> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => Math.imul(a, b), Div: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
  Pow: (a, b) => Math.trunc(Math.pow(a, b)), Max: Math.max, Min: Math.min, PRelu: (x, s) => (x < 0 ? x * s : x),
};
const BIG_BIN: Record<string, BigBinary> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => (b === 0n ? 0n : a / b),
  Max: (a, b) => (a > b ? a : b), Min: (a, b) => (a < b ? a : b), Pow: (a, b) => (b < 0n ? 0n : a ** b),
};
const CMP: Record<string, Binary> = {
  Equal: (a, b) => +(a === b), Less: (a, b) => +(a < b), LessOrEqual: (a, b) => +(a <= b),
  Greater: (a, b) => +(a > b), GreaterOrEqual: (a, b) => +(a >= b),
  And: (a, b) => +(!!a && !!b), Or: (a, b) => +(!!a || !!b), Xor: (a, b) => +(!!a !== !!b),
};

/** Applies f over the broadcast of a and b into a new tensor of `dtype`. */
function broadcast2(n: KernelNode, a: Tensor, b: Tensor, dtype: DType, f: (x: never, y: never) => unknown): Tensor {
  const shape = broadcastShape(n, [a.shape, b.shape]);
  const out = new Tensor(dtype, shape);
  const ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
  const A = a.data as unknown as never[], B = b.data as unknown as never[], O = out.data as unknown as unknown[];
  const len = sizeOf(shape);
  if (!ia && !ib) for (let i = 0; i < len; i++) O[i] = f(A[i], B[i]);
  else if (!ia) for (let i = 0; i < len; i++) O[i] = f(A[i], B[ib![i]]);
  else if (!ib) for (let i = 0; i < len; i++) O[i] = f(A[ia[i]], B[i]);
  else for (let i = 0; i < len; i++) O[i] = f(A[ia[i]], B[ib[i]]);
  return out;
}

function binary(op: string, n: KernelNode, a: Tensor, b: Tensor): Tensor {
  if (op === 'Mod') return mod(n, a, b);
  if (op === 'BitShift') {
    const left = n.attr.string('direction') === 'LEFT';
    if (isBigInt(a.dtype)) return broadcast2(n, a, b, a.dtype, ((x: bigint, y: bigint) => (left ? x << y : x >> y)) as never);
    return broadcast2(n, a, b, a.dtype, ((x: number, y: number) => (left ? x << y : x >>> y)) as never);
  }
  if (isBigInt(a.dtype)) {
    if (op === 'Pow' && !isBigInt(b.dtype)) b = Tensor.fromNumbers(a.dtype, b.shape, b.toNumbers());
    const f = BIG_BIN[op] ?? fail(n, `${op} is not defined for ${a.dtype}`);
    return broadcast2(n, a, b, a.dtype, f as never);
  }
  if (op === 'Pow' && isBigInt(b.dtype)) b = Tensor.fromNumbers('f64', b.shape, b.toNumbers());
  const fast = a.dtype === 'f32' && b.dtype === 'f32' ? F32_ARITH[op] : undefined;
  if (fast) return f32Arith(n, a, b, fast, FLOAT_BIN[op]);
  const f = (isFloat(a.dtype) ? FLOAT_BIN : INT_BIN)[op] ?? fail(n, `${op} is not defined for ${a.dtype}`);
  return broadcast2(n, a, b, a.dtype, f as never);
}

/**
 * f32 Add/Sub/Mul/Div with b the same shape as the output, a scalar, or broadcast by index, and a
 * not broadcast: one loop per op instead of a closure call per element (the interpreter's hottest
 * elementwise path: activations, scalar and per-channel affine steps). The same IEEE operation on the
 * same operands and the same f32 store as the generic path, so the same bits.
 */
type F32Loop = (A: Float32Array, B: Float32Array, O: Float32Array, ib: Int32Array | null, scalar: boolean) => void;
const F32_ARITH: Record<string, F32Loop> = {
  Add: (A, B, O, ib, scalar) => {
    if (scalar) { const v = B[0]; for (let i = 0; i < O.length; i++) O[i] = A[i] + v; } else if (!ib) for (let i = 0; i < O.length; i++) O[i] = A[i] + B[i];
    else for (let i = 0; i < O.length; i++) O[i] = A[i] + B[ib[i]];
  },
  Sub: (A, B, O, ib, scalar) => {
    if (scalar) { const v = B[0]; for (let i = 0; i < O.length; i++) O[i] = A[i] - v; } else if (!ib) for (let i = 0; i < O.length; i++) O[i] = A[i] - B[i];
    else for (let i = 0; i < O.length; i++) O[i] = A[i] - B[ib[i]];
  },
  Mul: (A, B, O, ib, scalar) => {
    if (scalar) { const v = B[0]; for (let i = 0; i < O.length; i++) O[i] = A[i] * v; } else if (!ib) for (let i = 0; i < O.length; i++) O[i] = A[i] * B[i];
    else for (let i = 0; i < O.length; i++) O[i] = A[i] * B[ib[i]];
  },
  Div: (A, B, O, ib, scalar) => {
    if (scalar) { const v = B[0]; for (let i = 0; i < O.length; i++) O[i] = A[i] / v; } else if (!ib) for (let i = 0; i < O.length; i++) O[i] = A[i] / B[i];
    else for (let i = 0; i < O.length; i++) O[i] = A[i] / B[ib[i]];
  },
};

function f32Arith(n: KernelNode, a: Tensor, b: Tensor, loop: F32Loop, generic: Binary): Tensor {
  const shape = broadcastShape(n, [a.shape, b.shape]);
  if (broadcastIndex(a.shape, shape)) return broadcast2(n, a, b, 'f32', generic as never); // a broadcast: the generic path
  const out = new Tensor('f32', shape), scalar = b.size === 1;
  loop(a.data as Float32Array, b.data as Float32Array, out.data as Float32Array, scalar ? null : broadcastIndex(b.shape, shape), scalar);
  return out;
}

function mod(n: KernelNode, a: Tensor, b: Tensor): Tensor {
  const fmod = n.attr.int('fmod', 0) === 1;
  if (isBigInt(a.dtype)) {
    return broadcast2(n, a, b, a.dtype, ((x: bigint, y: bigint) => {
      if (y === 0n) return 0n;
      const r = x % y;
      return !fmod && r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r;
    }) as never);
  }
  return broadcast2(n, a, b, a.dtype, ((x: number, y: number) => {
    const r = x % y;
    return !fmod && r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
  }) as never);
}

for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'PRelu', 'BitShift']) {
  defineKernel(op, ([a, b], n) => [binary(op, n, a!, b!)]);
}
for (const op of ['Max', 'Min', 'Sum', 'Mean']) {
  defineKernel(op, (ins, n) => {
    let acc = ins[0]!;
    for (let i = 1; i < ins.length; i++) acc = binary(op === 'Sum' || op === 'Mean' ? 'Add' : op, n, acc, ins[i]!);
    if (op === 'Mean') acc = binary('Div', n, acc, Tensor.fromNumbers(acc.dtype, [], [ins.length]));
    return [acc === ins[0] ? new Tensor(acc.dtype, acc.shape, acc.data.slice()) : acc];
  });
}
const BIG_CMP: Record<string, (a: bigint, b: bigint) => number> = {
  Equal: (a, b) => +(a === b), Less: (a, b) => +(a < b), LessOrEqual: (a, b) => +(a <= b),
  Greater: (a, b) => +(a > b), GreaterOrEqual: (a, b) => +(a >= b),
};
for (const op of Object.keys(CMP)) {
  defineKernel(op, ([a, b], n) => {
    const f = isBigInt(a!.dtype) ? BIG_CMP[op] : CMP[op];
    return [broadcast2(n, a!, b!, 'bool', f as never)];
  }, 'any');
}
defineKernel('Not', ([x]) => [Tensor.fromNumbers('bool', x!.shape, Array.from(x!.data as Uint8Array, (v) => +!v))], 'any');
defineKernel('IsNaN', ([x]) => [Tensor.fromNumbers('bool', x!.shape, x!.toNumbers().map((v) => +Number.isNaN(v)))], 'any');
defineKernel('IsInf', ([x], n) => {
  const pos = n.attr.int('detect_positive', 1), neg = n.attr.int('detect_negative', 1);
  return [Tensor.fromNumbers('bool', x!.shape, x!.toNumbers().map((v) => +((v === Infinity && !!pos) || (v === -Infinity && !!neg))))];
}, 'any');

defineKernel('Where', ([c, x, y], n) => {
  const shape = broadcastShape(n, [c!.shape, x!.shape, y!.shape]);
  const out = new Tensor(x!.dtype, shape);
  const ic = broadcastIndex(c!.shape, shape), ix = broadcastIndex(x!.shape, shape), iy = broadcastIndex(y!.shape, shape);
  const C = c!.data, X = x!.data, Y = y!.data, O = out.data;
  for (let i = 0; i < O.length; i++) O[i] = C[ic ? ic[i] : i] ? X[ix ? ix[i] : i] : Y[iy ? iy[i] : i];
  return [out];
}, 'any');

export function castTensor(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  const n = x.size;
  const out = allocArray(to, n);
  const src = x.dtype === 'f16' ? Float32Array.from(x.data as Uint16Array, f16BitsToF32)
    : x.dtype === 'bf16' ? Float32Array.from(x.data as Uint16Array, bf16BitsToF32) : x.data;
  if (to === 'f16' || to === 'bf16') {
    const enc = to === 'f16' ? f32ToF16Bits : f32ToBf16Bits;
    for (let i = 0; i < n; i++) out[i] = enc(Number(src[i]));
  } else if (isBigInt(to)) {
    for (let i = 0; i < n; i++) { const v = src[i]; out[i] = typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Number.isFinite(v) ? Math.trunc(v) : 0); }
  } else if (to === 'bool') {
    for (let i = 0; i < n; i++) out[i] = src[i] ? 1 : 0;
  } else if (isFloat(to)) {
    for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  } else {
    for (let i = 0; i < n; i++) { const v = src[i]; out[i] = typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : Math.trunc(v); }
  }
  return new Tensor(to, x.shape, out);
}

defineKernel('Cast', ([x], n) => [castTensor(x!, castTarget(n, n.attr.int('to')))], 'any');
defineKernel('CastLike', ([x, like]) => [castTensor(x!, like!.dtype)], 'any');
