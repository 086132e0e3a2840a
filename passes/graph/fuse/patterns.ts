// Named fusion patterns: sub-graphs every target wants as one kernel, found before the generic rules
// run and handed to them as pre-made groups (seeds), which the rules may then grow.
//   Attention    MatMul → scale/mask (element-wise) → Softmax → MatMul   (two complex ops, one kernel)
//   LayerNorm    the decomposed form: ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div (· γ + β)
//   SkipLayerNorm  a residual Add feeding a LayerNorm; the sum stays an output when used elsewhere
//   Gelu / GeluTanh / HardSwish / HardSigmoid / Swish   element-wise chains of one input
// The last two families are "single-source regions": nodes whose only non-constant inputs are one
// value x and each other's outputs, with one value leaving; their ops name them.
import type { Graph, Node, Value } from '../../../src/ir/graph/graph.ts';
import type { Seed } from './groups.ts';
import { BROADCAST, ELEMWISE, type Kind, OUT_EWISE, REDUCE } from './kinds.ts';

interface Ctx {
  readonly g: Graph;
  readonly kinds: readonly Kind[];
  readonly index: ReadonlyMap<Node, number>;
  readonly outputs: ReadonlySet<Value>;
  readonly claimed: Set<number>;
}

/** A value read by exactly one node input and not a graph output. */
function single(c: Ctx, v: Value): boolean {
  return !c.outputs.has(v) && v.consumers.length === 1 && v.consumers[0].inputs.filter((x) => x === v).length === 1;
}

const free = (c: Ctx, n: Node | null | undefined): n is Node => !!n && !c.claimed.has(c.index.get(n)!);
const isEw = (c: Ctx, n: Node) => c.kinds[c.index.get(n)!] <= BROADCAST;

/** Walks up from `v` through single-use element-wise nodes to a single-use MatMul. */
function scoresFrom(c: Ctx, v: Value, depth: number, chain: Node[]): Node[] | undefined {
  const p = v.producer;
  if (!free(c, p) || !single(c, v)) return undefined;
  if (p.op === 'MatMul') return [p, ...chain];
  if (depth === 0 || !isEw(c, p)) return undefined;
  for (const x of p.inputs) {
    if (!x || x.isConstant) continue;
    const found = scoresFrom(c, x, depth - 1, [p, ...chain]);
    if (found) return found;
  }
  return undefined;
}

function attention(c: Ctx): Seed[] {
  const seeds: Seed[] = [];
  for (const s of c.g.nodes) {
    if (s.op !== 'Softmax' || !free(c, s) || !single(c, s.outputs[0])) continue;
    const mm2 = s.outputs[0].consumers[0];
    if (mm2.op !== 'MatMul' || mm2.inputs[0] !== s.outputs[0] || !free(c, mm2)) continue;
    const up = scoresFrom(c, s.inputs[0]!, 4, []);
    if (!up) continue;
    const nodes = [...up, s, mm2].map((n) => c.index.get(n)!);
    seeds.push({ nodes, kind: OUT_EWISE, complex: 1, name: 'Attention' });
    for (const i of nodes) c.claimed.add(i);
  }
  return seeds;
}

/** The largest single-source region from x that has one escaping value (its last node). */
function region(c: Ctx, x: Value): Node[] | undefined {
  const inside = new Set<Node>();
  const avail = new Set<Value>([x]);
  const queue = [...x.consumers];
  while (queue.length) {
    const n = queue.shift()!;
    if (inside.has(n) || !free(c, n)) continue;
    const k = c.kinds[c.index.get(n)!];
    if (k > BROADCAST && !(k === REDUCE && n.op.startsWith('Reduce'))) continue;
    if (!n.inputs.every((v) => !v || v.isConstant || avail.has(v))) continue;
    inside.add(n);
    for (const o of n.outputs) { avail.add(o); queue.push(...o.consumers); }
  }
  // Best sink: the latest node whose ancestors within the region leak nothing else.
  const members = [...inside].sort((a, b) => c.index.get(a)! - c.index.get(b)!);
  for (let k = members.length - 1; k >= 1; k--) {
    const sub = ancestorsWithin(members[k], inside);
    if (sub.length < 2) continue;
    const set = new Set(sub);
    const leaks = sub.some((n) => n !== members[k] && n.outputs.some((o) => c.outputs.has(o) || o.consumers.some((u) => !set.has(u))));
    if (!leaks) return sub.sort((a, b) => c.index.get(a)! - c.index.get(b)!);
  }
  return undefined;
}

