// The placement problem as plain arrays: the fused graph's nodes in topological order, per node and
// device a cost in ms (Infinity where the device cannot run it), the values flowing between nodes
// with their sizes, and the weight bytes each node keeps resident on its device. Everything after
// this (DP, scheduling, refinement) works on these arrays only.
import type { Graph, Value } from '../../src/ir/graph/graph.ts';
import { dtypeInfo } from '../../src/ir/graph/dtype.ts';
import type { SystemSpec } from './system.ts';

export type CostSource = 'tuning-db' | 'simulated' | 'roofline';

export type Cost =
  | { readonly ms: number; readonly source: CostSource; readonly detail?: string }
  | { readonly ms: number; readonly source: 'unsupported'; readonly detail: string };

/** node name → device id → cost. */
export type CostTable = ReadonlyMap<string, ReadonlyMap<string, Cost>>;

export interface Flow {
  /** Producer node index, consumer node indices (distinct, sorted). */
  readonly from: number;
  readonly to: readonly number[];
  readonly bytes: number;
  readonly value: string;
}

/**
 * Devices that stream one memory (NPU and PIM on one HBM stack) and how long each node keeps that
 * memory busy on each of them (ms). A PIM kernel holds every bank for its whole run (its all-bank
 * commands and a normal read cannot share a bank: no dual row buffers are modelled), an NPU kernel
 * for its DRAM bytes / the NPU's DRAM bandwidth. The list schedule serializes these busy times
 * (schedule.ts); without `hbm` the devices' bandwidths are independent.
 */
export interface SharedMemory {
  /** Device indices on the shared memory. */
  readonly devices: readonly number[];
  /** occupancy[i][d]: ms node i keeps the memory busy when it runs on device d (≤ cost[i][d]). */
  readonly occupancy: readonly (readonly number[])[];
}

/** node name → device id → ms the shared memory is busy (see SharedMemory). */
export type OccupancyTable = ReadonlyMap<string, ReadonlyMap<string, number>>;

export interface Problem {
  readonly names: readonly string[];
  readonly devices: readonly string[];
  /** cost[i][d]: ms of node i on device d; Infinity = unsupported. */
  readonly cost: readonly (readonly number[])[];
  readonly flows: readonly Flow[];
  /** Flows each node reads, by index into `flows`. */
  readonly reads: readonly (readonly number[])[];
  /** Index of the last consumer of each node's outputs (the node itself when none). */
  readonly lastUse: readonly number[];
  /** Weight (constant input) bytes each node keeps resident. */
  readonly weightBytes: readonly number[];
  readonly system: SystemSpec;
  /** Shared-memory contention between devices; absent = independent bandwidth. */
  readonly hbm?: SharedMemory;
}

export function valueBytes(v: Value): number {
  const n = v.type.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);
  return n * dtypeInfo(v.type.dtype).bytes;
}

export function buildProblem(graph: Graph, costs: CostTable, system: SystemSpec, devices: readonly string[],
  hbm?: { readonly devices: readonly string[]; readonly occupancy: OccupancyTable }): Problem {
  const index = new Map(graph.nodes.map((n, i) => [n, i]));
  const cost = graph.nodes.map((n) => devices.map((d) => costs.get(n.name)?.get(d)?.ms ?? Infinity));
  const flows: Flow[] = [];
  const reads: number[][] = graph.nodes.map(() => []);
  const lastUse = graph.nodes.map((_, i) => i);
  graph.nodes.forEach((n, i) => {
    for (const v of n.outputs) {
      const to = [...new Set(v.consumers.map((c) => index.get(c)!).filter((j) => j !== undefined))].sort((a, b) => a - b);
      if (to.length === 0) continue;
      const f = flows.push({ from: i, to, bytes: valueBytes(v), value: v.name }) - 1;
      for (const j of to) { reads[j].push(f); lastUse[i] = Math.max(lastUse[i], j); }
    }
  });
  const weightBytes = graph.nodes.map((n) => n.inputs.reduce((s, v) => s + (v?.constant ? valueBytes(v) : 0), 0));
  const shared: SharedMemory | undefined = hbm && {
    devices: hbm.devices.map((d) => devices.indexOf(d)).filter((d) => d >= 0),
    occupancy: graph.nodes.map((n, i) => devices.map((d, k) => Math.min(cost[i][k], hbm.occupancy.get(n.name)?.get(d) ?? 0))),
  };
  return { names: graph.nodes.map((n) => n.name), devices, cost, flows, reads, lastUse, weightBytes, system, ...(shared ? { hbm: shared } : {}) };
}
