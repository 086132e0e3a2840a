// Opset adapters: rewrite an op from an older opset into its newest form, so the rest of tscc sees
// one canonical version of each op. Mostly attributes that later opsets turned into inputs.
import type { Attr, Attrs } from '../../ir/graph/attrs.ts';
import { AttrReader } from '../../ir/graph/attrs.ts';
import type { NodeSpec, ValueSpec } from '../../ir/graph/graph.ts';
import type { Scope } from '../../ir/graph/infer.ts';
import { Tensor } from '../../ir/graph/tensor.ts';
import { isFloat } from '../../ir/graph/dtype.ts';
import { AttributeError, nodeRef } from '../../util/errors.ts';

export interface Rewrite { nodes: NodeSpec[]; constants?: ValueSpec[]; final?: boolean }
type Adapter = (node: NodeSpec, opset: number, scope: Scope) => Rewrite | undefined;

const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

/**
 * Moves attributes into (constant) inputs at the given positions; '' inputs fill gaps. `tensor` reads
 * the attribute through `r`, whose accessors reject a wrong kind (say, axes given as a string).
 */
function attrsToInputs(node: NodeSpec, moves: { attr: string; index: number; tensor: (r: AttrReader, name: string) => Tensor }[]): Rewrite | undefined {
  const reader = new AttrReader({ name: node.name, op: node.op, attrs: node.attrs ?? {} });
  const attrs: Record<string, Attr> = { ...(node.attrs ?? {}) };
  const inputs = [...node.inputs];
  const constants: ValueSpec[] = [];
  let changed = false;
  for (const m of moves) {
    const a = attrs[m.attr];
    if (!a) continue;
    delete attrs[m.attr];
    changed = true;
    const t = m.tensor(reader, m.attr);
    const name = `${node.name}::${m.attr}`;
    constants.push({ name, type: { dtype: t.dtype, shape: t.shape }, constant: t });
    while (inputs.length < m.index) inputs.push('');
    inputs[m.index] = name;
  }
  return changed ? { nodes: [{ ...node, inputs, attrs }], constants } : undefined;
}

const ints = (r: AttrReader, name: string) => Tensor.i64(r.ints(name));
const scalarOf = (dtype: Tensor['dtype']) => (r: AttrReader, name: string) => {
  const v = r.float(name);
  if (!isFloat(dtype) && !Number.isFinite(v)) throw new AttributeError(`${nodeRef(r.node)}: attribute "${name}" is ${v}, not a ${dtype} value`);
  return Tensor.scalar(dtype, v);
};

function inputDtype(node: NodeSpec, scope: Scope): Tensor['dtype'] {
  return scope.type(node.inputs[0])?.dtype ?? 'f32';
}

const ADAPTERS: Record<string, Adapter> = {
  Clip: (n, v, s) => (v < 11 ? attrsToInputs(n, [
    { attr: 'min', index: 1, tensor: scalarOf(inputDtype(n, s)) },
    { attr: 'max', index: 2, tensor: scalarOf(inputDtype(n, s)) },
  ]) : undefined),
  Split: (n, v) => (v < 13 ? attrsToInputs(n, [{ attr: 'split', index: 1, tensor: ints }]) : undefined),
  Squeeze: (n, v) => (v < 13 ? attrsToInputs(n, [{ attr: 'axes', index: 1, tensor: ints }]) : undefined),
  Unsqueeze: (n, v) => (v < 13 ? attrsToInputs(n, [{ attr: 'axes', index: 1, tensor: ints }]) : undefined),
  ReduceSum: (n, v) => (v < 13 ? attrsToInputs(n, [{ attr: 'axes', index: 1, tensor: ints }]) : undefined),
  ...Object.fromEntries(REDUCE_18.map((op) => [op, (n: NodeSpec, v: number) => (v < 18 ? attrsToInputs(n, [{ attr: 'axes', index: 1, tensor: ints }]) : undefined)])),
  Pad: (n, v, s) => (v < 11 ? attrsToInputs({ ...n, attrs: renamePads(n.attrs) }, [
    { attr: 'pads', index: 1, tensor: ints },
    { attr: 'value', index: 2, tensor: scalarOf(inputDtype(n, s)) },
  ]) : undefined),
  Slice: (n, v) => (v < 10 ? attrsToInputs(n, [
    { attr: 'starts', index: 1, tensor: ints },
    { attr: 'ends', index: 2, tensor: ints },
    { attr: 'axes', index: 3, tensor: ints },
  ]) : undefined),
  TopK: (n, v) => (v < 10 ? attrsToInputs(n, [{ attr: 'k', index: 1, tensor: (r, name) => Tensor.i64([r.int(name)]) }]) : undefined),
  // Scatter (opsets 9–10, deprecated in 11) is ScatterElements under its old name.
  Scatter: (n) => ({ nodes: [{ ...n, op: 'ScatterElements' }] }),
  Dropout: (n, v) => (v < 12 ? attrsToInputs(n, [{ attr: 'ratio', index: 1, tensor: scalarOf('f32') }]) : undefined),
  Upsample: (n) => upsampleToResize(n),
  Resize: (n, v, s) => (v === 10 ? resize10(n, s) : undefined),
  Softmax: (n, v, s) => legacySoftmax(n, v, s),
  LogSoftmax: (n, v, s) => legacySoftmax(n, v, s),
  Hardmax: (n, v, s) => legacySoftmax(n, v, s),
  LSTM: (n) => nameOmittedOutputs(n),
  GRU: (n) => nameOmittedOutputs(n),
  RNN: (n) => nameOmittedOutputs(n),
};

