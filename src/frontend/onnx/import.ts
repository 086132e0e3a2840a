// ONNX ModelProto → graph IR: decode, convert values/attributes, sort, adapt opsets, infer, fold.
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { FileError, ModelError, ParseError, TsccError, UnsupportedError, nodeRef } from '../../util/errors.ts';
import type { Attr } from '../../ir/graph/attrs.ts';
import { Graph, type Dim, type GraphSpec, type NodeSpec, type TensorType, type ValueSpec } from '../../ir/graph/graph.ts';
import { inferGraph, type Scope } from '../../ir/graph/infer.ts';
import { Tensor } from '../../ir/graph/tensor.ts';
import { evaluateNode } from '../../runtime/evaluate.ts';
import { adaptNode } from './adapters.ts';
import { AttrReader } from '../../ir/graph/attrs.ts';
import { bodyInputTypes, widenCarried } from '../../ir/graph/ops/control.ts';
import { type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto, num, onnx } from './proto.ts';
import { checkDims, dtypeOf, tensorFromProto } from './tensor.ts';

export const MIN_OPSET = 7;
export const MAX_OPSET = 23;

export interface LoadOptions {
  /** Bind input shapes: input name → concrete dims. */
  shapes?: Record<string, readonly number[]>;
  /** Fold constant sub-graphs while importing (default true). */
  fold?: boolean;
}

export interface Model {
  readonly graph: Graph;
  /** The file it came from, or "<bytes>". */
  readonly file: string;
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: Readonly<Record<string, number>>;
}

