// Executes a heterogeneous plan: each device has its own memory (a map of the tensors it holds);
// a run step feeds a segment's artifact to its target's runner (simulator, WebGPU, CUDA emulation or
// GPU) from that device's memory, a transfer step copies one tensor from one device to another.
// Model inputs are visible to every device (they come from the host), as the placement assumes.
import type { Graph } from '../../ir/graph/graph.ts';
import type { Tensor } from '../../ir/graph/tensor.ts';
import type { TensorMap } from '../../runtime/interpreter.ts';
import { TargetError } from '../../util/errors.ts';
import type { HeteroPlan } from './plan.ts';

export interface PlanRun {
  readonly outputs: TensorMap;
  /** Per segment: what its runner reported. */
  readonly segments: readonly { name: string; device: string; ms?: number; cycles?: number; how: string }[];
  readonly transfers: number;
  readonly transferBytes: number;
}

export async function executePlan(graph: Graph, plan: HeteroPlan, inputs: TensorMap): Promise<PlanRun> {
  const memory = new Map<string, Map<string, Tensor>>();
  const mem = (d: string) => { let m = memory.get(d); if (!m) { m = new Map(); memory.set(d, m); } return m; };
  const home = new Map<string, string>(); // value → the device that produced it
  const runs: PlanRun['segments'][number][] = [];
  let transfers = 0, transferBytes = 0;
  for (const step of plan.steps) {
    if (step.kind === 'transfer') {
      const t = mem(step.from).get(step.value);
      if (!t) throw new Error(`hetero: transfer of "${step.value}" from ${step.from}, which does not hold it`);
      mem(step.to).set(step.value, t);
      if (!step.shared) { transfers++; transferBytes += step.bytes; }
      continue;
    }
    const seg = plan.segments[step.segment];
    const here = mem(seg.device);
    const feed: TensorMap = {};
    for (const v of seg.graph.inputs) {
      const t = here.get(v.name) ?? (home.has(v.name) ? undefined : inputs[v.name]);
      if (!t) throw new Error(`hetero: segment ${seg.name} reads "${v.name}", which is not on ${seg.device} (a transfer step is missing)`);
      feed[v.name] = t;
    }
    const target = seg.compiled.target;
    if (!target.run) throw new TargetError(`hetero: target "${target.name}" compiles but has no runner`);
    const r = await target.run(seg.compiled.artifact, feed);
    for (const v of seg.graph.outputs) {
      const t = r.outputs[v.name];
      if (!t) throw new Error(`hetero: segment ${seg.name} did not produce "${v.name}"`);
      here.set(v.name, t);
      home.set(v.name, seg.device);
    }
    runs.push({ name: seg.name, device: seg.device, ms: r.ms, cycles: r.cycles, how: r.how });
  }
  const outputs: TensorMap = {};
  for (const v of graph.outputs) {
    const d = home.get(v.name);
    const t = d ? mem(d).get(v.name) : (inputs[v.name] ?? v.constant);
    if (!t) throw new Error(`hetero: model output "${v.name}" was not computed`);
    outputs[v.name] = t;
  }
  return { outputs, segments: runs, transfers, transferBytes };
}
