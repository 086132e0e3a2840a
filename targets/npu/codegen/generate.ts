// Graph → NPU program. Walks the nodes in order; each one (with what it fuses) becomes a layer on the
// array, the vector unit or the DMA engines, a view (no code), or — when none of those can express it —
// a host fallback: a HOST instruction between barriers that the runner executes on the reference
// kernels. Host work is listed in the report and never counted as NPU cycles.
import type { Graph, Node } from '../../../src/ir/graph/graph.ts';
import type { NpuConfig } from '../config.ts';
import type { Binary } from '../isa.ts';
import { Emitter, SpaceError, type Layer } from './emitter.ts';
import { Layout, dramDtOf } from './layout.ts';
import { Fusion, NotMapped, isFloat } from './nodes.ts';
import type { Ctx, Mapped, MappingLine } from './context.ts';
import type { GemmSchedule, NpuSchedule } from './schedule.ts';
import { mapConv, mapMatmul } from './array-layers.ts';
import { mapCopy, mapElementwise, mapPool, mapRows } from './vector-layers.ts';
import { mapGather, mapResize } from './indexing.ts';
import { mapConvTranspose } from './conv-transpose.ts';
import { foldConstant, isInt8Native, mapInt8Conv, mapInt8Matmul, mapQdq } from './qdq.ts';

export interface HostOp { readonly node: Node; readonly reason: string }

export interface Program {
  readonly binary: Binary;
  readonly comments: ReadonlyMap<number, string>;
  readonly layers: readonly Layer[];
  readonly layout: Layout;
  readonly host: readonly HostOp[];
  readonly schedules: Readonly<Record<string, GemmSchedule>>;
  readonly mapping: readonly MappingLine[];
}

const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);
const ARRAY = new Set(['Conv', 'MatMul', 'Gemm']);
const ROWS = new Set(['Softmax', 'LayerNormalization', 'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceSum', 'ReduceMax']);
const POOL = new Set(['MaxPool', 'AveragePool']);
const COPY = new Set(['Transpose', 'Concat', 'Split', 'Slice', 'Expand']);

export function mapNode(ctx: Ctx, n: Node): Mapped {
  if (n.domain !== '' && n.domain !== 'ai.onnx') throw new NotMapped(`domain ${n.domain}`);
  if (ARRAY.has(n.op)) return n.op === 'Conv' ? mapInt8Conv(ctx, n) ?? mapConv(ctx, n) : mapInt8Matmul(ctx, n) ?? mapMatmul(ctx, n);
  if (n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear') return mapQdq(ctx, n);
  if (ROWS.has(n.op)) return mapRows(ctx, n);
  if (POOL.has(n.op)) return mapPool(ctx, n);
  if (COPY.has(n.op)) return mapCopy(ctx, n);
  if (n.op === 'Gather') return mapGather(ctx, n);
  if (n.op === 'ConvTranspose') return mapConvTranspose(ctx, n);
  if (n.op === 'Resize' || n.op === 'Upsample') return mapResize(ctx, n);
  return mapElementwise(ctx, n);
}

export interface GenerateOptions { readonly schedule?: NpuSchedule }

export function generate(graph: Graph, cfg: NpuConfig, opts: GenerateOptions = {}): Program {
  const e = new Emitter(cfg);
  const layout = new Layout();
  const ctx: Ctx = { graph, cfg, e, layout, fusion: new Fusion(graph), schedule: opts.schedule ?? {}, chosen: {}, spaces: {}, mapping: [] };
  const host: HostOp[] = [];
  for (const v of graph.inputs) layout.place(v);
  const done = new Set<Node>();
  for (const n of graph.nodes) {
    if (done.has(n)) continue;
    if (foldConstant(ctx, n)) { done.add(n); continue; }
    // A DequantizeLinear read only by native int8 layers (which take its int8 input) needs no code.
    if (n.op === 'DequantizeLinear' && !ctx.fusion.outputs.has(n.outputs[0].name) && n.outputs[0].consumers.length > 0
      && n.outputs[0].consumers.every((c) => isInt8Native(ctx, c))) { done.add(n); continue; }
    if ((VIEWS.has(n.op) || n.op === 'Cast' && isFloat(n.outputs[0]) && n.inputs[0] && isFloat(n.inputs[0])) && n.outputs.length >= 1 && n.inputs[0] && layout.get(n.inputs[0]).dt === dramDtOf(n.outputs[0])) {
      layout.alias(n.outputs[0], n.inputs[0]);
      continue;
    }
    const save = { instrs: e.instrs.length, layers: e.layers.length, mapping: ctx.mapping.length };
    const rollback = () => {
      e.instrs.length = save.instrs; e.layers.length = save.layers; ctx.mapping.length = save.mapping;
      for (const k of [...e.comments.keys()]) if (k >= save.instrs) e.comments.delete(k);
    };
    const attempt = (): boolean => {
      const m = mapNode(ctx, n);
      e.beginLayer(n.name || `${n.op}_${e.layers.length}`, m.nodes.map((x) => x.name), m.kind, m.precision);
      e.interleaved(() => m.emit());
      e.endLayer();
      for (const x of m.nodes) done.add(x);
      return true;
    };
    let reason = '';
    try {
      if (attempt()) continue;
    } catch (err) {
      if (!(err instanceof NotMapped || err instanceof SpaceError)) throw err;
      rollback();
      reason = (err as Error).message;
      // A tile that does not fit: try the layer's other schedules before giving up on the NPU.
      if (err instanceof SpaceError && ctx.spaces[n.name]) {
        const given = ctx.schedule;
        let ok = false;
        for (const s of ctx.spaces[n.name]) {
          (ctx as { schedule: NpuSchedule }).schedule = { ...given, [n.name]: s };
          try { ok = attempt(); break; } catch (e2) { if (!(e2 instanceof SpaceError)) throw e2; rollback(); }
        }
        (ctx as { schedule: NpuSchedule }).schedule = given;
        if (ok) continue;
      }
    }
    host.push({ node: n, reason });
    for (const v of n.inputs) if (v) layout.get(v);
    for (const v of n.outputs) layout.place(v);
    e.beginLayer(n.name || `${n.op}_${e.layers.length}`, [n.name], 'host');
    e.barrier();
    e.host(host.length - 1);
    e.endLayer();
    done.add(n);
  }
  for (const v of graph.outputs) layout.get(v);
  e.halt();
  return { binary: { cores: cfg.cores, instrs: e.instrs }, comments: e.comments, layers: e.layers, layout, host, schedules: ctx.chosen, mapping: ctx.mapping };
}