export function loadOnnxFile(path: string, opts: LoadOptions = {}): Model {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw new FileError(`${path}: not a regular file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof TsccError) throw e;
    throw new FileError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return loadOnnxBytes(bytes, { ...opts, file: path, baseDir: dirname(resolve(path)) });
}

export function loadOnnxBytes(bytes: Uint8Array, opts: LoadOptions & { file?: string; baseDir?: string } = {}): Model {
  const file = opts.file ?? '<bytes>';
  const where = basename(file);
  const proto = decodeModel(bytes, file);
  const opsets: Record<string, number> = {};
  for (const o of proto.opsetImport ?? []) {
    const d = o.domain === 'ai.onnx' ? '' : o.domain ?? '';
    opsets[d] = num(o.version);
  }
  const v = opsets[''] ?? (proto.opsetImport?.length ? undefined : 1);
  if (v === undefined || v < MIN_OPSET || v > MAX_OPSET) {
    throw new UnsupportedError(`${where}: default-domain opset ${v ?? 'missing'} is not supported (tscc reads opsets ${MIN_OPSET}–${MAX_OPSET})`);
  }
  const importer = new Importer(where, opts.baseDir, opsets, opts.fold ?? true);
  const graph = importer.topGraph(proto.graph!, opts.shapes ?? {});
  return { graph, file, irVersion: num(proto.irVersion), producer: proto.producerName ?? '', opsets };
}

function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ParseError(`${file}: not a valid ONNX model (${(e as Error).message})`);
  }
  if (!m.graph || num(m.irVersion) <= 0) throw new ParseError(`${file}: not an ONNX model (no graph or IR version)`);
  return m;
}

class Importer {
  private readonly subgraphs = new WeakMap<NodeSpec, Map<string, GraphProto>>();
  constructor(
    readonly where: string,
    readonly baseDir: string | undefined,
    readonly opsets: Record<string, number>,
    readonly fold: boolean,
  ) {}

  topGraph(g: GraphProto, shapes: Record<string, readonly number[]>): Graph {
    const spec = this.rawSpec(g, new Map());
    const inputs = bindShapes(spec.inputs, shapes, this.where);
    return this.finish({ ...spec, inputs });
  }

  private finish(spec: GraphSpec): Graph {
    const inferred = inferGraph(spec, {
      rewrite: (n, s) => this.rewrite(n, s),
      evaluate: this.fold ? evaluateNode : undefined,
      eliminateDead: true,
    });
    return Graph.build(inferred);
  }

  /** A GraphProto as a spec: typed inputs, constants, sorted nodes; node types still to infer. */
  private rawSpec(g: GraphProto, outer: ReadonlyMap<string, TensorType>): GraphSpec {
    const gname = g.name || 'main';
    const constants: ValueSpec[] = [];
    const constNames = new Set<string>();
    for (const t of g.initializer ?? []) {
      const c = tensorFromProto(t, { baseDir: this.baseDir, where: `${this.where}: initializer` });
      if (!t.name) throw new ModelError(`${this.where}: an initializer has no name`);
      if (constNames.has(t.name)) throw new ModelError(`${this.where}: initializer "${t.name}" is defined twice`);
      constNames.add(t.name);
      constants.push({ name: t.name, type: { dtype: c.dtype, shape: c.shape }, constant: c });
    }
    if ((g.sparseInitializer ?? []).length) throw new UnsupportedError(`${this.where}: sparse initializers are not supported`);
    const inputs = (g.input ?? []).filter((i) => !constNames.has(i.name ?? '')).map((i) => ({ name: i.name ?? '', type: this.valueType(i) }));
    const nodes: NodeSpec[] = [];
    const names = new Set<string>();
    (g.node ?? []).forEach((np, i) => {
      const n = this.node(np, i, names);
      if (n.op === 'Constant' && (n.domain ?? '') === '') constants.push(this.constantNode(n));
      else nodes.push(n);
    });
    const outputs = (g.output ?? []).map((o) => o.name ?? '');
    if (outputs.length === 0) throw new ModelError(`${this.where}: graph "${gname}" has no outputs`);
    const known = new Set([...inputs.map((i) => i.name), ...constants.map((c) => c.name), ...outer.keys()]);
    return { name: gname, opsets: this.opsets, inputs, constants, nodes: topoSort(nodes, known, this.where), outputs, types: new Map(), outer };
  }

  private valueType(v: ValueInfoProto): TensorType {
    const name = v.name ?? '';
    const tt = v.type?.tensorType;
    if (!tt) throw new UnsupportedError(`${this.where}: input "${name}" is not a tensor (sequence, map and optional inputs are not supported)`);
    const dtype = dtypeOf(tt.elemType, `${this.where}: input "${name}"`);
    const dims = tt.shape?.dim ?? [];
    const shape: Dim[] = dims.map((d, i) => {
      if ((d as { value?: string }).value === 'dimValue') {
        const n = num(d.dimValue);
        checkDims([n], `${this.where}: input "${name}"`);
        return n;
      }
      return d.dimParam || `${name}_dim${i}`;
    });
    return { dtype, shape };
  }

  private node(np: NodeProto, index: number, names: Set<string>): NodeSpec {
    const op = np.opType ?? '';
    if (!op) throw new ModelError(`${this.where}: node #${index} has no op type`);
    let name = np.name || `${op}_${index}`;
    while (names.has(name)) name = `${name}_${index}`;
    names.add(name);
    const domain = np.domain === 'ai.onnx' ? '' : np.domain ?? '';
    const ref = nodeRef({ name, op });
    const attrs: Record<string, Attr> = {};
    const graphs = new Map<string, GraphProto>();
    for (const a of np.attribute ?? []) {
      if (!a.name) throw new ModelError(`${this.where}: ${ref} has an attribute with no name`);
      if (a.type === 5 || (!a.type && a.g)) {
        if (!a.g) throw new ModelError(`${this.where}: ${ref} attribute "${a.name}" is a graph with no graph`);
        graphs.set(a.name, a.g);
        continue;
      }
      attrs[a.name] = this.attr(a, ref);
    }
    const spec: NodeSpec = { name, op, domain, inputs: [...(np.input ?? [])], outputs: [...(np.output ?? [])], attrs };
    if (graphs.size) this.subgraphs.set(spec, graphs);
    return spec;
  }

  private attr(a: AttributeProto, ref: string): Attr {
    const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
    const where = `${this.where}: ${ref} attribute "${a.name}"`;
    switch (a.type ?? 0) {
      case 1: return { kind: 'float', value: a.f ?? 0 };
      case 2: return { kind: 'int', value: num(a.i) };
      case 3: return { kind: 'string', value: utf8(a.s ?? new Uint8Array()) };
      case 4: return { kind: 'tensor', value: tensorFromProto(a.t ?? {}, { baseDir: this.baseDir, where }) };
      case 6: return { kind: 'floats', value: a.floats ?? [] };
      case 7: return { kind: 'ints', value: (a.ints ?? []).map(num) };
      case 8: return { kind: 'strings', value: (a.strings ?? []).map(utf8) };
      case 0: {
        // IR < 3 models may omit the type; infer it from the field that is set.
        if (a.ints?.length) return { kind: 'ints', value: a.ints.map(num) };
        if (a.floats?.length) return { kind: 'floats', value: a.floats };
        if (a.strings?.length) return { kind: 'strings', value: a.strings.map(utf8) };
        if (a.t) return { kind: 'tensor', value: tensorFromProto(a.t, { baseDir: this.baseDir, where }) };
        if (a.s?.length) return { kind: 'string', value: utf8(a.s) };
        if (a.f) return { kind: 'float', value: a.f };
        return { kind: 'int', value: num(a.i) };
      }
      default: throw new UnsupportedError(`${where}: attribute type ${a.type} is not supported`);
    }
  }

  private constantNode(n: NodeSpec): ValueSpec {
    const a = n.attrs ?? {};
    const ref = nodeRef(n);
    if (n.outputs.length !== 1) throw new ModelError(`${this.where}: ${ref} must have one output`);
    const keys = Object.keys(a);
    if (keys.length !== 1) throw new ModelError(`${this.where}: ${ref} must have exactly one value attribute`);
    const k = keys[0], v = a[k];
    let t: Tensor;
    const T = (dtype: Tensor['dtype'], shape: number[], vals: readonly number[]) => Tensor.fromNumbers(dtype, shape, vals);
    if (k === 'value' && v.kind === 'tensor') t = v.value;
    else if (k === 'value_float' && (v.kind === 'float' || v.kind === 'int')) t = T('f32', [], [v.value]);
    else if (k === 'value_floats' && v.kind === 'floats') t = T('f32', [v.value.length], v.value);
    else if (k === 'value_int' && v.kind === 'int') t = T('i64', [], [v.value]);
    else if (k === 'value_ints' && v.kind === 'ints') t = T('i64', [v.value.length], v.value);
    else throw new UnsupportedError(`${this.where}: ${ref} attribute "${k}" (${v.kind}) is not supported`);
    return { name: n.outputs[0], type: { dtype: t.dtype, shape: t.shape }, constant: t };
  }

  /** Opset adapters, and If: inline the taken branch when the condition is known, else import both. */
  private rewrite(n: NodeSpec, scope: Scope) {
    const graphs = this.subgraphs.get(n);
    if (!graphs) return adaptNode(n, scope);
    if (n.op === 'Loop' || n.op === 'Scan') return this.loopBody(n, scope, graphs.get('body'));
    if (n.op !== 'If') throw new UnsupportedError(`${this.where}: ${nodeRef(n)}: control flow op ${n.op} is not supported`);
    const cond = scope.constant(n.inputs[0]);
    const then = graphs.get('then_branch'), els = graphs.get('else_branch');
    if (!then || !els) throw new ModelError(`${this.where}: ${nodeRef(n)} needs then_branch and else_branch`);
    if (cond) return this.inline(n, Number(cond.data[0]) ? then : els, scope);
    const outer = scope.types();
    const built = (g: GraphProto) => this.finish({ ...this.rawSpec(g, outer) });
    const attrs: Record<string, Attr> = { ...n.attrs, then_branch: { kind: 'graph', value: built(then) }, else_branch: { kind: 'graph', value: built(els) } };
    return { nodes: [{ ...n, attrs }], final: true };
  }

  /** Loop / Scan: the body is built with its inputs typed from the node's inputs (see bodyInputTypes). */
  private loopBody(n: NodeSpec, scope: Scope, g: GraphProto | undefined) {
    if (!g) throw new ModelError(`${this.where}: ${nodeRef(n)} needs a body graph`);
    const fail = (m: string): never => { throw new ModelError(`${this.where}: ${nodeRef(n)}: ${m}`); };
    const spec = this.rawSpec(g, scope.types());
    const inputs = n.inputs.map((x) => (x === '' ? null : scope.type(x) ?? fail(`input "${x}" is not defined before it`)));
    const attr = new AttrReader({ name: n.name, op: n.op, attrs: n.attrs ?? {} });
    const types = bodyInputTypes(n.op, attr, inputs, spec.outputs.length, fail);
    if (types.length !== spec.inputs.length) fail(`the body takes ${spec.inputs.length} inputs, the node supplies ${types.length}`);
    const build = (ts: readonly TensorType[]) => this.finish({ ...spec, inputs: spec.inputs.map((v, i) => ({ ...v, type: ts[i] })) });
    let body = build(types);
    const wide = widenCarried(n.op, attr, n.name, types, body);
    if (wide) body = build(wide);
    const attrs: Record<string, Attr> = { ...n.attrs, body: { kind: 'graph', value: body } };
    return { nodes: [{ ...n, attrs }], final: true };
  }

  private inline(n: NodeSpec, g: GraphProto, scope: Scope) {
    // The branch may read any value of the enclosing graph, as a subgraph can.
    const sub = this.rawSpec(g, scope.types());
    const prefix = `${n.name}/`;
    const local = new Set([...sub.constants.map((c) => c.name), ...sub.nodes.flatMap((x) => x.outputs)]);
    const rename = (s: string) => (s !== '' && local.has(s) ? prefix + s : s);
    const nodes: NodeSpec[] = sub.nodes.map((x) => {
      const copy = { ...x, name: prefix + x.name, inputs: x.inputs.map(rename), outputs: x.outputs.map(rename) };
      const gs = this.subgraphs.get(x);
      if (gs) this.subgraphs.set(copy, gs);
      return copy;
    });
    sub.outputs.forEach((o, i) => {
      if (n.outputs[i]) nodes.push({ name: `${prefix}out${i}`, op: 'Identity', inputs: [rename(o)], outputs: [n.outputs[i]] });
    });
    return { nodes, constants: sub.constants.map((c) => ({ ...c, name: rename(c.name) })) };
  }
}

