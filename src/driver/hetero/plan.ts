// From a placement to an executable plan: the placed nodes are cut into segments (runs of one device
// in a topological order, so each is convex and a graph of its own), each segment is compiled by its
// device's target, and the steps interleave segment runs with explicit transfers of the values
// crossing devices.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import type { Compiled } from '../compile.ts';
import type { Placement } from '../../../passes/partition/index.ts';
import { findLink, linkName, transferMs, valueBytes } from '../../../passes/partition/index.ts';
import type { Device } from './cost.ts';
import { compileSegment } from './segment.ts';

export interface Segment {
  readonly name: string;
  readonly device: string;
  readonly nodes: readonly Node[];
  readonly graph: Graph;
  readonly compiled: Compiled;
  /** Latency used in the timeline: the device simulator's for the whole segment, else the sum of
   *  its nodes' costs (roofline or tuning database). */
  readonly ms: number;
  readonly source: 'simulated' | 'estimated';
}

export type Step =
  | { readonly kind: 'run'; readonly segment: number }
  | { readonly kind: 'transfer'; readonly value: string; readonly bytes: number; readonly from: string; readonly to: string; readonly link: string; readonly shared: boolean; readonly ms: number };

export interface HeteroPlan {
  readonly segments: readonly Segment[];
  readonly steps: readonly Step[];
}

/**
 * Segments that keep the placement's overlap: nodes in the order the placement's schedule starts
 * them (a topological order), a new segment at every change of device and after every node whose
 * value another device reads, so the reader's segment need not wait for unrelated work after it.
 */
export function scheduledSegments(graph: Graph, device: (n: Node) => string, order: readonly number[], start: readonly number[], cutBeforeRemote = false): Node[][] {
  const rank = new Map(order.map((i, k) => [i, k]));
  const idx = graph.nodes.map((_, i) => i).sort((a, b) => start[a] - start[b] || rank.get(a)! - rank.get(b)!);
  const runs: Node[][] = [];
  let open = false;
  for (const i of idx) {
    const n = graph.nodes[i];
    const last = runs[runs.length - 1];
    // With cutBeforeRemote, a node reading another device's value also opens a segment, so the nodes
    // before it need not wait for that value (a split MatMul's NPU block and the Concat of both blocks).
    const remote = cutBeforeRemote && n.inputs.some((v) => v?.producer && device(v.producer) !== device(n));
    if (!open || remote || device(last[last.length - 1]) !== device(n)) runs.push([n]);
    else last.push(n);
    open = !n.outputs.some((v) => v.consumers.some((c) => device(c) !== device(n)));
  }
  return runs;
}

/** The node groups `buildPlan` compiles for a placement (see scheduledSegments). */
export function placementSegments(graph: Graph, placement: Placement, cutBeforeRemote = false): Node[][] {
  const p = placement.problem;
  const idOf = new Map(graph.nodes.map((n, i) => [n, p.devices[placement.assign[i]]]));
  const start = new Array<number>(graph.nodes.length).fill(0);
  for (const e of placement.schedule.events) if (e.kind === 'kernel') start[e.index] = e.start;
  return scheduledSegments(graph, (n) => idOf.get(n)!, placement.schedule.order, start, cutBeforeRemote);
}

export async function buildPlan(graph: Graph, placement: Placement, devices: readonly Device[], o: { db?: string; cutBeforeRemote?: boolean } = {}): Promise<HeteroPlan> {
  const p = placement.problem;
  const idOf = new Map(graph.nodes.map((n, i) => [n, p.devices[placement.assign[i]]]));
  const nodeIndex = new Map(graph.nodes.map((n, i) => [n, i]));
  const sys = p.system;
  const segments: Segment[] = [];
  const steps: Step[] = [];
  const where = new Map<string, Set<string>>(); // value → devices holding it
  const groups = placementSegments(graph, placement, o.cutBeforeRemote);
  for (const [k, nodes] of groups.entries()) {
    const id = idOf.get(nodes[0])!;
    const dev = devices.find((d) => d.spec.id === id)!;
    const name = `seg${k}_${id}`;
    const { graph: sub, compiled } = await compileSegment(graph, nodes, dev.spec.target, dev.target, name, o.db);
    for (const v of sub.inputs) {
      const holders = where.get(v.name);
      if (!holders || holders.has(id)) continue; // a model input, or already here
      const from = [...holders][0];
      const link = findLink(sys, from, id);
      steps.push({ kind: 'transfer', value: v.name, bytes: valueBytes(v), from, to: id, link: linkName(from, id), shared: !!link?.shared, ms: transferMs(sys, from, id, valueBytes(v)) });
      holders.add(id);
    }
    for (const v of sub.outputs) where.set(v.name, new Set([id]));
    const a = compiled.artifact;
    const estimate = nodes.reduce((s, n) => s + p.cost[nodeIndex.get(n)!][placement.assign[nodeIndex.get(n)!]], 0);
    const simulated = a.latencySource === 'simulated' && a.latencyMs !== undefined;
    segments.push({ name, device: id, nodes, graph: sub, compiled, ms: simulated ? a.latencyMs! : estimate, source: simulated ? 'simulated' : 'estimated' });
    steps.push({ kind: 'run', segment: k });
  }
  return { segments, steps };
}
