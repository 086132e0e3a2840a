// A small ONNX builder: writes real ModelProto bytes (through onnx-proto) for tests, benches and the
// models shipped in this folder. Attribute kinds follow the JS value: integers → int, `float(x)` → float,
// arrays of integers → ints, `floats([...])` → floats, strings → string, Tensor → tensor, Subgraph → graph.
import { type DType, onnxCode } from '../src/ir/graph/dtype.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import { onnx } from '../src/frontend/onnx/proto.ts';
import type { onnx as P } from 'onnx-proto';

export class FloatAttr { constructor(readonly value: number) {} }
export class FloatsAttr { constructor(readonly value: readonly number[]) {} }
export const float = (v: number) => new FloatAttr(v);
export const floats = (v: readonly number[]) => new FloatsAttr(v);
export type AttrInput = number | string | readonly number[] | readonly string[] | FloatAttr | FloatsAttr | Tensor | OnnxBuilder;

type Shape = readonly (number | string)[];

export interface BuilderOptions { opset?: number; name?: string; irVersion?: number; extraOpsets?: Record<string, number> }

export class OnnxBuilder {
  readonly opset: number;
  private readonly nodes: P.INodeProto[] = [];
  private readonly inits: P.ITensorProto[] = [];
  private readonly inputs: P.IValueInfoProto[] = [];
  private readonly outputs: P.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly opts: BuilderOptions = {}) { this.opset = opts.opset ?? 17; }

  input(name: string, dtype: DType, shape: Shape): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares a graph output; dtype/shape may be omitted (onnxruntime infers them). */
  output(name: string, dtype?: DType, shape?: Shape): void {
    this.outputs.push(dtype ? valueInfo(name, dtype, shape) : { name });
  }

  initializer(t: Tensor, name = this.fresh('w')): string {
    this.inits.push(tensorProto(t, name));
    return name;
  }

  /** An initializer whose bytes live in another file (`location` relative to the model), at `offset`. */
  externalInitializer(t: Tensor, location: string, offset: number, name = this.fresh('w')): string {
    this.inits.push({
      name, dataType: onnxCode(t.dtype), dims: [...t.shape], dataLocation: 1,
      externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(t.byteLength) }],
    });
    return name;
  }

  /** An initializer stored in the typed repeated fields (float_data, int64_data …) instead of raw_data. */
  typedInitializer(t: Tensor, name = this.fresh('w')): string {
    const p: P.ITensorProto = { name, dataType: onnxCode(t.dtype), dims: [...t.shape] };
    if (t.dtype === 'f32') p.floatData = t.toNumbers();
    else if (t.dtype === 'i64') p.int64Data = t.toNumbers();
    else if (t.dtype === 'f64') p.doubleData = t.toNumbers();
    else p.int32Data = Array.from(t.data as Int32Array);
    this.inits.push(p);
    return name;
  }

  /** Adds a node; returns its output names (`outputs` of them, default 1). */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrInput | undefined> = {}, outputs = 1, opts: { name?: string; domain?: string } = {}): string[] {
    const name = opts.name ?? this.fresh(op);
    const outs = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? `${name}_out` : `${name}_out${i}`));
    this.nodes.push({
      name, opType: op, domain: opts.domain ?? '', input: [...inputs], output: outs,
      attribute: Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => attrProto(k, v!)),
    });
    return outs;
  }

  /** One-output shorthand. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrInput | undefined> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  fresh(prefix: string): string { return `${prefix}_${this.counter++}`; }

  graphProto(): P.IGraphProto {
    return { name: this.opts.name ?? 'main', node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs };
  }

  toBytes(): Uint8Array {
    const model: P.IModelProto = {
      irVersion: this.opts.irVersion ?? (this.opset >= 21 ? 10 : this.opset >= 15 ? 8 : 7),
      producerName: 'tscc-builder',
      opsetImport: [{ domain: '', version: this.opset }, ...Object.entries(this.opts.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version }))],
      graph: this.graphProto(),
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dtype: DType, shape?: Shape): P.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnxCode(dtype), shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined } },
  };
}

export function tensorProto(t: Tensor, name: string): P.ITensorProto {
  const bytes = t.dtype === 'i4' || t.dtype === 'u4' ? packInt4(t.data as Int8Array | Uint8Array) : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dataType: onnxCode(t.dtype), dims: [...t.shape], rawData: bytes.slice() };
}

/** ONNX stores int4/uint4 two a byte, element 2i in the low nibble (the IR keeps one a byte). */
function packInt4(v: Int8Array | Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(v.length / 2));
  for (let i = 0; i < v.length; i++) out[i >> 1] |= (v[i] & 0xf) << ((i & 1) * 4);
  return out;
}

function attrProto(name: string, v: AttrInput): P.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (v instanceof FloatAttr) return { name, type: T.FLOAT, f: v.value };
  if (v instanceof FloatsAttr) return { name, type: T.FLOATS, floats: [...v.value] };
  if (v instanceof Tensor) return { name, type: T.TENSOR, t: tensorProto(v, name) };
  if (v instanceof OnnxBuilder) return { name, type: T.GRAPH, g: v.graphProto() };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (v.length > 0 && typeof v[0] === 'string') return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
  const nums = v as readonly number[];
  if (nums.every((x) => Number.isInteger(x))) return { name, type: T.INTS, ints: [...nums] };
  return { name, type: T.FLOATS, floats: [...nums] };
}
