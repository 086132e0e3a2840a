// Field-level mutations: decode the model, change one thing a byte flip rarely reaches intact (an
// attribute value or kind, an op type, a node's inputs, a dim, a shape constant, the opset), re-encode.
// Byte mutations mostly test the protobuf decoder; these reach the shape rules and kernels.
import { onnx } from '../../src/frontend/onnx/proto.ts';
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from '../../src/frontend/onnx/proto.ts';

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo)); // [lo, hi)
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, 0, xs.length)];

const INTS = [0, 1, -1, 2, 3, 5, -2, 7, 64, 1000, -1000, 2 ** 31, -(2 ** 31), 2 ** 40, 2 ** 53];
const FLOATS = [0, 1, -1, 0.5, 1e-12, 1e30, -1e30, NaN, Infinity, -Infinity];
const STRINGS = ['', 'x', 'NOTSET', 'SAME_UPPER', 'VALID', 'linear', 'nearest', 'cubic', 'constant', 'reflect', 'tanh', 'DCR', 'half_pixel'];
const OPS = ['Relu', 'Add', 'Conv', 'Reshape', 'Transpose', 'Concat', 'Gemm', 'MatMul', 'Softmax', 'Slice', 'Gather', 'Split',
  'Squeeze', 'Unsqueeze', 'Resize', 'Pad', 'MaxPool', 'ReduceMean', 'LSTM', 'If', 'Expand', 'Tile', 'Flatten', 'Cast', 'Where', 'Range'];
const ATTRS = ['axis', 'axes', 'perm', 'group', 'pads', 'strides', 'kernel_shape', 'dilations', 'keepdims', 'to', 'mode', 'split',
  'transA', 'transB', 'ceil_mode', 'auto_pad', 'hidden_size', 'direction', 'epsilon', 'alpha', 'beta', 'allowzero', 'num_outputs'];

function allGraphs(g: GraphProto | null | undefined, out: GraphProto[] = []): GraphProto[] {
  if (!g) return out;
  out.push(g);
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) allGraphs(a.g, out);
  return out;
}

function randomAttr(r: Rand, name: string): AttributeProto {
  switch (int(r, 0, 5)) {
    case 0: return { name, type: 2, i: pick(r, INTS) };
    case 1: return { name, type: 7, ints: Array.from({ length: int(r, 0, 6) }, () => pick(r, INTS)) };
    case 2: return { name, type: 1, f: pick(r, FLOATS) };
    case 3: return { name, type: 3, s: new TextEncoder().encode(pick(r, STRINGS)) };
    default: return { name, type: 6, floats: Array.from({ length: int(r, 0, 4) }, () => pick(r, FLOATS)) };
  }
}

function mutateAttr(r: Rand, a: AttributeProto): string {
  const ints = a.ints as number[] | undefined;
  if (a.type === 7 && ints && ints.length && r() < 0.7) {
    const k = int(r, 0, 3);
    if (k === 0) { const i = int(r, 0, ints.length); ints[i] = pick(r, INTS); return `${a.name}[${i}] = ${ints[i]}`; }
    if (k === 1) { ints.pop(); return `${a.name} loses its last value`; }
    ints.push(pick(r, INTS));
    return `${a.name} gains a value`;
  }
  if (a.type === 2 && r() < 0.7) { a.i = pick(r, INTS); return `${a.name} = ${a.i}`; }
  if (a.type === 4 && a.t && r() < 0.7) return `${a.name}: ${mutateTensor(r, a.t)}`;
  const b = randomAttr(r, a.name ?? '');
  Object.assign(a, { i: 0, f: 0, ints: [], floats: [], s: new Uint8Array(), ...b });
  return `${a.name} replaced by a random ${b.type === 2 ? 'int' : b.type === 7 ? 'ints' : b.type === 1 ? 'float' : b.type === 3 ? 'string' : 'floats'}`;
}

