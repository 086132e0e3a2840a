// Operator fusion: op pattern kinds → named patterns (seeds) → TVM's rules on the post-dominator
// tree → one "Fused" node per group. A target that cannot run a fused node (Target.supports says no)
// gets that group's members back as separate nodes.
import type { Graph, NodeSpec, TensorType } from '../../src/ir/graph/graph.ts';
import type { GraphPass, PassOptions } from '../pass.ts';
import { fusedNode, orderGroups } from './fuse/build.ts';
import { fuseGroups, type Groups } from './fuse/groups.ts';
import { type Kind, kindsOf, OUT_EWISE, REDUCE } from './fuse/kinds.ts';
import { namedPatterns } from './fuse/patterns.ts';
import { postDominators } from './fuse/postdom.ts';
import { buildLive } from './rewrite.ts';

export function fuseGraph(g: Graph, opts: PassOptions = {}): Graph {
  const kinds = kindsOf(g);
  const seeds = namedPatterns(g, kinds);
  const groups = fuseGroups(kinds, postDominators(g), seeds);
  const seedName = new Map<number, string>();
  for (const s of seeds) for (const i of s.nodes) seedName.set(i, s.name);
  const dissolved = new Set<number>();
  for (;;) {
    const out = emit(g, kinds, groups, seedName, dissolved);
    const rejected = out.graph.nodes.filter((n) => n.body && opts.target && !opts.target.supports(n).ok);
    if (rejected.length === 0) return out.graph;
    for (const n of rejected) dissolved.add(out.rootOf.get(n.name)!);
  }
}

function emit(g: Graph, kinds: readonly Kind[], groups: Groups, seedName: ReadonlyMap<number, string>, dissolved: ReadonlySet<number>) {
  const groupOf = Int32Array.from(g.nodes, (_, i) => {
    const r = groups.find(i);
    return dissolved.has(r) ? i : r;
  });
  const members = new Map<number, number[]>();
  groupOf.forEach((r, i) => { const m = members.get(r); if (m) m.push(i); else members.set(r, [i]); });
  const spec = g.toSpec();
  const types = new Map<string, TensorType>(spec.types);
  const names = new Set(g.nodes.map((n) => n.name));
  const rootOf = new Map<string, number>();
  const nodes: NodeSpec[] = [];
  for (const root of orderGroups(g, groupOf, members)) {
    const idx = members.get(root)!;
    if (idx.length === 1) { nodes.push(spec.nodes[idx[0]]); continue; }
    const anchor = idx.find((i) => kinds[i] === OUT_EWISE) ?? idx.find((i) => kinds[i] === REDUCE) ?? idx[idx.length - 1];
    let name = `fused_${g.nodes[anchor].name}`;
    while (names.has(name)) name += '_';
    names.add(name);
    rootOf.set(name, root);
    nodes.push(fusedNode(g, { nodes: idx.map((i) => g.nodes[i]), label: label(g, idx, seedName) }, name));
  }
  return { graph: buildLive(spec, nodes, types), rootOf };
}

/** "Conv+Add+Relu", "MatMul+Add+Gelu": member ops in order, a named pattern's members as its name. */
function label(g: Graph, idx: readonly number[], seedName: ReadonlyMap<number, string>): string {
  const parts: string[] = [];
  let lastSeed: string | undefined;
  for (const i of idx) {
    const s = seedName.get(i);
    if (s && s === lastSeed) continue;
    parts.push(s ?? g.nodes[i].op);
    lastSeed = s;
  }
  return parts.join('+');
}

export const fusePass: GraphPass = {
  name: 'fuse',
  doc: 'group nodes into Fused kernels: named patterns, then TVM rules on the post-dominator tree',
  run: (g, opts) => fuseGraph(g, opts),
};
