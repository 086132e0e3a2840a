// The generated ONNX protobuf classes (onnx-proto, on protobufjs), typed for the rest of the frontend.
import pkg from 'onnx-proto';

export const onnx = (pkg as unknown as { onnx: typeof import('onnx-proto').onnx }).onnx;
export type ModelProto = import('onnx-proto').onnx.ModelProto;
export type GraphProto = import('onnx-proto').onnx.IGraphProto;
export type NodeProto = import('onnx-proto').onnx.INodeProto;
export type TensorProto = import('onnx-proto').onnx.ITensorProto;
export type AttributeProto = import('onnx-proto').onnx.IAttributeProto;
export type ValueInfoProto = import('onnx-proto').onnx.IValueInfoProto;

/** protobufjs gives int64 as number or Long; we want a number (exact below 2^53). */
export function num(x: number | { toNumber(): number } | null | undefined): number {
  if (x === null || x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}
