// Shape rules of elementwise ops: unary maps, broadcasting binaries, variadics, comparisons, Where, Cast.
import { UnsupportedError, nodeRef } from '../../../util/errors.ts';
import { type DType, dtypeFromOnnx } from '../dtype.ts';
import type { Dim } from '../graph.ts';
import { broadcastShapes, defineOp, tt, type InferCtx } from './registry.ts';

export const UNARY_OPS = [
  'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Erf',
  'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh',
  'Relu', 'Sigmoid', 'Tanh', 'Softplus', 'Softsign', 'LeakyRelu', 'Elu', 'Selu', 'Celu',
  'HardSigmoid', 'HardSwish', 'ThresholdedRelu', 'Mish', 'Gelu', 'Identity', 'Clip',
] as const;

export const BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'PRelu', 'BitShift'] as const;
export const COMPARE_OPS = ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual'] as const;
export const LOGIC_OPS = ['And', 'Or', 'Xor'] as const;
export const VARIADIC_OPS = ['Sum', 'Mean', 'Max', 'Min'] as const;

for (const op of UNARY_OPS) defineOp({ name: op, infer: (c) => [c.input(0)], values: (c) => (op === 'Identity' ? [c.dims(0)] : [undefined]) });
defineOp({ name: 'Not', infer: (c) => [c.input(0)] });
defineOp({ name: 'IsNaN', infer: (c) => [tt('bool', c.input(0).shape)] });
defineOp({ name: 'IsInf', infer: (c) => [tt('bool', c.input(0).shape)] });
defineOp({ name: 'Dropout', infer: (c) => [c.input(0), tt('bool', c.input(0).shape)] });

function binaryType(c: InferCtx, dtype?: DType) {
  const a = c.input(0), b = c.input(1);
  if (a.dtype !== b.dtype && c.node.op !== 'Pow') c.fail(`input types differ: ${a.dtype} and ${b.dtype}`);
  return tt(dtype ?? a.dtype, broadcastShapes(c, [a.shape, b.shape]));
}

/** Arithmetic on shape vectors, so Shape → Mul/Div/Add chains keep their symbolic values. */
function arith(c: InferCtx): (readonly Dim[] | undefined)[] {
  const a = c.dims(0), b = c.dims(1);
  if (!a || !b) return [undefined];
  const n = Math.max(a.length, b.length);
  if ((a.length !== 1 && a.length !== n) || (b.length !== 1 && b.length !== n)) return [undefined];
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length === 1 ? 0 : i], y = b[b.length === 1 ? 0 : i];
    if (typeof x !== 'number' || typeof y !== 'number') {
      if (c.node.op === 'Mul' && y === 1) out.push(x);
      else if (c.node.op === 'Mul' && x === 1) out.push(y);
      else if ((c.node.op === 'Add' || c.node.op === 'Sub') && y === 0) out.push(x);
      else if (c.node.op === 'Div' && y === 1) out.push(x);
      else return [undefined];
      continue;
    }
    switch (c.node.op) {
      case 'Add': out.push(x + y); break;
      case 'Sub': out.push(x - y); break;
      case 'Mul': out.push(x * y); break;
      case 'Div': out.push(y === 0 ? 0 : Math.trunc(x / y)); break;
      default: return [undefined];
    }
  }
  return [out];
}

for (const op of BINARY_OPS) defineOp({ name: op, infer: (c) => [binaryType(c)], values: arith });
for (const op of COMPARE_OPS) defineOp({ name: op, infer: (c) => [binaryType(c, 'bool')] });
for (const op of LOGIC_OPS) defineOp({ name: op, infer: (c) => [binaryType(c, 'bool')] });

for (const op of VARIADIC_OPS) {
  defineOp({
    name: op,
    infer: (c) => {
      const ts = c.inputs.map((_, i) => c.input(i));
      if (ts.length === 0) c.fail('needs at least one input');
      return [tt(ts[0].dtype, broadcastShapes(c, ts.map((t) => t.shape)))];
    },
  });
}

defineOp({
  name: 'Where',
  infer: (c) => [tt(c.input(1).dtype, broadcastShapes(c, [c.input(0).shape, c.input(1).shape, c.input(2).shape]))],
});

export function castTarget(node: { name: string; op: string }, code: number): DType {
  const d = dtypeFromOnnx(code);
  if (!d) throw new UnsupportedError(`${nodeRef(node)}: cast to element type ${code} is not supported`);
  return d;
}

defineOp({
  name: 'Cast',
  infer: (c) => [tt(castTarget(c.node, c.attr.int('to')), c.input(0).shape)],
  values: (c) => [c.dims(0)],
});
defineOp({ name: 'CastLike', infer: (c) => [tt(c.input(1).dtype, c.input(0).shape)] });
