// The plan's timeline: segments as tasks on their devices (simulated latency where the device has a
// simulator), copies on the links, list-scheduled so that independent segments overlap. Also the
// Chrome trace of it (chrome://tracing, ui.perfetto.dev): one process per device and link.
import type { Problem, Schedule } from '../../../passes/partition/index.ts';
import { listSchedule, valueBytes } from '../../../passes/partition/index.ts';
import type { SystemSpec } from '../../../passes/partition/system.ts';
import type { HeteroPlan } from './plan.ts';
import { segmentOccupancy, type Hbm } from './hbm.ts';

/** `hbm`: schedule the shared memory's busy times too (hbm.ts), else independent bandwidth. */
export function planTimeline(plan: HeteroPlan, system: SystemSpec, devices: readonly string[], hbm?: Hbm): Schedule {
  const segs = plan.segments;
  const producer = new Map<string, number>();
  segs.forEach((s, k) => { for (const v of s.graph.outputs) producer.set(v.name, k); });
  const flows: { from: number; to: number[]; bytes: number; value: string }[] = [];
  const reads: number[][] = segs.map(() => []);
  const byValue = new Map<string, number>();
  segs.forEach((s, k) => {
    for (const v of s.graph.inputs) {
      const from = producer.get(v.name);
      if (from === undefined) continue;
      let f = byValue.get(v.name);
      if (f === undefined) { f = flows.push({ from, to: [], bytes: valueBytes(v), value: v.name }) - 1; byValue.set(v.name, f); }
      flows[f].to.push(k);
      reads[k].push(f);
    }
  });
  let p: Problem = {
    names: segs.map((s) => s.name), devices, system, flows, reads,
    cost: segs.map((s) => devices.map((d) => (d === s.device ? s.ms : Infinity))),
    lastUse: segs.map((_, k) => Math.max(k, ...flows.filter((f) => f.from === k).flatMap((f) => f.to))),
    weightBytes: segs.map(() => 0),
  };
  if (hbm?.devices.length) {
    const occ = segmentOccupancy(hbm, segs);
    p = { ...p, hbm: { devices: hbm.devices.map((d) => devices.indexOf(d)), occupancy: segs.map((s, k) => devices.map((d) => (d === s.device ? occ[k] : 0))) } };
  }
  return listSchedule(p, segs.map((s) => devices.indexOf(s.device)));
}

/** Trace Event Format: 'X' (complete) events in microseconds, a process per lane. */
export function chromeTrace(s: Schedule, what: string): { traceEvents: unknown[]; displayTimeUnit: string } {
  const lanes = [...new Set(s.events.map((e) => e.lane))];
  const meta = lanes.map((l, pid) => ({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: l } }));
  const events = s.events.map((e) => ({
    name: e.name, cat: e.kind, ph: 'X', pid: lanes.indexOf(e.lane), tid: 0,
    ts: e.start * 1e3, dur: (e.end - e.start) * 1e3,
    args: e.kind === 'transfer' ? { from: e.from, to: e.to, bytes: e.bytes, plan: what } : { plan: what },
  }));
  return { traceEvents: [...meta, ...events], displayTimeUnit: 'ns' };
}
