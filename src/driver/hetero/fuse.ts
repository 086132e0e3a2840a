// The graph placement works on: the default pass pipeline, with fusion asking a stand-in target
// that accepts a fused group only when fusing takes no device away from any member. A device runs a
// fused node either as such (CUDA, WGSL) or as its members inlined into its sub-graph (the NPU forms
// its own layers; PIM runs MatMul/Add one by one), so a group is refused exactly when some device
// runs some members but not all (MatMul+Gelu: PIM takes the MatMul, not the Gelu) — the group is
// then split and each member is placed on its own.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import { DEFAULT_PIPELINE, optimizeGraph } from '../../../passes/index.ts';
import { splitMatMuls, splitMatMulsBy, type SplitOptions } from '../../../passes/partition/split.ts';
import type { Artifact, Support, Target } from '../../../targets/target.ts';

/** Can `t` run `node`, natively or with a fused node's members inlined? */
export function runs(t: Target, node: Node): boolean {
  if (t.supports(node).ok) return true;
  return !!node.body && node.body.nodes.every((m) => runs(t, m));
}

function placementTarget(devices: readonly Target[]): Target {
  const supports = (node: Node): Support => {
    if (!node.body) return { ok: true, precisions: [] };
    for (const t of devices) {
      if (t.supports(node).ok) continue;
      const some = node.body.nodes.some((m) => t.supports(m).ok);
      if (some && !node.body.nodes.every((m) => runs(t, m))) {
        return { ok: false, reason: `${t.name} runs some members of this group but not all` };
      }
    }
    return { ok: true, precisions: [] };
  };
  return {
    name: 'hetero', variant: devices.map((t) => t.name).join(','),
    fingerprint: () => `hetero:${devices.map((t) => t.fingerprint()).join('|')}`,
    supports,
    defaultSchedule: () => [],
    compile: (): Promise<Artifact> => { throw new Error('the placement stand-in target does not compile'); },
  };
}

/** With `split`, large weight MatMuls are cut into column blocks before fusion (passes/partition/split.ts). */
export function placementGraph(graph: Graph, devices: readonly Target[], noPasses = false, split?: SplitOptions): Graph {
  if (noPasses) return graph;
  const target = placementTarget(devices);
  if (!split) return optimizeGraph(graph, { target });
  const unfused = optimizeGraph(graph, { target, passes: DEFAULT_PIPELINE.filter((p) => p !== 'fuse') });
  return optimizeGraph(split.widths ? splitMatMulsBy(unfused, split.widths) : splitMatMuls(unfused, split), { target, passes: ['fuse'] });
}
