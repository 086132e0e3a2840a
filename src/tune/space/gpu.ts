// The space for GPU targets (WGSL, CUDA): a block tile of the two innermost spatial loops bound to
// blockIdx, a thread tile inside it (threads = block tile / thread tile, bound to threadIdx, each
// thread computing thread-tile elements), a split of the reduction, shared-memory staging of the
// inputs at the outer reduction loop, double buffering of those stages, and unrolling. Leading
// spatial loops (batch, channels) are fused and bound to blockIdx.z. Thread counts and shared
// memory are checked against the device limits before anything is measured.
import type { Step } from '../../schedule/step.ts';
import type { Config } from '../keys.ts';
import type { DeviceLimits } from './limits.ts';
import { type Nest, divisors } from './nest.ts';
import { type Knob, SearchSpace } from './space.ts';

export function gpuSpace(nest: Nest, limits: DeviceLimits): SearchSpace {
  const sp = nest.spatial.filter((l) => l.extent > 1);
  const lead = sp.slice(0, -2);
  const [a, b] = sp.length >= 2 ? sp.slice(-2) : [undefined, sp[0]];
  const k = [...nest.reduce].sort((x, y) => y.extent - x.extent)[0];
  const knobs: Knob[] = [];
  // Factors stay strictly inside the extent: unit loops would vanish and leave nothing to bind.
  const inner = (n: number, max: number) => divisors(n, max).filter((d) => d > 1 && d < n);
  if (a) knobs.push({ name: 'ba', values: inner(a.extent, 64) }, { name: 'ra', values: [2, 4, 8] });
  if (b) knobs.push({ name: 'bb', values: inner(b.extent, 128) }, { name: 'rb', values: [2, 4, 8] });
  if (k && k.extent > 2) {
    knobs.push({ name: 'tk', values: inner(k.extent, 32) }, { name: 'unroll', values: [0, 1] });
    if (nest.inputs.length > 0) knobs.push({ name: 'shared', values: [0, 1] }, { name: 'dbuf', values: [0, 1] });
  }
  const pre = (c: Config): string | undefined => {
    if (a && (c.ba % c.ra !== 0 || c.ra >= c.ba)) return `thread tile ${c.ra} does not divide block tile ${c.ba}`;
    if (b && (c.bb % c.rb !== 0 || c.rb >= c.bb)) return `thread tile ${c.rb} does not divide block tile ${c.bb}`;
    const threads = (a ? c.ba / c.ra : 1) * (b ? c.bb / c.rb : 1);
    if (threads > limits.maxThreadsPerBlock) return `${threads} threads per block > ${limits.maxThreadsPerBlock}`;
    if (c.dbuf && !c.shared) return 'double buffering needs shared staging';
    if (c.unroll && c.tk > 16) return `unrolling ${c.tk} iterations`;
    return undefined;
  };
  const steps = (c: Config): Step[] => {
    const s: Step[] = [];
    let z = lead[0]?.name;
    for (const l of lead.slice(1)) { s.push({ kind: 'fuse', outer: z!, inner: l.name }); z = `${z}_${l.name}_f`; }
    if (z) s.push({ kind: 'bind', loop: z, axis: 'blockIdx.z' });
    if (b) {
      // Split each loop explicitly (extent = blocks × threads × per-thread), then order blocks,
      // threads, per-thread; the prechecks keep every factor strictly inside its extent.
      const two = a ? [a, b] : [b];
      const bt = a ? [c.ba, c.bb] : [c.bb], rt = a ? [c.ra, c.rb] : [c.rb];
      two.forEach((l, i) => {
        s.push({ kind: 'split', loop: l.name, factor: bt[i] }, { kind: 'split', loop: `${l.name}_i`, factor: rt[i] });
      });
      const o = two.map((l) => `${l.name}_o`), t = two.map((l) => `${l.name}_i_o`), r = two.map((l) => `${l.name}_i_i`);
      if (a) s.push({ kind: 'reorder', loops: [o[0], o[1], t[0], t[1], r[0], r[1]] });
      const axes = a ? (['y', 'x'] as const) : (['x'] as const);
      two.forEach((_, i) => s.push({ kind: 'bind', loop: o[i], axis: `blockIdx.${axes[i]}` }, { kind: 'bind', loop: t[i], axis: `threadIdx.${axes[i]}` }));
    }
    if (k && k.extent > 2) {
      s.push({ kind: 'split', loop: k.name, factor: c.tk });
      if (c.shared) {
        for (const buf of nest.inputs) s.push({ kind: 'cache_read', buffer: buf, scope: 'shared', at: `${k.name}_o` });
        if (c.dbuf) for (const buf of nest.inputs) s.push({ kind: 'double_buffer', buffer: `${buf}.shared` });
      }
      if (c.unroll) s.push({ kind: 'unroll', loop: `${k.name}_i` });
    }
    return s;
  };
  return new SearchSpace('gpu', nest, knobs, steps, limits, pre);
}
