// The graph placement works on: the default pass pipeline, with fusion asking a stand-in target
// that accepts a fused group only when fusing takes no device away from any member. A device runs a
// fused node either as such (CUDA, WGSL) or as its members inlined into its sub-graph (the NPU forms
// its own layers; PIM runs MatMul/Add one by one), so a group is refused exactly when some device
// runs some members but not all (MatMul+Gelu: PIM takes the MatMul, not the Gelu) — the group is
// then split and each member is placed on its own.
// With --quantize the group is judged as it will be once quantized: a quantized group is one node
// (QDQ around its members, passes/quantize), which PIM runs only as QDQ around a lone MatMul/Gemm.
// So a group whose compute member a device runs alone, but whose quantized form it would refuse
// (PIM: MatMul+Add), is split too; measured on the GPT-2 decode step (GPT2_TINY), where keeping
// MatMul+Add together moved every projection to the NPU (int8: 3.66 µs vs fp32's 1.27 µs).
import { Node, type Graph } from '../../ir/graph/graph.ts';
import { DEFAULT_PIPELINE, optimizeGraph } from '../../../passes/index.ts';
import { COMPUTE_OPS } from '../../../passes/quantize/groups.ts';
import { splitMatMuls, splitMatMulsBy, type SplitOptions } from '../../../passes/partition/split.ts';
import type { Artifact, Support, Target } from '../../../targets/target.ts';

/** Can `t` run `node`, natively or with a fused node's members inlined? */
export function runs(t: Target, node: Node): boolean {
  if (t.supports(node).ok) return true;
  return !!node.body && node.body.nodes.every((m) => runs(t, m));
}

/** The member --quantize would quantize: a Conv/MatMul/Gemm reading a constant weight (groups.ts). */
function quantizableMember(node: Node): Node | undefined {
  return node.body?.nodes.find((m) => COMPUTE_OPS.has(m.op) && !!node.inputs.find((v) => v?.name === m.input(1)?.name)?.isConstant);
}

/** The group as a device sees it once quantized: the same body, marked quantized. */
const asQuantized = (n: Node) => new Node(n.name, n.op, n.domain, n.inputs, n.outputs, n.attrs, n.target, { precision: 'int8' }, n.body);

function placementTarget(devices: readonly Target[], quantized: boolean): Target {
  const supports = (node: Node): Support => {
    if (!node.body) return { ok: true, precisions: [] };
    const compute = quantized ? quantizableMember(node) : undefined;
    for (const t of devices) {
      if (t.supports(node).ok) continue;
      const some = node.body.nodes.some((m) => t.supports(m).ok);
      if (some && !node.body.nodes.every((m) => runs(t, m))) {
        return { ok: false, reason: `${t.name} runs some members of this group but not all` };
      }
      if (compute && t.supports(compute).ok && !t.supports(asQuantized(node)).ok) {
        return { ok: false, reason: `${t.name} runs ${compute.op} as a quantized group alone, not with the rest of this group` };
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

/** With `split`, large weight MatMuls are cut into column blocks before fusion (passes/partition/split.ts);
 *  `quantized`: the groups will be quantized (--quantize), so fusion judges their quantized form. */
export function placementGraph(graph: Graph, devices: readonly Target[], noPasses = false, split?: SplitOptions, quantized = false): Graph {
  if (noPasses) return graph;
  const target = placementTarget(devices, quantized);
  if (!split) return optimizeGraph(graph, { target });
  const unfused = optimizeGraph(graph, { target, passes: DEFAULT_PIPELINE.filter((p) => p !== 'fuse') });
  return optimizeGraph(split.widths ? splitMatMulsBy(unfused, split.widths) : splitMatMuls(unfused, split), { target, passes: ['fuse'] });
}
