// The cost table: per fused node and device, milliseconds and where the number came from —
//   tuning-db  the best measured record of the node's kernels (lowered targets, `--db`),
//   simulated  the device's simulator on the node alone (NPU cycles, PIM command-stream cycles),
//   roofline   launch + max(FLOPs/peak, bytes/bandwidth) from the system preset (CUDA, WGSL).
// Nodes of the same shape cost the same, so costs are cached by a structural signature (twelve
// decoder layers are costed once).
import type { Graph, Node } from '../../ir/graph/graph.ts';
import { Tensor } from '../../ir/graph/tensor.ts';
import { FileError, TsccError, UsageError } from '../../util/errors.ts';
import { lowerGraph } from '../../lower/lower.ts';
import { tunedSchedule, tuningFingerprint } from '../../tune/apply.ts';
import { TuningDb } from '../../../tuning-db/index.ts';
import type { Cost, CostTable } from '../../../passes/partition/problem.ts';
import type { DeviceSpec } from '../../../passes/partition/system.ts';
import type { Target } from '../../../targets/target.ts';
import { runs } from './fuse.ts';
import { rooflineMs } from './roofline.ts';
import { compileSegment } from './segment.ts';
import { segmentGraph } from './subgraph.ts';

export interface Device { readonly spec: DeviceSpec; readonly target: Target }

/** Op, attributes (tensors by type only), operand types and constness, and the body, recursively. */
export function signature(node: Node): string {
  const attrs = JSON.stringify(node.attrs, (_k, v) => (v instanceof Tensor ? `T${v.dtype}[${v.shape}]` : v?.constructor?.name === 'Graph' ? '<graph>' : v));
  const io = [...node.inputs.map((v) => (v ? `${v.constant ? 'c' : ''}${v.type.dtype}[${v.type.shape}]` : '-')), '->', ...node.outputs.map((v) => `${v.type.dtype}[${v.type.shape}]`)];
  const body = node.body ? `{${node.body.nodes.map(signature).join(';')}}` : '';
  return `${node.domain}:${node.op}${attrs}${io.join(',')}${body}`;
}

export class CostCache {
  private readonly map = new Map<string, Cost>();
  get(key: string): Cost | undefined { return this.map.get(key); }
  set(key: string, c: Cost): void { this.map.set(key, c); }
  get size(): number { return this.map.size; }
}

async function measure(graph: Graph, node: Node, dev: Device, db: TuningDb | undefined): Promise<Cost> {
  const { spec, target } = dev;
  if (!runs(target, node)) {
    const s = target.supports(node);
    return { ms: Infinity, source: 'unsupported', detail: s.ok ? 'not all members run here' : s.reason };
  }
  if (db && target.lowersToTensorIR !== false) {
    const calls = lowerGraph(segmentGraph(graph, [node], target, 'cost')).calls;
    const fp = await tuningFingerprint(target);
    const tuned = calls.map((c) => tunedSchedule(db, fp, c.func));
    if (tuned.length && tuned.every((t) => t)) {
      return { ms: tuned.reduce((s, t) => s + t!.cost, 0) + (spec.launchUs ?? 0) / 1e3 * calls.length, source: 'tuning-db', detail: `${calls.length} tuned kernel(s)` };
    }
  }
  const roof = rooflineMs(node, spec);
  if (roof) return { ms: roof.ms, source: 'roofline', detail: roof.detail };
  let a;
  try {
    a = (await compileSegment(graph, [node], spec.target, target, `cost_${node.name}`)).compiled.artifact;
  } catch (e) {
    if (e instanceof TsccError) return { ms: Infinity, source: 'unsupported', detail: e.message };
    throw e;
  }
  if (a.latencySource !== 'simulated' || a.latencyMs === undefined) {
    throw new UsageError(`system: device "${spec.id}" has no simulator and no roofline numbers (peakGflops, bandwidthGBps)`);
  }
  return { ms: a.latencyMs, source: 'simulated', detail: `${a.cycles ?? '?'} cycles` };
}

export async function costTable(graph: Graph, devices: readonly Device[], o: { db?: string; cache?: CostCache } = {}): Promise<CostTable> {
  const cache = o.cache ?? new CostCache();
  let db: TuningDb | undefined;
  try {
    db = o.db ? TuningDb.open(o.db, { readonly: true }) : undefined;
  } catch (e) {
    throw new FileError(`--db ${o.db}: ${(e as Error).message}`);
  }
  try {
    const table = new Map<string, Map<string, Cost>>();
    for (const node of graph.nodes) {
      const row = new Map<string, Cost>();
      const sig = signature(node);
      for (const dev of devices) {
        const key = `${dev.spec.target}|${db ? o.db : ''}|${sig}`;
        let c = cache.get(key);
        if (!c) { c = await measure(graph, node, dev, db); cache.set(key, c); }
        row.set(dev.spec.id, c);
      }
      table.set(node.name, row);
    }
    return table;
  } finally {
    db?.close();
  }
}
