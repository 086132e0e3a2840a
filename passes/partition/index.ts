// Heterogeneous placement: a pure function of (fused graph, cost table, system, device list) →
// a device per node and a schedule. See README.md for the formulation.
//   1. DP over the topological order on the serial objective (dp.ts), exact unless the beam cut states;
//   2. memory repair: while a device's resident weights exceed its capacity, forbid the node that
//      loses least per byte by moving, and solve again;
//   3. list scheduling (schedule.ts) and a local search that moves single nodes while the makespan
//      improves (this is where overlap of independent branches is rewarded);
//   4. the answer is the best makespan among that and every single-device placement, so it is never
//      worse than the best single target under the same costs.
import type { Graph } from '../../src/ir/graph/graph.ts';
import { lowerBoundDp, placeDp, flowMs } from './dp.ts';
import { buildProblem, type CostTable, type OccupancyTable, type Problem } from './problem.ts';
import { listSchedule, type Schedule } from './schedule.ts';
import type { SystemSpec } from './system.ts';

export interface Placement {
  readonly problem: Problem;
  /** Device index per node (into problem.devices). */
  readonly assign: readonly number[];
  readonly method: string;
  readonly schedule: Schedule;
  /** Σ kernel costs + copies: the DP's objective. */
  readonly serialMs: number;
  /** For the DP result: a lower bound on the serial objective, and whether the DP was exact. */
  readonly lowerBoundMs?: number;
  readonly exact?: boolean;
  readonly memory: readonly { device: string; weightBytes: number; capacity: number }[];
}

export interface PartitionOptions {
  /** DP beam width (states kept per step); default 4096. */
  readonly maxStates?: number;
  /** Skip the makespan local search. */
  readonly noRefine?: boolean;
  /** Devices on one shared memory and each node's busy time of it (problem.ts SharedMemory);
   *  absent = independent bandwidth. */
  readonly hbm?: { readonly devices: readonly string[]; readonly occupancy: OccupancyTable };
  /** Node name → device to start the makespan search from (blocks of a balanced split are sized for
   *  one device each, which the serial DP cannot see); kept only where the makespan is lower. */
  readonly prefer?: ReadonlyMap<string, string>;
}

export function serialMs(p: Problem, assign: readonly number[]): number {
  let s = 0;
  assign.forEach((d, i) => { s += p.cost[i][d]; });
  p.flows.forEach((f, k) => {
    const a = assign[f.from];
    for (const d of new Set(f.to.map((j) => assign[j]))) if (d !== a) s += flowMs(p, k, a, d);
  });
  return s;
}

function memoryUse(p: Problem, assign: readonly number[]): { device: string; weightBytes: number; capacity: number }[] {
  return p.devices.map((id, d) => ({
    device: id,
    weightBytes: assign.reduce((s, a, i) => s + (a === d ? p.weightBytes[i] : 0), 0),
    capacity: p.system.devices.find((x) => x.id === id)?.memoryBytes ?? Infinity,
  }));
}

const fits = (p: Problem, assign: readonly number[]) => memoryUse(p, assign).every((m) => m.weightBytes <= m.capacity);

function placement(p: Problem, assign: readonly number[], method: string, extra: Partial<Placement> = {}): Placement {
  return { problem: p, assign, method, schedule: listSchedule(p, assign), serialMs: serialMs(p, assign), memory: memoryUse(p, assign), ...extra };
}

/** A given assignment (device index per node), scheduled and measured like the others. */
export function fromAssignment(p: Problem, assign: readonly number[], method: string): Placement {
  assign.forEach((d, i) => { if (!Number.isFinite(p.cost[i][d])) throw new Error(`partition: node "${p.names[i]}" cannot run on ${p.devices[d]}`); });
  return placement(p, assign, method);
}

/** Every node on one device, or why not (the first node it cannot run, or memory). */
export function singleDevice(p: Problem, device: string): Placement | string {
  const d = p.devices.indexOf(device);
  const bad = p.cost.findIndex((c) => !Number.isFinite(c[d]));
  if (bad >= 0) return `cannot run node "${p.names[bad]}"`;
  const assign = p.names.map(() => d);
  return fits(p, assign) ? placement(p, assign, `single:${device}`) : 'its weights do not fit in its memory';
}

