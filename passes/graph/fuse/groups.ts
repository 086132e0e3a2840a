// Fusion groups by TVM's rules (src/relay/transforms/fuse_ops.cc), over the post-dominator tree:
// a node joins the group of its immediate post-dominator when every node on every path between them
// has a kind the rule allows. Groups are a union-find whose root carries the combined kind.
//   phase 0: a complex op (conv, matmul) absorbs an element-wise/broadcast epilogue;
//            element-wise/broadcast nodes join a sink of any fusable kind (a reduction or complex op
//            as the sink, so they become its prologue);
//   phase 1: injective nodes join injective groups — and, unlike TVM, a reduction or complex sink
//            too, since our lowering reads a producer through its index map (Transpose → MatMul).
// Constraints on top: reductions only ever as sinks (a reduction's group joins nothing), at most one
// complex op per group, and at most MAX_GROUP nodes.
import { BROADCAST, INJECTIVE, type Kind, OPAQUE, OUT_EWISE, REDUCE } from './kinds.ts';
import { type PostDom, ROOT } from './postdom.ts';

const MAX_GROUP = 64;

export interface Seed {
  /** Node indices forming a pre-made group (a named pattern). */
  readonly nodes: readonly number[];
  readonly kind: Kind;
  /** Complex ops it counts as: a whole attention block is one. */
  readonly complex: number;
  readonly name: string;
}

export class Groups {
  readonly parent: Int32Array;
  readonly kind: Kind[];
  readonly size: Int32Array;
  readonly complex: Int32Array;
  /** Pattern name of a named seed, by its root. */
  readonly names = new Map<number, string>();

  constructor(kinds: readonly Kind[]) {
    const n = kinds.length;
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.kind = [...kinds];
    this.size = new Int32Array(n).fill(1);
    this.complex = Int32Array.from(kinds, (k) => (k === OUT_EWISE ? 1 : 0));
  }

  find(i: number): number {
    while (this.parent[i] !== i) { this.parent[i] = this.parent[this.parent[i]]; i = this.parent[i]; }
    return i;
  }

  /** Merges the group of `child` into the group of `into` (whose root stays the root). */
  merge(child: number, into: number): void {
    const a = this.find(child), b = this.find(into);
    if (a === b) return;
    this.parent[a] = b;
    this.kind[b] = Math.max(this.kind[a], this.kind[b]) as Kind;
    this.size[b] += this.size[a];
    this.complex[b] += this.complex[a];
    const name = this.names.get(a);
    if (name && !this.names.has(b)) this.names.set(b, name);
  }

  seed(s: Seed): void {
    const root = s.nodes[s.nodes.length - 1];
    for (const i of s.nodes) this.merge(i, root);
    const r = this.find(root);
    this.kind[r] = s.kind;
    this.complex[r] = s.complex;
    this.names.set(r, s.name);
  }
}

type Cond = (kind: Kind, isSink: boolean) => boolean;

/** Nodes on paths from `src` (exclusive) to `sink` (inclusive), or undefined if one fails `cond`. */
function pathNodes(src: number, sink: number, dom: PostDom, groups: Groups, cond: Cond): Set<number> | undefined {
  const seen = new Set<number>();
  const stack = [...dom.consumers[src]];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (!cond(groups.kind[groups.find(v)], v === sink)) return undefined;
    if (v !== sink) stack.push(...dom.consumers[v]);
  }
  return seen;
}

function tryFuse(i: number, dom: PostDom, groups: Groups, cond: Cond): void {
  const sink = dom.ipdom[i];
  if (sink === ROOT) return;
  const path = pathNodes(i, sink, dom, groups, cond);
  if (!path) return;
  const roots = new Set([groups.find(i), ...[...path].map((v) => groups.find(v))]);
  let complex = 0, size = 0;
  for (const r of roots) { complex += groups.complex[r]; size += groups.size[r]; }
  if (complex > 1 || size > MAX_GROUP) return;
  groups.merge(i, sink);
  for (const v of path) groups.merge(v, sink);
}

const upToBroadcast: Cond = (k) => k <= BROADCAST;
const prologue: Cond = (k, isSink) => (isSink ? k <= OUT_EWISE : k <= INJECTIVE);
const injective: Cond = (k, isSink) => (isSink ? k <= OUT_EWISE : k <= INJECTIVE);

export function fuseGroups(kinds: readonly Kind[], dom: PostDom, seeds: readonly Seed[]): Groups {
  const groups = new Groups(kinds);
  for (const s of seeds) groups.seed(s);
  for (const phase of [0, 1]) {
    for (let i = 0; i < kinds.length; i++) {
      const k = groups.kind[groups.find(i)];
      if (k === OPAQUE || k === REDUCE) continue; // reductions only as sinks
      if (phase === 0 && k === OUT_EWISE) tryFuse(i, dom, groups, upToBroadcast);
      else if (phase === 0 && k <= BROADCAST) tryFuse(i, dom, groups, prologue);
      else if (phase === 1 && k === INJECTIVE) tryFuse(i, dom, groups, injective);
    }
  }
  return groups;
}

