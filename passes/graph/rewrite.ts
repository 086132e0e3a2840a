// The one generic rewriter the simplification passes share (tinygrad's graph_rewrite, for a graph of
// nodes): visit nodes in topological order with their inputs already renamed through earlier
// rewrites, let a rule replace a node by nodes, constants, or aliases of existing values, then drop
// whatever no graph output needs. Graph outputs keep their names: an output aliased to another value
// renames that value's producer, or, where that is not possible, becomes an Identity of it.
import { Graph, type GraphSpec, type NodeSpec, type TensorType, type ValueSpec } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';

export interface Rewrite {
  /** Nodes that replace the visited one (in order); they may reuse its output names. */
  readonly nodes?: readonly NodeSpec[];
  readonly constants?: readonly ValueSpec[];
  /** Output name → the existing value that now stands for it. */
  readonly alias?: Readonly<Record<string, string>>;
  /** Types of new intermediate values the replacement nodes define. */
  readonly types?: ReadonlyMap<string, TensorType>;
}

export interface RewriteCtx {
  readonly opset: number;
  type(name: string): TensorType;
  constant(name: string): Tensor | undefined;
  /** The node that defines a value in the graph being built (after earlier rewrites). */
  producer(name: string): NodeSpec | undefined;
  /** How many node inputs and graph outputs read a value in the input graph. */
  uses(name: string): number;
  isOutput(name: string): boolean;
  fresh(prefix: string): string;
}

export type Rule = (node: NodeSpec, ctx: RewriteCtx) => Rewrite | undefined;

export interface RewriteOptions {
  /** Aliases known before the walk (e.g. duplicate constants). */
  readonly alias?: ReadonlyMap<string, string>;
}

export function rewriteGraph(graph: Graph, rule: Rule, opts: RewriteOptions = {}): Graph {
  const spec = graph.toSpec();
  const types = new Map<string, TensorType>(spec.types);
  const consts = new Map<string, Tensor>();
  for (const v of spec.inputs) types.set(v.name, v.type);
  for (const c of spec.constants) { types.set(c.name, c.type); consts.set(c.name, c.constant!); }
  const constants = [...spec.constants];
  const alias = new Map(opts.alias ?? []);
  const resolve = (n: string): string => { let r = n; while (alias.has(r)) r = alias.get(r)!; return r; };
  const uses = countUses(spec);
  const outputs = new Set(spec.outputs);
  const producers = new Map<string, NodeSpec>();
  const taken = new Set<string>([...types.keys(), ...spec.nodes.map((n) => n.name)]);
  const ctx: RewriteCtx = {
    opset: spec.opsets[''] ?? 0,
    type: (n) => types.get(n) ?? missing(n),
    constant: (n) => consts.get(n),
    producer: (n) => producers.get(n),
    uses: (n) => uses.get(n) ?? 0,
    isOutput: (n) => outputs.has(n),
    fresh: (prefix) => { let k = 0; while (taken.has(`${prefix}_${k}`)) k++; taken.add(`${prefix}_${k}`); return `${prefix}_${k}`; },
  };
  const nodes: NodeSpec[] = [];
  const emit = (n: NodeSpec) => { nodes.push(n); for (const o of n.outputs) producers.set(o, n); };
  for (const node of spec.nodes) {
    const n = { ...node, inputs: node.inputs.map((x) => (x === '' ? '' : resolve(x))) };
    const r = rule(n, ctx);
    if (!r) { emit(n); continue; }
    for (const c of r.constants ?? []) { types.set(c.name, c.type); consts.set(c.name, c.constant!); constants.push(c); taken.add(c.name); }
    for (const [k, t] of r.types ?? []) { types.set(k, t); taken.add(k); }
    for (const [k, v] of Object.entries(r.alias ?? {})) alias.set(k, resolve(v));
    for (const m of r.nodes ?? []) emit({ ...m, inputs: m.inputs.map((x) => (x === '' ? '' : resolve(x))) });
  }
  const out = keepOutputNames(spec, nodes, resolve, types, consts, ctx);
  return buildLive({ ...spec, constants }, out, types);
}

/** Makes every graph output name defined again after aliasing (see the file comment). */
function keepOutputNames(spec: GraphSpec, nodes: NodeSpec[], resolve: (n: string) => string, types: Map<string, TensorType>,
  consts: Map<string, Tensor>, ctx: RewriteCtx): NodeSpec[] {
  const inputs = new Set(spec.inputs.map((v) => v.name));
  const outputs = new Set(spec.outputs);
  let out = nodes;
  for (const o of spec.outputs) {
    const r = resolve(o);
    if (r === o) continue;
    const renamable = !inputs.has(r) && !consts.has(r) && !outputs.has(r) && out.some((n) => n.outputs.includes(r));
    types.set(o, types.get(r)!);
    if (renamable) {
      const ren = (x: string) => (x === r ? o : x);
      out = out.map((n) => ({ ...n, inputs: n.inputs.map(ren), outputs: n.outputs.map(ren) }));
      outputs.add(r); // taken now: a second output aliased to r gets an Identity of o
    } else {
      out = [...out, { name: ctx.fresh('identity'), op: 'Identity', inputs: [r], outputs: [o] }];
    }
  }
  return out;
}

/** Builds the graph from the nodes that some graph output needs, and the constants they read. */
export function buildLive(spec: GraphSpec, nodes: readonly NodeSpec[], types: ReadonlyMap<string, TensorType>): Graph {
  const need = new Set(spec.outputs);
  const keep: NodeSpec[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => need.has(o))) continue;
    keep.push(n);
    for (const x of readsOf(n)) need.add(x);
  }
  keep.reverse();
  const nodeTypes = new Map<string, TensorType>();
  for (const n of keep) for (const o of n.outputs) if (o !== '') nodeTypes.set(o, types.get(o) ?? missing(o));
  const seen = new Set<string>();
  const constants = spec.constants.filter((c) => need.has(c.name) && !seen.has(c.name) && seen.add(c.name));
  return Graph.build({ ...spec, constants, nodes: keep, types: nodeTypes });
}

/** Values a node reads: its inputs and what its subgraphs capture. */
export function readsOf(n: NodeSpec): string[] {
  const r = n.inputs.filter((x) => x !== '');
  for (const a of Object.values(n.attrs ?? {})) if (a.kind === 'graph') r.push(...a.value.captures.map((c) => c.name));
  return r;
}

function countUses(spec: GraphSpec): Map<string, number> {
  const uses = new Map<string, number>();
  const add = (x: string) => uses.set(x, (uses.get(x) ?? 0) + 1);
  for (const n of spec.nodes) for (const x of readsOf(n)) add(x);
  for (const o of spec.outputs) add(o);
  return uses;
}

function missing(name: string): never {
  throw new Error(`rewrite: value "${name}" has no type`);
}