/** Recurrent layers may omit Y ('') yet use Y_h; the graph IR needs every output named. */
function nameOmittedOutputs(n: NodeSpec): Rewrite | undefined {
  if (!n.outputs.includes('')) return undefined;
  return { nodes: [{ ...n, outputs: n.outputs.map((o, i) => o || `${n.name}::unused${i}`) }] };
}

function renamePads(attrs: Attrs | undefined): Attrs {
  const a = { ...(attrs ?? {}) };
  if (a.paddings && !a.pads) { a.pads = a.paddings; delete a.paddings; }
  return a;
}

/** Upsample (opset 7–9) is Resize with asymmetric coordinates and floor rounding for nearest. */
function upsampleToResize(n: NodeSpec): Rewrite {
  const r = new AttrReader({ name: n.name, op: n.op, attrs: n.attrs ?? {} });
  const mode = r.string('mode', 'nearest');
  const attrs: Attrs = {
    mode: { kind: 'string', value: mode === 'bilinear' ? 'linear' : mode },
    coordinate_transformation_mode: { kind: 'string', value: 'asymmetric' },
    nearest_mode: { kind: 'string', value: 'floor' },
  };
  const constants: ValueSpec[] = [];
  let scalesName = n.inputs[1] ?? '';
  if (r.has('scales')) {
    const t = new Tensor('f32', [r.floats('scales').length], Float32Array.from(r.floats('scales')));
    scalesName = `${n.name}::scales`;
    constants.push({ name: scalesName, type: { dtype: 'f32', shape: t.shape }, constant: t });
  }
  return { nodes: [{ ...n, op: 'Resize', inputs: [n.inputs[0], '', scalesName], attrs }], constants };
}

/**
 * Resize-10 is asymmetric; onnxruntime rounds a nearest source down on axes it grows and up on
 * axes it shrinks. Opset 11+ has one nearest_mode per node, so constant scales that both shrink and
 * grow become two Resizes (axes are independent, so that is exact). Run-time scales are assumed
 * to upsample, as every exporter of Resize-10 uses them.
 */
function resize10(n: NodeSpec, s: Scope): Rewrite {
  const mode = new AttrReader({ name: n.name, op: n.op, attrs: n.attrs ?? {} }).string('mode', 'nearest');
  const attrs = (nearest: string): Attrs => ({
    mode: { kind: 'string', value: mode },
    coordinate_transformation_mode: { kind: 'string', value: 'asymmetric' },
    nearest_mode: { kind: 'string', value: nearest },
  });
  const v = (n.inputs[1] ? s.constant(n.inputs[1])?.toNumbers() : undefined) ?? [];
  const shrinks = mode === 'nearest' && v.some((x) => x < 1), grows = v.some((x) => x > 1);
  if (!shrinks || !grows) return { nodes: [{ ...n, inputs: [n.inputs[0], '', n.inputs[1]], attrs: attrs(shrinks ? 'ceil' : 'floor') }] };
  const part = (name: string, keep: (x: number) => boolean): ValueSpec => {
    const t = new Tensor('f32', [v.length], Float32Array.from(v, (x) => (keep(x) ? x : 1)));
    return { name, type: { dtype: 'f32', shape: t.shape }, constant: t };
  };
  const down = part(`${n.name}::shrink_scales`, (x) => x < 1), up = part(`${n.name}::grow_scales`, (x) => x > 1);
  const mid = `${n.name}::shrunk`;
  return {
    nodes: [
      { ...n, name: `${n.name}::shrink`, inputs: [n.inputs[0], '', down.name], outputs: [mid], attrs: attrs('ceil') },
      { ...n, inputs: [mid, '', up.name], attrs: attrs('floor') },
    ],
    constants: [down, up],
  };
}

/**
 * Before opset 13, Softmax-like ops flatten the input to 2-D at `axis` (default 1). That equals the
 * opset-13 op on the last axis when axis is the last dimension; otherwise it is Flatten → op → Reshape.
 */
function legacySoftmax(n: NodeSpec, v: number, s: Scope): Rewrite | undefined {
  if (v >= 13) return undefined;
  const rank = s.type(n.inputs[0])?.shape.length ?? 0;
  const r = new AttrReader({ name: n.name, op: n.op, attrs: n.attrs ?? {} });
  let axis = r.int('axis', 1);
  if (axis < 0) axis += rank;
  if (axis === rank - 1) return { nodes: [{ ...n, attrs: { axis: { kind: 'int', value: -1 } } }] };
  const flat = `${n.name}::flat`, soft = `${n.name}::soft`, shape = `${n.name}::shape`;
  return {
    nodes: [
      { name: `${n.name}::flatten`, op: 'Flatten', inputs: [n.inputs[0]], outputs: [flat], attrs: { axis: { kind: 'int', value: axis } } },
      { name: n.name, op: n.op, inputs: [flat], outputs: [soft], attrs: { axis: { kind: 'int', value: -1 } } },
      { name: `${n.name}::shape`, op: 'Shape', inputs: [n.inputs[0]], outputs: [shape] },
      { name: `${n.name}::reshape`, op: 'Reshape', inputs: [soft, shape], outputs: n.outputs },
    ],
  };
}

export function adaptNode(node: NodeSpec, scope: Scope): Rewrite | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const rw = ADAPTERS[node.op]?.(node, scope.opset, scope);
  return rw && { ...rw, final: true };
}
