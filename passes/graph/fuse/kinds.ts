// Op pattern kinds, as TVM's fusion defines them (include/tvm/relay/op_attr_types.h), ordered so that
// combining two kinds takes the larger: element-wise < broadcast < injective < reduction <
// out-element-wise-fusable (conv, matmul: complex ops that take an element-wise epilogue) < opaque.
import type { Graph, Node } from '../../../src/ir/graph/graph.ts';
import { NOT_LOWERED, RULES } from '../../../src/lower/rules/table.ts';

export const ELEMWISE = 0, BROADCAST = 1, INJECTIVE = 2, REDUCE = 3, OUT_EWISE = 4, OPAQUE = 8;
export type Kind = typeof ELEMWISE | typeof BROADCAST | typeof INJECTIVE | typeof REDUCE | typeof OUT_EWISE | typeof OPAQUE;

export const KIND_NAMES: Record<number, string> = { 0: 'elemwise', 1: 'broadcast', 2: 'injective', 3: 'reduce', 4: 'out-ewise-fusable', 8: 'opaque' };

const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where', 'Mod', 'PRelu',
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Erf', 'Gelu', 'Mish',
  'Softplus', 'Softsign', 'ThresholdedRelu', 'Shrink', 'Clip', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs',
  'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh',
  'Cast', 'CastLike', 'Identity', 'Not', 'And', 'Or', 'Xor', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual',
  'IsNaN', 'IsInf', 'QuantizeLinear', 'DequantizeLinear', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot',
]);
const INJECTIVE_OPS = new Set([
  'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Slice', 'Gather', 'GatherElements', 'Expand',
  'Pad', 'Split', 'Tile', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'Trilu', 'ReverseSequence',
]);
const REDUCE_OPS = new Set([
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin', 'Softmax', 'LogSoftmax', 'Hardmax',
  'LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'GlobalAveragePool', 'GlobalMaxPool',
  'LpNormalization', 'MeanVarianceNormalization',
]);
const COMPLEX_OPS = new Set([
  'Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'Einsum', 'MaxPool', 'AveragePool', 'LpPool',
  'ConvInteger', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul',
]);

/** The kind of one node; ops the lowering cannot compile (or has no rule for) are opaque. */
export function kindOf(n: Node): Kind {
  if (n.domain !== '' || n.body || NOT_LOWERED[n.op] || !RULES[n.op]) return OPAQUE;
  if (ELEMENTWISE.has(n.op)) return broadcasts(n) ? BROADCAST : ELEMWISE;
  if (INJECTIVE_OPS.has(n.op)) return INJECTIVE;
  if (REDUCE_OPS.has(n.op)) return REDUCE;
  if (COMPLEX_OPS.has(n.op)) return OUT_EWISE;
  return OPAQUE;
}

/** An element-wise node some of whose inputs have another shape than its output. */
function broadcasts(n: Node): boolean {
  const out = n.outputs[0].type.shape;
  return n.inputs.some((v) => v && (v.type.shape.length !== out.length || v.type.shape.some((d, i) => d !== out[i])));
}

export function kindsOf(g: Graph): Kind[] { return g.nodes.map(kindOf); }
