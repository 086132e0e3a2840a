// The launch plan of a compiled model: the kernels in order, and where every buffer lives. Weights
// (graph constants) sit in one read-only device block loaded from weights.bin; every other buffer —
// graph inputs and outputs, intermediate values, stage temporaries — gets an offset in one arena,
// assigned first-fit by size over live ranges [first launch, last launch], so buffers whose lives do
// not overlap share memory.
import { dtypeInfo } from '../../src/ir/graph/dtype.ts';
import type { Value } from '../../src/ir/graph/graph.ts';
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { PrimFunc } from '../../src/ir/tensor/func.ts';
import { applySchedule } from '../../src/schedule/apply.ts';
import { writtenIn } from '../../src/schedule/access.ts';
import type { KernelPlan, ModulePlan } from '../target.ts';
import { type KernelSource, printKernel } from './kernel.ts';
import { defaultSteps } from './schedule.ts';
import { splitStages } from './stages.ts';
import type { CudaArch } from './spec.ts';
import { type Template, templateFor } from './templates.ts';

const ALIGN = 256;

export interface Slot {
  readonly where: 'arena' | 'weights';
  readonly offset: number;
  readonly bytes: number;
}

export interface Launch {
  readonly kernel: KernelSource;
  /** The scheduled function the kernel prints (for inspection and the interpreter). */
  readonly func: PrimFunc;
  /** Index of the KernelPlan it belongs to. */
  readonly of: number;
  readonly args: readonly Slot[];
}

export interface IoSlot { readonly value: Value; readonly slot: Slot }

export interface LaunchPlan {
  readonly launches: readonly Launch[];
  readonly arenaBytes: number;
  /** Every arena buffer with its live range in launch indices (-1: before the first, MAX: after the last). */
  readonly arena: readonly { readonly key: string; readonly offset: number; readonly bytes: number; readonly first: number; readonly last: number }[];
  readonly weights: Uint8Array;
  readonly inputs: readonly IoSlot[];
  readonly outputs: readonly IoSlot[];
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const bytesOf = (b: Buffer) => b.size * dtypeInfo(b.dtype).bytes;

interface Part { func: PrimFunc; temps: readonly Buffer[]; template?: Template }

/**
 * The functions one KernelPlan launches. An unscheduled function is one template kernel when one
 * applies to it whole (a contraction with its epilogue), else its stages, each a template kernel
 * or scheduled here by the default rules.
 */
function partsOf(kp: KernelPlan, arch?: CudaArch): Part[] {
  const whole = kp.schedule.length === 0 ? templateFor(kp.func, arch) : undefined;
  if (whole) return [{ func: kp.func, temps: [], template: whole }];
  const parts = splitStages(kp.func);
  if (parts.length === 1 || kp.schedule.length > 0) return [{ func: kp.func, temps: [] }];
  return parts.map((p) => {
    const template = templateFor(p.func, arch);
    return template ? { ...p, template } : { func: applySchedule(p.func, defaultSteps(p.func)), temps: p.temps };
  });
}

interface Item { key: string; bytes: number; first: number; last: number; offset: number }

/** First-fit: largest first, each at the lowest offset clear of every placed item it overlaps in time. */
function placeAll(items: Item[]): number {
  const placed: Item[] = [];
  let top = 0;
  for (const it of [...items].sort((a, b) => b.bytes - a.bytes || a.first - b.first)) {
    const busy = placed.filter((p) => p.first <= it.last && it.first <= p.last).sort((a, b) => a.offset - b.offset);
    let off = 0;
    for (const p of busy) {
      if (off + it.bytes <= p.offset) break;
      off = Math.max(off, p.offset + p.bytes);
    }
    it.offset = off;
    placed.push(it);
    top = Math.max(top, off + it.bytes);
  }
  return top;
}

export function planLaunches(plan: ModulePlan, arch?: CudaArch): LaunchPlan {
  const g = plan.graph;
  const items = new Map<string, Item>();
  const weightSlots = new Map<string, Slot>();
  const chunks: Uint8Array[] = [];
  let wTop = 0;
  const weightOf = (v: Value): Slot => {
    let s = weightSlots.get(v.name);
    if (!s) {
      const t = v.constant!;
      const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      s = { where: 'weights', offset: wTop, bytes: raw.byteLength };
      chunks.push(raw, new Uint8Array(align(raw.byteLength) - raw.byteLength));
      wTop += align(raw.byteLength);
      weightSlots.set(v.name, s);
    }
    return s;
  };
  const use = (key: string, bytes: number, at: number) => {
    const it = items.get(key);
    if (it) { it.first = Math.min(it.first, at); it.last = Math.max(it.last, at); } else items.set(key, { key, bytes: align(bytes), first: at, last: at, offset: 0 });
  };
  for (const v of g.inputs) use(`v:${v.name}`, v.type.shape.reduce<number>((p, d) => p * (d as number), 1) * dtypeInfo(v.type.dtype).bytes, -1);

  const pending: { kernel: KernelSource; func: PrimFunc; of: number; keys: (string | Slot)[] }[] = [];
  const names = new Set<string>();
  plan.kernels.forEach((kp, k) => {
    const valueOf = new Map<Buffer, Value>();
    kp.func.inputs.forEach((b, i) => valueOf.set(b, kp.inputs[i]));
    kp.func.outputs.forEach((b, i) => valueOf.set(b, kp.outputs[i]));
    for (const part of partsOf(kp, arch)) {
      const at = pending.length;
      let func = part.func;
      if (names.has(func.name)) func = new PrimFunc(`${func.name}_${at}`, func.inputs, func.outputs, func.body);
      names.add(func.name);
      const keys = func.params.map((b): string | Slot => {
        const v = valueOf.get(b);
        if (v?.constant) return weightOf(v);
        const key = v ? `v:${v.name}` : `t:${k}:${b.name}`;
        use(key, bytesOf(b), at);
        return key;
      });
      pending.push({ kernel: part.template ? part.template(func) : printKernel(func, writtenIn(func.body)), func, of: k, keys });
    }
  });
  for (const v of g.outputs) if (!v.constant) use(`v:${v.name}`, 0, Number.MAX_SAFE_INTEGER);
  const arenaBytes = placeAll([...items.values()]);
  const slotOf = (key: string): Slot => { const it = items.get(key)!; return { where: 'arena', offset: it.offset, bytes: it.bytes }; };
  const io = (v: Value): IoSlot => ({ value: v, slot: v.constant ? weightOf(v) : slotOf(`v:${v.name}`) });
  const outputs = g.outputs.map(io);
  const weights = new Uint8Array(wTop);
  let off = 0;
  for (const c of chunks) { weights.set(c, off); off += c.byteLength; }
  return {
    launches: pending.map((p) => ({ kernel: p.kernel, func: p.func, of: p.of, args: p.keys.map((x) => (typeof x === 'string' ? slotOf(x) : x)) })),
    arenaBytes, arena: [...items.values()], weights, inputs: g.inputs.map(io), outputs,
  };
}
