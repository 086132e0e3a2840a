// List scheduling of a placed DAG (HEFT-style): each device runs one kernel at a time, each link
// carries one copy at a time per direction, and a ready node with the longest remaining path goes
// first. Independent branches on different devices therefore overlap; the makespan is the latency.
import type { Problem } from './problem.ts';
import { findLink, linkName } from './system.ts';
import { flowMs } from './dp.ts';

export interface TimelineEvent {
  readonly kind: 'kernel' | 'transfer';
  /** Device id, or the link ("npu↔pim") for transfers. */
  readonly lane: string;
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** Kernels: node index; transfers: flow index. */
  readonly index: number;
  readonly from?: string;
  readonly to?: string;
  readonly bytes?: number;
}

export interface Schedule {
  readonly makespan: number;
  readonly events: readonly TimelineEvent[];
  /** Node indices in start order. */
  readonly order: readonly number[];
  readonly transfers: number;
  readonly transferBytes: number;
  /** Edges whose two ends sit on different devices (shared-memory links included). */
  readonly crossings: number;
}

/** Flow indices each node writes. */
export function outFlows(p: Problem): number[][] {
  const w: number[][] = p.names.map(() => []);
  p.flows.forEach((f, k) => w[f.from].push(k));
  return w;
}

/** Longest path from each node to a sink, with its placed costs (the priority). */
function ranks(p: Problem, assign: readonly number[]): number[] {
  const n = p.names.length, r = new Array<number>(n).fill(0), writes = outFlows(p);
  for (let i = n - 1; i >= 0; i--) {
    let tail = 0;
    for (const f of writes[i]) for (const j of p.flows[f].to) tail = Math.max(tail, r[j]);
    r[i] = p.cost[i][assign[i]] + tail;
  }
  return r;
}

export function listSchedule(p: Problem, assign: readonly number[]): Schedule {
  const n = p.names.length;
  const rank = ranks(p, assign);
  const devFree = new Array<number>(p.devices.length).fill(0);
  const linkFree = new Map<string, number>();
  const finish = new Array<number>(n).fill(NaN);
  const arrived = new Map<string, number>(); // `${flow}:${device}` → time the copy lands
  const waiting = p.reads.map((fs) => fs.length);
  const writes = outFlows(p);
  const ready = new Set<number>(waiting.flatMap((w, i) => (w === 0 ? [i] : [])));
  const events: TimelineEvent[] = [];
  const order: number[] = [];
  let transfers = 0, transferBytes = 0, crossings = 0;
  const onHbm = new Set(p.hbm?.devices ?? []);
  let hbmFree = 0;
  while (ready.size) {
    const i = [...ready].reduce((a, b) => (rank[b] > rank[a] || (rank[b] === rank[a] && b < a) ? b : a));
    ready.delete(i);
    const d = assign[i];
    let start = devFree[d];
    for (const f of p.reads[i]) {
      const flow = p.flows[f], a = assign[flow.from];
      if (a === d) { start = Math.max(start, finish[flow.from]); continue; }
      crossings++;
      const key = `${f}:${d}`;
      let t = arrived.get(key);
      if (t === undefined) {
        const ms = flowMs(p, f, a, d);
        const from = p.devices[a], to = p.devices[d];
        if (findLink(p.system, from, to)?.shared) t = finish[flow.from];
        else {
          const lane = `${linkName(from, to)} ${from}→${to}`;
          const s0 = Math.max(finish[flow.from], linkFree.get(lane) ?? 0);
          t = s0 + ms;
          linkFree.set(lane, t);
          events.push({ kind: 'transfer', lane: linkName(from, to), name: flow.value, start: s0, end: t, index: f, from, to, bytes: flow.bytes });
          transfers++;
          transferBytes += flow.bytes;
        }
        arrived.set(key, t);
      }
      start = Math.max(start, t);
    }
    let end = start + p.cost[i][d];
    if (onHbm.has(d)) {
      // The shared memory serves one kernel's traffic at a time: this kernel's busy time starts when
      // both it and the memory are free, and the kernel cannot end before its traffic is done. A
      // kernel that holds the memory all along (PIM) therefore waits for the memory to start.
      const occ = p.hbm!.occupancy[i][d];
      const memStart = Math.max(start, hbmFree);
      if (occ > 0 && occ >= p.cost[i][d]) start = memStart;
      end = Math.max(start + p.cost[i][d], memStart + occ);
      hbmFree = memStart + occ;
    }
    finish[i] = end;
    devFree[d] = end;
    order.push(i);
    events.push({ kind: 'kernel', lane: p.devices[d], name: p.names[i], start, end, index: i });
    for (const f of writes[i]) for (const j of p.flows[f].to) if (--waiting[j] === 0) ready.add(j);
  }
  if (order.length !== n) throw new Error('partition: the graph is not a DAG');
  const makespan = events.reduce((m, e) => Math.max(m, e.end), 0);
  return { makespan, events, order, transfers, transferBytes, crossings };
}
