// A quantized (fused) graph as a plain ONNX QDQ model: every Fused body inlined, so onnxruntime runs
// exactly what tscc placed (QuantizeLinear / DequantizeLinear / Cast between the original operators).
// Body-internal names that another body also defines get the group name appended (SSA across bodies).
import type { Attr } from '../../src/ir/graph/attrs.ts';
import { onnxCode } from '../../src/ir/graph/dtype.ts';
import type { Graph, NodeSpec, TensorType, ValueSpec } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { onnx } from '../../src/frontend/onnx/proto.ts';
import { packBits } from '../../src/quant/pack.ts';

interface Flat { nodes: NodeSpec[]; constants: ValueSpec[]; types: Map<string, TensorType> }

/** Nodes and constants of g with every Fused node replaced by its body. */
export function inlineFused(g: Graph): Flat {
  const out: Flat = { nodes: [], constants: [...g.toSpec().constants], types: new Map(g.toSpec().types) };
  const defined = new Set<string>([...g.values.keys()]);
  const nodeNames = new Set<string>(g.nodes.filter((n) => !n.body).map((n) => n.name));
  const nodeName = (name: string, group: string) => {
    let r = name;
    while (nodeNames.has(r)) r = `${r}@${group}`;
    nodeNames.add(r);
    return r;
  };
  for (const n of g.nodes) {
    if (!n.body) { out.nodes.push(n.toSpec()); continue; }
    const body = n.body, rename = new Map<string, string>();
    body.inputs.forEach((v, i) => rename.set(v.name, n.inputs[i]!.name));
    body.outputs.forEach((v, i) => rename.set(v.name, n.outputs[i].name));
    const local = (name: string) => {
      if (rename.has(name)) return rename.get(name)!;
      let r = name;
      while (defined.has(r)) r = `${r}@${n.name}`;
      defined.add(r);
      rename.set(name, r);
      return r;
    };
    for (const c of body.constants) out.constants.push({ name: local(c.name), type: c.type, constant: c.constant });
    for (const m of body.nodes) {
      for (const o of m.outputs) out.types.set(local(o.name), o.type);
      const s = m.toSpec();
      out.nodes.push({ ...s, name: nodeName(s.name, n.name), body: undefined, inputs: s.inputs.map((x) => (x === '' ? '' : rename.get(x) ?? x)), outputs: m.outputs.map((o) => local(o.name)) });
    }
  }
  return out;
}

/**
 * ONNX ModelProto bytes at opset 21 (or the model's, if newer): the frontend's adapters rewrite every
 * op into its newest form (ReduceMean axes as an input, …), and int4 / block_size need 21 anyway.
 */
export function toOnnxBytes(g: Graph, opset = Math.max(g.opset, 21)): Uint8Array {
  const flat = inlineFused(g);
  const needs21 = flat.constants.some((c) => c.type.dtype === 'i4' || c.type.dtype === 'u4');
  const needs19 = flat.constants.some((c) => c.type.dtype.startsWith('f8'));
  const version = Math.max(opset, needs21 ? 21 : needs19 ? 19 : 13);
  const info = (name: string, t: TensorType) => ({
    name, type: { tensorType: { elemType: onnxCode(t.dtype), shape: { dim: t.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const graph = {
    name: g.name,
    input: g.inputs.map((v) => info(v.name, v.type)),
    output: g.outputs.map((v) => info(v.name, v.type)),
    initializer: flat.constants.map((c) => tensorProto(c.name, c.constant!)),
    node: flat.nodes.map((n) => ({
      name: n.name, opType: n.op, domain: n.domain ?? '', input: [...n.inputs], output: [...n.outputs],
      attribute: Object.entries(n.attrs ?? {}).map(([k, a]) => attrProto(k, a)),
    })),
  };
  const irVersion = version >= 21 ? 10 : version >= 19 ? 9 : 8;
  return onnx.ModelProto.encode({ irVersion, producerName: 'tscc-quantize', opsetImport: [{ domain: '', version }], graph }).finish();
}

function tensorProto(name: string, t: Tensor) {
  const raw = t.dtype === 'i4' || t.dtype === 'u4' ? packBits(t.data as Int8Array, 4) : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name, dataType: onnxCode(t.dtype), dims: [...t.shape], rawData: raw };
}

function attrProto(name: string, a: Attr) {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'ints': return { name, type: T.INTS, ints: [...a.value] };
    case 'floats': return { name, type: T.FLOATS, floats: [...a.value] };
    case 'strings': return { name, type: T.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto(name, a.value) };
    case 'graph': throw new Error(`export: graph attribute "${name}" is not exported (control flow inside a quantized model)`);
  }
}
