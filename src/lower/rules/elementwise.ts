// Element-wise rules: unary maps and activations, broadcasting binaries, comparisons and logic,
// variadic Sum/Mean/Max/Min, Where, Cast, Clip. Each is one compute over the output shape, so every
// one of them inlines into whatever consumes it.
import { type DType, isFloat } from '../../ir/graph/dtype.ts';
import { castTarget } from '../../ir/graph/ops/elementwise.ts';
import {
  type Expr, type MathFunc, add, and, binary, call, cast, div, floordiv, floormod, lt, max, min, mul, select, sub, unary,
} from '../../ir/tensor/expr.ts';
import type { Rule, RuleCtx } from '../rule.ts';
import { ScalarTensor, type TeTensor } from '../te.ts';
import { bcast, eq, ge, gt, k, le, ne, or } from './util.ts';

type Unary = (x: Expr, c: RuleCtx) => Expr;

const fn = (f: MathFunc): Unary => (x) => call(f, [x]);
const softplus = (x: Expr) => select(gt(x, k(20, x)), x, call('log', [add(k(1, x), call('exp', [x]))]));

const UNARY: Record<string, Unary> = {
  Abs: fn('abs'), Neg: (x) => unary('neg', x), Exp: fn('exp'), Log: fn('log'), Sqrt: fn('sqrt'),
  Reciprocal: (x) => div(k(1, x), x), Floor: fn('floor'), Ceil: fn('ceil'), Round: fn('round'), Sign: fn('sign'),
  Erf: fn('erf'), Sin: fn('sin'), Cos: fn('cos'), Tan: fn('tan'), Asin: fn('asin'), Acos: fn('acos'), Atan: fn('atan'),
  Sinh: fn('sinh'), Cosh: fn('cosh'), Asinh: fn('asinh'), Acosh: fn('acosh'), Atanh: fn('atanh'),
  Relu: (x) => max(x, k(0, x)), Sigmoid: fn('sigmoid'), Tanh: fn('tanh'),
  Softplus: softplus,
  Softsign: (x) => div(x, add(k(1, x), call('abs', [x]))),
  Mish: (x) => mul(x, call('tanh', [softplus(x)])),
  LeakyRelu: (x, c) => select(ge(x, k(0, x)), x, mul(k(c.attr.float('alpha', 0.01), x), x)),
  Elu: (x, c) => select(ge(x, k(0, x)), x, mul(k(c.attr.float('alpha', 1), x), sub(call('exp', [x]), k(1, x)))),
  Celu: (x, c) => {
    const a = k(c.attr.float('alpha', 1), x);
    return add(max(k(0, x), x), min(k(0, x), mul(a, sub(call('exp', [div(x, a)]), k(1, x)))));
  },
  Selu: (x, c) => {
    const a = k(c.attr.float('alpha', 1.67326319217681884765625), x), g = k(c.attr.float('gamma', 1.05070102214813232421875), x);
    return select(gt(x, k(0, x)), mul(g, x), mul(g, sub(mul(a, call('exp', [x])), a)));
  },
  HardSigmoid: (x, c) => hardSigmoid(x, c.attr.float('alpha', 0.2), c.attr.float('beta', 0.5)),
  HardSwish: (x) => mul(x, hardSigmoid(x, 1 / 6, 0.5)),
  ThresholdedRelu: (x, c) => select(gt(x, k(c.attr.float('alpha', 1), x)), x, k(0, x)),
  Gelu: (x, c) => {
    const half = mul(k(0.5, x), x);
    if (c.attr.string('approximate', 'none') === 'tanh') {
      const inner = mul(k(Math.sqrt(2 / Math.PI), x), add(x, mul(k(0.044715, x), mul(mul(x, x), x))));
      return mul(half, add(k(1, x), call('tanh', [inner])));
    }
    return mul(half, add(k(1, x), call('erf', [div(x, k(Math.SQRT2, x))])));
  },
  Not: (x) => unary('not', x),
  IsNaN: fn('isnan'),
  IsInf: (x, c) => {
    const pos = c.attr.int('detect_positive', 1) !== 0, neg = c.attr.int('detect_negative', 1) !== 0;
    const inf = call('isinf', [x]);
    if (pos && neg) return inf;
    if (!pos && !neg) return k(0, 'bool');
    return and(inf, pos ? gt(x, k(0, x)) : lt(x, k(0, x)));
  },
};

function hardSigmoid(x: Expr, alpha: number, beta: number): Expr {
  return max(k(0, x), min(k(1, x), add(mul(k(alpha, x), x), k(beta, x))));
}

