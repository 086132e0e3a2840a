// Shape and dtype inference over a graph description in topological order. Along the way it
// (1) lets a frontend rewrite nodes once their input types are known (opset adapters, If inlining),
// (2) propagates the symbolic contents of shape tensors, and (3) folds nodes whose inputs are all
// constant, so shape sub-graphs (Shape→Gather→Concat→Reshape …) become constants when shapes are known.
import { ModelError, UnsupportedError, nodeRef } from '../../util/errors.ts';
import { isFloat } from './dtype.ts';
import type { Dim, GraphSpec, NodeSpec, TensorType, ValueSpec } from './graph.ts';
import { lookupOp, makeCtx } from './ops/registry.ts';
import './ops/index.ts';
import { Tensor, sizeOf } from './tensor.ts';

export interface Scope {
  readonly opset: number;
  type(name: string): TensorType | undefined;
  constant(name: string): Tensor | undefined;
  /** Every value type visible here, for inferring subgraph bodies. */
  types(): Map<string, TensorType>;
}

export interface InferOptions {
  /** Replace a node by canonical nodes (opset adapters, If inlining); undefined keeps it. */
  rewrite?: (node: NodeSpec, scope: Scope) => { nodes: NodeSpec[]; constants?: ValueSpec[]; final?: boolean } | undefined;
  /** Evaluates a node on constant inputs (the reference runtime); enables constant folding. */
  evaluate?: (node: NodeSpec, inputs: (Tensor | null)[], opset: number) => Tensor[];
  /** Largest constant (in elements) that folding may create. */
  foldLimit?: number;
  /** Drop nodes whose outputs no graph output needs. */
  eliminateDead?: boolean;
}

const NOT_FOLDABLE = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'If', 'Loop', 'Scan']);

/** Infers every value's type. `spec.types` may be partial on entry; the result's is complete. */
export function inferGraph(spec: GraphSpec, opts: InferOptions = {}): GraphSpec {
  const opset = spec.opsets[''] ?? 0;
  const types = new Map<string, TensorType>();
  const consts = new Map<string, Tensor>();
  const symbolic = new Map<string, readonly Dim[]>();
  for (const [k, t] of spec.outer ?? []) types.set(k, t);
  for (const v of spec.inputs) types.set(v.name, v.type);
  const constants: ValueSpec[] = [];
  const addConst = (c: ValueSpec) => {
    types.set(c.name, c.type);
    consts.set(c.name, c.constant!);
    constants.push(c);
    const d = smallIntContents(c.constant!);
    if (d) symbolic.set(c.name, d);
  };
  for (const c of spec.constants) addConst(c);

  let freshId = 0;
  const fresh = () => `unk_${freshId++}`;
  const scope: Scope = {
    opset,
    type: (n) => types.get(n),
    constant: (n) => consts.get(n),
    types: () => new Map(types),
  };

  const out: NodeSpec[] = [];
  const pending = [...spec.nodes];
  const done = new WeakSet<NodeSpec>(); // rewritten into canonical form already
  const limit = opts.foldLimit ?? 1 << 24;
  for (let idx = 0; idx < pending.length; idx++) {
    const node = pending[idx];
    const rw = done.has(node) ? undefined : opts.rewrite?.(node, scope);
    if (rw) {
      for (const c of rw.constants ?? []) addConst(c);
      if (rw.final) for (const n of rw.nodes) done.add(n);
      pending.splice(idx + 1, 0, ...rw.nodes);
      continue;
    }
    const def = lookupOp(node.domain ?? '', node.op);
    if (!def) throw new UnsupportedError(`${nodeRef(node)}: op ${node.domain ? node.domain + '.' : ''}${node.op} is not supported`);
    const ins = node.inputs.map((n) => {
      if (n === '') return null;
      const t = types.get(n);
      if (!t) throw new ModelError(`${nodeRef(node)}: input "${n}" is not defined before it`);
      return t;
    });
    const ctx = makeCtx(node, opset, ins,
      (i) => (node.inputs[i] ? consts.get(node.inputs[i]) : undefined),
      (i) => (node.inputs[i] ? symbolic.get(node.inputs[i]) : undefined), fresh);
    const outTypes = def.infer(ctx);
    if (node.outputs.length > outTypes.length) {
      throw new ModelError(`${nodeRef(node)}: has ${node.outputs.length} outputs, at most ${outTypes.length} allowed`);
    }

    // Fold when every input is constant, or when the outputs' contents are known exactly.
    const allConst = node.inputs.every((n) => n === '' || consts.has(n));
    if (opts.evaluate && allConst && !NOT_FOLDABLE.has(node.op) && outTypes.every((t) => isConcrete(t.shape) && sizeOf(t.shape as number[]) <= limit)) {
      const inputs = node.inputs.map((n) => (n === '' ? null : consts.get(n)!));
      const results = opts.evaluate(node, inputs, opset);
      node.outputs.forEach((name, i) => {
        if (name !== '') addConst({ name, type: { dtype: results[i].dtype, shape: results[i].shape }, constant: results[i] });
      });
      continue;
    }
    const vals = def.values?.(ctx);
    if (vals && node.outputs.every((n, i) => n === '' || (vals[i] && vals[i]!.every((d) => typeof d === 'number')))) {
      node.outputs.forEach((name, i) => {
        if (name === '') return;
        const t = outTypes[i];
        addConst({ name, type: t, constant: Tensor.fromNumbers(t.dtype, t.shape as number[], vals[i] as number[]) });
      });
      continue;
    }
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      if (types.has(name)) throw new ModelError(`${nodeRef(node)}: output "${name}" is defined twice`);
      types.set(name, outTypes[i]);
      if (vals?.[i]) symbolic.set(name, vals[i]!);
    });
    out.push(node);
  }

  for (const o of spec.outputs) if (!types.has(o)) throw new ModelError(`graph "${spec.name}": output "${o}" is never produced`);
  const live = opts.eliminateDead ? liveNodes(out, spec.outputs) : out;
  const used = new Set<string>([...spec.outputs, ...live.flatMap((n) => n.inputs), ...live.flatMap(bodyCaptures)]);
  const nodeTypes = new Map<string, TensorType>();
  for (const n of live) for (const o of n.outputs) if (o !== '') nodeTypes.set(o, types.get(o)!);
  return {
    ...spec,
    constants: constants.filter((c) => used.has(c.name)),
    nodes: live,
    types: nodeTypes,
  };
}

function bodyCaptures(n: NodeSpec): string[] {
  const names: string[] = [];
  for (const a of Object.values(n.attrs ?? {})) if (a.kind === 'graph') names.push(...a.value.captures.map((c) => c.name));
  if (n.body) names.push(...n.body.captures.map((c) => c.name));
  return names;
}

function liveNodes(nodes: NodeSpec[], outputs: readonly string[]): NodeSpec[] {
  const need = new Set(outputs);
  const keep: NodeSpec[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => need.has(o))) continue;
    keep.push(n);
    for (const x of n.inputs) if (x) need.add(x);
    for (const x of bodyCaptures(n)) need.add(x);
  }
  return keep.reverse();
}

export function isConcrete(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}

function smallIntContents(t: Tensor): Dim[] | undefined {
  if (t.rank > 1 || t.size > 64 || isFloat(t.dtype) || t.dtype === 'bool') return undefined;
  return t.toNumbers();
}
