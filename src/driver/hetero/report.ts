// What a heterogeneous compile writes besides the sub-artifacts: plan.json (the executable plan:
// segments with their artifact folders, explicit transfer steps) and the `hetero` section of
// report.json (placement quality, per-device timeline, copies and crossings, per-node costs).
import type { Placement, Schedule } from '../../../passes/partition/index.ts';
import type { Prepared } from './index.ts';
import type { HeteroPlan } from './plan.ts';

const round = (ms: number) => Number(ms.toPrecision(6));

/** ONNX node names a placed node covers (a fused node's members). */
const members = (n: { name: string; body?: { nodes: readonly { name: string }[] } }) => (n.body ? n.body.nodes.map((m) => m.name) : [n.name]);

export function planJson(prep: Prepared, plan: HeteroPlan, timeline: Schedule): unknown {
  return {
    version: 1,
    system: prep.setup.system.name,
    devices: prep.devices.map((d) => ({ id: d.spec.id, target: d.spec.target })),
    segments: plan.segments.map((s) => ({
      name: s.name, device: s.device, target: s.compiled.artifact.target, dir: `${s.name}/`,
      nodes: s.nodes.map((n) => n.name), ops: s.nodes.flatMap(members),
      inputs: s.graph.inputs.map((v) => v.name), outputs: s.graph.outputs.map((v) => v.name),
      latencyMs: round(s.ms), latencySource: s.source,
    })),
    steps: plan.steps.map((st) => (st.kind === 'run' ? { kind: 'run', segment: plan.segments[st.segment].name } : { ...st, ms: round(st.ms) })),
    latencyMs: round(timeline.makespan),
  };
}

function timelineByDevice(t: Schedule): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const e of t.events) {
    (out[e.lane] ??= []).push({ name: e.name, kind: e.kind, startMs: round(e.start), endMs: round(e.end), ...(e.bytes !== undefined ? { bytes: e.bytes } : {}) });
  }
  return out;
}

export function heteroReport(prep: Prepared, best: Placement, plan: HeteroPlan, timeline: Schedule, tried: readonly { method: string; ms: number }[]): Record<string, unknown> {
  const { dp, greedy, singles } = prep.result;
  const ms = (x: number) => round(x);
  const loops = prep.graph.nodes.filter((n) => Object.values(n.attrs).some((a) => a.kind === 'graph'));
  const costs: Record<string, Record<string, unknown>> = {};
  for (const [node, row] of prep.costs) costs[node] = Object.fromEntries([...row].map(([d, c]) => [d, { ms: Number.isFinite(c.ms) ? ms(c.ms) : null, source: c.source, detail: c.detail }]));
  return {
    hetero: {
      system: prep.setup.system.name,
      devices: prep.devices.map((d) => ({ id: d.spec.id, target: d.spec.target })),
      placement: {
        method: best.method,
        estimatedMs: ms(best.schedule.makespan),
        realized: tried.map((t) => ({ method: t.method, latencyMs: ms(t.ms) })),
        dp: { method: dp.method, estimatedMs: ms(dp.schedule.makespan), serialMs: ms(dp.serialMs), exact: dp.exact, lowerBoundMs: dp.lowerBoundMs !== undefined ? ms(dp.lowerBoundMs) : null,
          gapBound: dp.lowerBoundMs ? ms((dp.serialMs - dp.lowerBoundMs) / dp.serialMs) : 0 },
        greedyEstimatedMs: ms(greedy.schedule.makespan),
        singleEstimatedMs: Object.fromEntries([...singles].map(([d, s]) => [d, typeof s === 'string' ? s : ms(s.schedule.makespan)])),
        nodes: Object.fromEntries(prep.graph.nodes.map((n, i) => [n.name, prep.setup.devices[best.assign[i]]])),
        memory: best.memory,
      },
      segments: plan.segments.length,
      transfers: { count: timeline.transfers, bytes: timeline.transferBytes },
      crossings: timeline.crossings,
      loopBodies: { nodes: loops.map((n) => n.name), transfersInside: 0, note: 'Loop/Scan/If nodes are placed whole, with their bodies, on one device' },
      timeline: timelineByDevice(timeline),
      costs,
    },
  };
}