/** Kahn's algorithm, stable with respect to file order; a leftover node means a cycle or a missing value. */
function topoSort(nodes: NodeSpec[], known: Set<string>, where: string): NodeSpec[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => { if (o !== '') producer.set(o, i); }));
  const waiting = nodes.map((n) => new Set(n.inputs.filter((x) => x !== '' && !known.has(x) && producer.has(x) && producer.get(x) !== -1)));
  const users = new Map<number, number[]>();
  nodes.forEach((n, i) => waiting[i].forEach((x) => { const p = producer.get(x)!; users.set(p, [...(users.get(p) ?? []), i]); }));
  for (const [i, n] of nodes.entries()) {
    for (const x of n.inputs) {
      if (x !== '' && !known.has(x) && !producer.has(x)) throw new ModelError(`${where}: ${nodeRef(n)} uses "${x}", which no node, input or initializer defines`);
    }
  }
  const pendingCount = waiting.map((w) => new Set([...w].map((x) => producer.get(x)!)).size);
  const order: NodeSpec[] = [];
  const ready = nodes.map((_, i) => i).filter((i) => pendingCount[i] === 0);
  const doneSet = new Set<number>();
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(nodes[i]);
    doneSet.add(i);
    for (const u of new Set(users.get(i) ?? [])) if (--pendingCount[u] === 0) ready.push(u);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => !doneSet.has(i))!;
    throw new ModelError(`${where}: the graph has a cycle through ${nodeRef(stuck)}`);
  }
  return order;
}

function bindShapes(inputs: readonly ValueSpec[], shapes: Record<string, readonly number[]>, where: string): ValueSpec[] {
  const names = new Set(inputs.map((i) => i.name));
  for (const k of Object.keys(shapes)) if (!names.has(k)) throw new ModelError(`${where}: --shape names "${k}", which is not a model input (inputs: ${[...names].join(', ')})`);
  const symbols = new Map<string, number>();
  for (const i of inputs) {
    const s = shapes[i.name];
    if (!s) continue;
    if (s.length !== i.type.shape.length) throw new ModelError(`${where}: --shape ${i.name} has rank ${s.length}, the model says ${i.type.shape.length}`);
    i.type.shape.forEach((d, k) => {
      if (typeof d === 'number' && d !== s[k]) throw new ModelError(`${where}: --shape ${i.name} dim ${k} is ${s[k]}, the model fixes it at ${d}`);
      if (typeof d === 'string') symbols.set(d, s[k]);
    });
  }
  return inputs.map((i) => ({ ...i, type: { ...i.type, shape: i.type.shape.map((d) => (typeof d === 'string' ? symbols.get(d) ?? d : d)) } }));
}