/** ONNX Runtime's execution-provider rule: each node goes to the first device in the list that runs it. */
export function greedyBySupport(p: Problem): Placement {
  const assign = p.cost.map((c, i) => {
    const d = c.findIndex((x) => Number.isFinite(x));
    if (d < 0) throw new Error(`partition: no device runs node "${p.names[i]}"`);
    return d;
  });
  return placement(p, assign, 'greedy-by-support');
}

function repairMemory(p: Problem, o: PartitionOptions) {
  const forbid = new Set<string>();
  for (;;) {
    const dp = placeDp(p, { maxStates: o.maxStates, forbid });
    const over = memoryUse(p, dp.assign).findIndex((m) => m.weightBytes > m.capacity);
    if (over < 0) return { dp, forbid };
    // Move the node whose cheapest alternative costs least extra per resident byte.
    let pick = -1, best = Infinity;
    dp.assign.forEach((d, i) => {
      if (d !== over || p.weightBytes[i] === 0) return;
      const alt = Math.min(...p.cost[i].filter((_, e) => e !== d && !forbid.has(`${i}:${e}`)));
      const regret = (alt - p.cost[i][d]) / p.weightBytes[i];
      if (regret < best) { best = regret; pick = i; }
    });
    if (pick < 0 || !Number.isFinite(best)) throw new Error(`partition: the weights do not fit in the memory of "${p.devices[over]}" and cannot move elsewhere`);
    forbid.add(`${pick}:${over}`);
  }
}

/** The DP's assignment with the preferred devices applied, if that has a lower makespan. */
function preferred(p: Problem, base: readonly number[], prefer: ReadonlyMap<string, string>, forbid: ReadonlySet<string>): readonly number[] {
  const assign = base.slice();
  p.names.forEach((name, i) => {
    const d = p.devices.indexOf(prefer.get(name) ?? '');
    if (d >= 0 && Number.isFinite(p.cost[i][d]) && !forbid.has(`${i}:${d}`)) assign[i] = d;
  });
  return fits(p, assign) && listSchedule(p, assign).makespan < listSchedule(p, base).makespan ? assign : base;
}

/** Moves single nodes to other devices while the makespan improves. */
function refine(p: Problem, start: readonly number[], forbid: ReadonlySet<string>): number[] {
  const assign = start.slice();
  let best = listSchedule(p, assign).makespan;
  for (let round = 0; round < 4; round++) {
    let moved = false;
    for (let i = 0; i < assign.length; i++) {
      const cur = assign[i];
      for (let d = 0; d < p.devices.length; d++) {
        if (d === cur || !Number.isFinite(p.cost[i][d]) || forbid.has(`${i}:${d}`)) continue;
        assign[i] = d;
        const m = fits(p, assign) ? listSchedule(p, assign).makespan : Infinity;
        if (m < best * (1 - 1e-9)) { best = m; moved = true; break; }
        assign[i] = cur;
      }
    }
    if (!moved) break;
  }
  return assign;
}

export function partition(graph: Graph, costs: CostTable, system: SystemSpec, devices: readonly string[], o: PartitionOptions = {}): {
  best: Placement; dp: Placement; greedy: Placement; singles: ReadonlyMap<string, Placement | string>;
} {
  const p = buildProblem(graph, costs, system, devices, o.hbm);
  const { dp, forbid } = repairMemory(p, o);
  const lowerBoundMs = dp.exact ? dp.cost : lowerBoundDp(p);
  const start = o.prefer ? preferred(p, dp.assign, o.prefer, forbid) : dp.assign;
  const assign = o.noRefine ? start : refine(p, start, forbid);
  const dpPlacement = placement(p, assign, o.noRefine ? 'dp' : 'dp+refine', { lowerBoundMs, exact: dp.exact });
  const singles = new Map(devices.map((d) => [d, singleDevice(p, d)] as const));
  let best = dpPlacement;
  for (const s of singles.values()) if (typeof s !== 'string' && s.schedule.makespan < best.schedule.makespan) best = s;
  return { best, dp: dpPlacement, greedy: greedyBySupport(p), singles };
}

export { buildProblem, valueBytes, type Cost, type CostSource, type CostTable, type OccupancyTable, type Problem, type SharedMemory } from './problem.ts';
export { listSchedule, type Schedule, type TimelineEvent } from './schedule.ts';
export { placeDp, lowerBoundDp } from './dp.ts';
export { placementBound, splitBound, type Bound } from './bounds.ts';
export { transferMs, findLink, linkName, type DeviceSpec, type LinkSpec, type SystemSpec } from './system.ts';