function ancestorsWithin(sink: Node, inside: ReadonlySet<Node>): Node[] {
  const out = new Set<Node>();
  const stack = [sink];
  while (stack.length) {
    const n = stack.pop()!;
    if (out.has(n)) continue;
    out.add(n);
    for (const v of n.inputs) if (v?.producer && inside.has(v.producer)) stack.push(v.producer);
  }
  return [...out];
}

/** What a single-source region computes, or undefined when it is no named pattern. */
function nameOf(nodes: readonly Node[]): string | undefined {
  const count = (op: string) => nodes.filter((n) => n.op === op).length;
  if (count('ReduceMean') >= 2 && (count('Sqrt') || count('Reciprocal'))) return 'LayerNorm';
  if (count('Erf')) return 'Gelu';
  if (count('Tanh') && (count('Pow') || count('Mul') >= 3)) return 'GeluTanh';
  if (count('HardSigmoid') && count('Mul')) return 'HardSwish';
  if (count('Clip') && count('Add') && (count('Div') || count('Mul'))) return count('Mul') + count('Div') >= 2 ? 'HardSwish' : 'HardSigmoid';
  if (count('Sigmoid') && count('Mul')) return 'Swish';
  return undefined;
}

/** A residual Add feeding a norm; its sum may also be used elsewhere (then it is a second output). */
function skipInto(c: Ctx, x: Value): Node | undefined {
  const p = x.producer;
  if (!free(c, p) || p.op !== 'Add' || c.kinds[c.index.get(p)!] > BROADCAST) return undefined;
  return p.inputs.every((v) => v && !v.isConstant) ? p : undefined;
}

function regions(c: Ctx): Seed[] {
  const seeds: Seed[] = [];
  const sources: Value[] = [...c.g.inputs, ...c.g.nodes.flatMap((n) => n.outputs)];
  for (const x of sources) {
    const nodes = region(c, x);
    const name = nodes && nameOf(nodes);
    if (!nodes || !name) continue;
    const skip = name === 'LayerNorm' ? skipInto(c, x) : undefined;
    const all = skip ? [skip, ...nodes] : nodes;
    const kind = name === 'LayerNorm' ? REDUCE : nodes.some((n) => c.kinds[c.index.get(n)!] === BROADCAST) ? BROADCAST : ELEMWISE;
    seeds.push({ nodes: all.map((n) => c.index.get(n)!), kind, complex: 0, name: skip ? 'SkipLayerNorm' : name });
    for (const n of all) c.claimed.add(c.index.get(n)!);
  }
  return seeds;
}

/** LayerNormalization (the op) with the residual Add before it. */
function skipLayerNorm(c: Ctx): Seed[] {
  const seeds: Seed[] = [];
  for (const n of c.g.nodes) {
    if (n.op !== 'LayerNormalization' || !free(c, n)) continue;
    const skip = skipInto(c, n.inputs[0]!);
    if (!skip) continue;
    const nodes = [skip, n].map((m) => c.index.get(m)!);
    seeds.push({ nodes, kind: REDUCE, complex: 0, name: 'SkipLayerNorm' });
    for (const i of nodes) c.claimed.add(i);
  }
  return seeds;
}

export function namedPatterns(g: Graph, kinds: readonly Kind[]): Seed[] {
  const c: Ctx = { g, kinds, index: new Map(g.nodes.map((n, i) => [n, i])), outputs: new Set(g.outputs), claimed: new Set() };
  return [...attention(c), ...regions(c), ...skipLayerNorm(c)];
}