/** Changes a dim, the element type, drops the data, or edits a value of a small int64 tensor (shape constants). */
function mutateTensor(r: Rand, t: TensorProto): string {
  const dims = t.dims as number[] | undefined;
  const raw = t.rawData;
  const k = int(r, 0, 4);
  if (k === 0 && t.dataType === 7 && raw && raw.length >= 8 && raw.length <= 512) {
    const copy = new Uint8Array(raw); // a copy (Buffer#slice would be a view into the seed)
    const i = int(r, 0, copy.length / 8);
    new DataView(copy.buffer, copy.byteOffset).setBigInt64(i * 8, BigInt(pick(r, INTS)), true);
    t.rawData = copy;
    return `tensor "${t.name}" value ${i} changed`;
  }
  if (k === 1 && dims && dims.length) { const i = int(r, 0, dims.length); dims[i] = pick(r, INTS); return `tensor "${t.name}" dim ${i} = ${dims[i]}`; }
  if (k === 2) { t.dataType = pick(r, [0, 1, 2, 6, 7, 8, 9, 10, 11, 16, 22, 99]); return `tensor "${t.name}" dataType = ${t.dataType}`; }
  t.rawData = new Uint8Array();
  return `tensor "${t.name}" loses its data`;
}

function mutateNode(r: Rand, n: NodeProto, names: string[]): string {
  const attrs = n.attribute ?? [];
  const k = int(r, 0, 6);
  if (k === 0 && attrs.length) return `${n.name}: ${mutateAttr(r, pick(r, attrs))}`;
  if (k <= 1) {
    const a = randomAttr(r, pick(r, ATTRS));
    n.attribute = [...attrs.filter((x) => x.name !== a.name), a];
    return `${n.name}: attribute ${a.name} set`;
  }
  if (k === 2 && attrs.length) {
    const a = pick(r, attrs);
    n.attribute = attrs.filter((x) => x !== a);
    return `${n.name}: attribute ${a.name} removed`;
  }
  if (k <= 3) { const op = n.opType; n.opType = pick(r, OPS); return `${n.name}: op ${op} → ${n.opType}`; }
  if (k === 4) {
    const ins = [...(n.input ?? [])];
    const how = int(r, 0, 3);
    if (how === 0 && ins.length) ins.pop();
    else if (how === 1 || !ins.length) ins.push(r() < 0.3 ? '' : pick(r, names));
    else ins[int(r, 0, ins.length)] = r() < 0.2 ? '' : pick(r, names);
    n.input = ins;
    return `${n.name}: inputs → [${ins.join(', ')}]`;
  }
  const outs = [...(n.output ?? [])];
  if (r() < 0.5 && outs.length > 1) outs.pop(); else outs.push(r() < 0.5 ? '' : `${n.name}_extra`);
  n.output = outs;
  return `${n.name}: outputs → [${outs.join(', ')}]`;
}

function mutateInput(r: Rand, g: GraphProto): string {
  const inputs = g.input ?? [];
  if (!inputs.length) return 'no input to change';
  const v = pick(r, inputs);
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  if (tt && r() < 0.3) { tt.elemType = pick(r, [0, 1, 6, 7, 9, 10, 13, 99]); return `input "${v.name}" elemType = ${tt.elemType}`; }
  if (dims.length && r() < 0.8) {
    const i = int(r, 0, dims.length);
    dims[i] = r() < 0.7 ? { dimValue: pick(r, INTS) } : { dimParam: 'S' };
    return `input "${v.name}" dim ${i} changed`;
  }
  g.input = inputs.filter((x) => x !== v);
  return `input "${v.name}" removed`;
}

/** One field-level change; undefined when the bytes no longer decode. */
export function mutateFields(r: Rand, bytes: Uint8Array): { bytes: Uint8Array; how: string } | undefined {
  let m: ReturnType<typeof onnx.ModelProto.decode>;
  try { m = onnx.ModelProto.decode(bytes); } catch { return undefined; }
  const graphs = allGraphs(m.graph);
  if (!graphs.length) return undefined;
  const g = pick(r, graphs);
  const nodes = g.node ?? [];
  const names = nodes.flatMap((n) => n.output ?? []).concat((g.input ?? []).map((i) => i.name ?? ''));
  const tensors: TensorProto[] = [...(g.initializer ?? []), ...nodes.flatMap((n) => (n.attribute ?? []).flatMap((a) => (a.t ? [a.t] : [])))];
  let how: string;
  const k = r();
  if (k < 0.6 && nodes.length) how = mutateNode(r, pick(r, nodes), names);
  else if (k < 0.8 && tensors.length) how = mutateTensor(r, pick(r, tensors));
  else if (k < 0.93) how = mutateInput(r, g);
  else {
    const o = m.opsetImport?.[0];
    if (o) o.version = int(r, 1, 26);
    how = `opset → ${o?.version}`;
  }
  return { bytes: new Uint8Array(onnx.ModelProto.encode(m).finish()), how: `field: ${how}` }; // not a Buffer: see makeSeed
}
