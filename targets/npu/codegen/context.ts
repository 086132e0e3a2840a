// What every layer handler shares: the emitter, the DRAM layout, fusion lookups and the schedules
// chosen so far (plus int8 weight quantization).
import type { Graph, Node, Value } from '../../../src/ir/graph/graph.ts';
import type { NpuConfig } from '../config.ts';
import type { Emitter } from './emitter.ts';
import type { Layout } from './layout.ts';
import type { Fusion } from './nodes.ts';
import type { GemmSchedule, NpuSchedule } from './schedule.ts';

export interface MappingLine { readonly layer: string; readonly text: string }

export interface Ctx {
  readonly graph: Graph;
  readonly cfg: NpuConfig;
  readonly e: Emitter;
  readonly layout: Layout;
  readonly fusion: Fusion;
  readonly schedule: NpuSchedule;
  readonly chosen: Record<string, GemmSchedule>;
  /** The schedule space of each array layer (what a tuner searches). */
  readonly spaces: Record<string, readonly GemmSchedule[]>;
  readonly mapping: MappingLine[];
}

/** A handler maps a node (and what it fuses) to a layer, or throws NotMapped. */
export interface Mapped {
  readonly nodes: readonly Node[];
  readonly kind: string;
  readonly out: readonly Value[];
  /** What the layer computes in, when not the preset's data type (QDQ int8 layers, conversions). */
  readonly precision?: string;
  emit(): void;
}

/** Per-channel symmetric int8: `channel(i)` names element i's output channel. Scales are returned
 *  relative to their maximum (a ≤ 1 f16 vector the epilogue multiplies by) plus that maximum. */
export function quantizeChannels(data: ArrayLike<number>, channels: number, channel: (i: number) => number): { q: Int8Array; rel: Float32Array; max: number } {
  const m = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) { const c = channel(i); m[c] = Math.max(m[c], Math.abs(data[i])); }
  const sc = Array.from(m, (x) => (x || 1e-8) / 127);
  const max = Math.max(...sc);
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(data[i] / sc[channel(i)])));
  return { q, rel: Float32Array.from(sc, (x) => x / max), max };
}