/** Integer division that truncates toward zero, as ONNX Div does for integers (the IR's is floor). */
function truncDiv(a: Expr, b: Expr): Expr {
  const q = floordiv(a, b);
  const inexact = ne(floormod(a, b), k(0, a));
  const signsDiffer = ne(lt(a, k(0, a)), lt(b, k(0, b)));
  return select(and(inexact, signsDiffer), add(q, k(1, a)), q);
}

function mod(a: Expr, b: Expr, fmod: boolean): Expr {
  const r = floormod(a, b);
  if (!fmod) return r;
  // C fmod takes the dividend's sign; floormod takes the divisor's.
  return select(and(ne(r, k(0, r)), ne(lt(a, k(0, a)), lt(b, k(0, b)))), sub(r, b), r);
}

function pow(x: Expr, y: Expr, yt: TeTensor): Expr {
  if (yt instanceof ScalarTensor && isFloat(x.dtype)) {
    if (yt.value === 1) return x;
    if (yt.value === 2) return mul(x, x);
    if (yt.value === 0.5) return call('sqrt', [x]);
  }
  const e = y.dtype === x.dtype ? y : cast(x.dtype, y);
  return isFloat(x.dtype) ? binary('pow', x, e) : cast(x.dtype, call('floor', [binary('pow', cast('f64', x), cast('f64', e))]));
}

type Binary = (a: Expr, b: Expr, c: RuleCtx, bt: TeTensor) => Expr;

const BINARY: Record<string, Binary> = {
  Add: add, Sub: sub, Mul: mul,
  Div: (a, b) => (isFloat(a.dtype) ? div(a, b) : truncDiv(a, b)),
  Pow: (a, b, _c, bt) => pow(a, b, bt),
  Mod: (a, b, c) => mod(a, b, c.attr.int('fmod', 0) === 1),
  PRelu: (x, s) => select(lt(x, k(0, x)), mul(x, s), x),
  Max: max, Min: min, Sum: add, Mean: add,
  Equal: eq, Less: lt, LessOrEqual: le, Greater: gt, GreaterOrEqual: ge,
  And: and, Or: or, Xor: ne,
};

function unaryRule(op: string): Rule {
  return (c) => {
    const x = c.input(0);
    return [c.compute(op.toLowerCase(), x.shape, (i) => UNARY[op](x.at(i), c))];
  };
}

/** Binary and variadic ops fold left over their inputs, each broadcast to the output shape. */
function binaryRule(op: string): Rule {
  return (c) => {
    const shape = c.outShape();
    const ins = Array.from({ length: c.inputCount }, (_, i) => c.input(i));
    return [c.compute(op.toLowerCase(), shape, (i) => {
      let acc = bcast(ins[0], i);
      for (let j = 1; j < ins.length; j++) acc = BINARY[op](acc, bcast(ins[j], i), c, ins[j]);
      return op === 'Mean' ? div(acc, k(ins.length, acc)) : acc;
    })];
  };
}

function clipRule(c: RuleCtx): TeTensor[] {
  const x = c.input(0);
  // Bounds are inputs in every opset here: the ONNX adapters move the old attributes there.
  const bound = (i: number) => (c.has(i) ? c.input(i) : undefined);
  const lo = bound(1), hi = bound(2);
  const at0 = (t: TeTensor) => t.at(t.shape.map(() => k(0, 'i32')));
  return [c.compute('clip', x.shape, (i) => {
    let v = x.at(i);
    if (lo) v = max(v, at0(lo));
    if (hi) v = min(v, at0(hi));
    return v;
  })];
}

function castRule(to: (c: RuleCtx) => DType): Rule {
  return (c) => {
    const x = c.raw(0), dtype = to(c);
    return [c.compute('cast', x.shape, (i) => {
      const v = x.at(i);
      return dtype === 'bool' && v.dtype !== 'bool' ? ne(v, k(0, v)) : cast(dtype, v);
    })];
  };
}

const whereRule: Rule = (c) => {
  const cond = c.raw(0), x = c.raw(1), y = c.raw(2);
  return [c.compute('where', c.outShape(), (i) => select(bcast(cond, i), bcast(x, i), bcast(y, i)))];
};

export const ELEMENTWISE_RULES: Record<string, Rule> = {
  ...Object.fromEntries(Object.keys(UNARY).map((op) => [op, unaryRule(op)])),
  ...Object.fromEntries(Object.keys(BINARY).map((op) => [op, binaryRule(op)])),
  Clip: clipRule,
  Cast: castRule((c) => castTarget(c.node, c.attr.int('to'))),
  CastLike: castRule((c) => c.type(1).dtype),
  Where: whereRule,
};
