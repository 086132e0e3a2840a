// Shared-HBM contention (opt-in: `sharedHbm: 'exclusive'`, bench/partition.ts --hbm exclusive).
// NPU and PIM on one HBM stack do not have independent bandwidth: a PIM kernel's all-bank commands
// keep every bank of the pseudo-channels it drives busy for its whole run (the PIM model has one row
// buffer per bank, no NeuPIMs-style dual row buffers), and the NPU's weight and activation traffic
// goes through those same banks. So the memory serves one of them at a time: a PIM node occupies it
// for its cost, an NPU node for its DRAM bytes / the NPU's DRAM bandwidth (channels × request size ×
// DRAM clock from its preset; its compute and on-chip work can overlap PIM). The bytes are the node's
// inputs and outputs at the NPU's 16-bit precision (a Gather reads only the rows it outputs) — a
// floor on its real traffic, so the model errs on the side of more overlap, not less.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import type { CostTable, OccupancyTable, SystemSpec } from '../../../passes/partition/index.ts';
import { valueBytes } from '../../../passes/partition/index.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import type { Device } from './cost.ts';
import { UsageError } from '../../util/errors.ts';

/** PIM holds the banks for the whole of each of its kernels. */
export const holdsMemory = (device: string) => device === 'pim';

/** Bytes/ms of a device's DRAM stream (GB/s × 1e6), or 'exclusive' for PIM (holds the banks). */
function memoryRate(d: Device): number | 'exclusive' {
  if (holdsMemory(d.spec.id)) return 'exclusive';
  if (d.spec.bandwidthGBps) return d.spec.bandwidthGBps * 1e6;
  if (d.spec.id === 'npu') {
    const c = loadConfig(d.spec.target.split(':')[1] || undefined);
    return c.dramChannels * c.dramReqSize * c.dramFreq * 1e3; // bytes per µs·1e3 = bytes/ms
  }
  throw new UsageError(`system: device "${d.spec.id}" shares PIM's memory and needs "bandwidthGBps" (--hbm exclusive)`);
}

/** A node's DRAM bytes on a 16-bit device: inputs (a Gather's table: only its output's rows) + outputs. */
export function trafficBytes(n: Node): number {
  const half = (bytes: number, dtype: string) => (dtype === 'f32' ? bytes / 2 : bytes);
  let b = 0;
  n.inputs.forEach((v, k) => {
    if (!v) return;
    const read = n.op === 'Gather' && k === 0 ? valueBytes(n.outputs[0]) : valueBytes(v);
    b += half(read, v.type.dtype);
  });
  for (const v of n.outputs) b += half(valueBytes(v), v.type.dtype);
  return b;
}

/** The devices on PIM's memory (PIM and every device with a shared link to it). */
export function hbmDevices(system: SystemSpec, devices: readonly string[]): string[] {
  if (!devices.includes('pim')) return [];
  return devices.filter((d) => d === 'pim' || system.links.some((l) => l.shared && l.between.includes('pim') && l.between.includes(d)));
}

/** Per node and device on the shared memory: ms it keeps the memory busy (≤ its cost there). */
export function occupancyTable(graph: Graph, devices: readonly Device[], costs: CostTable, onHbm: readonly string[]): OccupancyTable {
  const rates = new Map(devices.filter((d) => onHbm.includes(d.spec.id)).map((d) => [d.spec.id, memoryRate(d)] as const));
  const table = new Map<string, Map<string, number>>();
  for (const n of graph.nodes) {
    const row = new Map<string, number>();
    const bytes = trafficBytes(n);
    for (const [id, rate] of rates) {
      const c = costs.get(n.name)?.get(id)?.ms ?? Infinity;
      if (Number.isFinite(c)) row.set(id, rate === 'exclusive' ? c : Math.min(c, bytes / rate));
    }
    table.set(n.name, row);
  }
  return table;
}

export interface Hbm { readonly devices: readonly string[]; readonly occupancy: OccupancyTable }

/** The segments' busy times of the shared memory: a PIM segment all its run, another device the sum
 *  of its nodes' traffic time (at most the segment's latency). */
export function segmentOccupancy(hbm: Hbm, segs: readonly { device: string; ms: number; nodes: readonly Node[] }[]): number[] {
  return segs.map((s) => {
    if (!hbm.devices.includes(s.device)) return 0;
    if (holdsMemory(s.device)) return s.ms;
    return Math.min(s.ms, s.nodes.reduce((t, n) => t + (hbm.occupancy.get(n.name)?.get(s.device) ?? 0), 0));
  });
}
