// The opset in which each default-domain op first appeared in ONNX. An op is usable from
// max(its first opset, 7) to tscc's newest opset; the supported-ops table is generated from this.
const SINCE: Record<string, number> = {
  Acosh: 9, Asinh: 9, Atanh: 9, Cosh: 9, Sinh: 9, Erf: 9, IsNaN: 9, Sign: 9, Where: 9, NonZero: 9,
  Shrink: 9, OneHot: 9, Compress: 9, EyeLike: 9, MaxUnpool: 9, Scatter: 9, TfIdfVectorizer: 9,
  ConstantOfShape: 9, MatMulInteger: 10, ConvInteger: 10, QLinearConv: 10, QLinearMatMul: 10,
  QuantizeLinear: 10, DequantizeLinear: 10, IsInf: 10, Mod: 10, ReverseSequence: 10, RoiAlign: 10,
  StringNormalizer: 10, ThresholdedRelu: 10, NonMaxSuppression: 10, Resize: 10,
  BitShift: 11, CumSum: 11, DepthToSpace: 1, DynamicQuantizeLinear: 11, GatherElements: 11, GatherND: 11,
  Range: 11, Round: 11, ScatterElements: 11, ScatterND: 11, Det: 11, Unique: 11,
  Celu: 12, Einsum: 12, GreaterOrEqual: 12, LessOrEqual: 12, SoftmaxCrossEntropyLoss: 12,
  HardSwish: 14, Trilu: 14, CastLike: 15, Bernoulli: 15, Optional: 15, GridSample: 16,
  LayerNormalization: 17, DFT: 17, BlackmanWindow: 17, MelWeightMatrix: 17, STFT: 17,
  GroupNormalization: 18, Mish: 18, BitwiseAnd: 18, BitwiseOr: 18, BitwiseXor: 18, BitwiseNot: 18,
  CenterCropPad: 18, Col2Im: 18, Gelu: 20, AffineGrid: 20, ImageDecoder: 20,
};

export function firstOpset(op: string): number {
  return SINCE[op] ?? 1;
}
