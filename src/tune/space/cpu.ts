// The loop-nest space for CPU-like targets (the Tensor IR interpreter, and targets whose codegen is a
// sequential loop nest): tile the two innermost spatial loops, pick the order of the tile loops,
// split the longest reduction loop and optionally unroll its inner part.
import type { Step } from '../../schedule/step.ts';
import type { Config } from '../keys.ts';
import { CPU_LIMITS, type DeviceLimits } from './limits.ts';
import { type LoopInfo, type Nest, divisors } from './nest.ts';
import { type Knob, SearchSpace } from './space.ts';

const MAX_TILE = 64;

export function cpuSpace(nest: Nest, limits: DeviceLimits = CPU_LIMITS): SearchSpace {
  const sp = nest.spatial.filter((l) => l.extent > 1);
  const [a, b] = sp.slice(-2);
  const k = [...nest.reduce].sort((x, y) => y.extent - x.extent)[0];
  const knobs: Knob[] = [];
  if (a) knobs.push({ name: 'ta', values: divisors(a.extent, MAX_TILE) });
  if (b) {
    knobs.push({ name: 'tb', values: divisors(b.extent, MAX_TILE) });
    knobs.push({ name: 'order', values: [0, 1, 2] });
  }
  if (k && k.extent > 1) {
    knobs.push({ name: 'tk', values: divisors(k.extent, MAX_TILE) });
    knobs.push({ name: 'unroll', values: [0, 1] });
  }
  const steps = (c: Config): Step[] => {
    const s: Step[] = [];
    // The simplifier drops unit loops, so a factor of 1 or of the whole extent leaves one loop.
    const hasO = (l: LoopInfo, f: number) => f < l.extent, hasI = (_l: LoopInfo, f: number) => f > 1;
    if (a && b) {
      s.push({ kind: 'tile', loops: [a.name, b.name], factors: [c.ta, c.tb] });
      if (c.order === 1 && hasO(a, c.ta) && hasO(b, c.tb)) s.push({ kind: 'reorder', loops: [`${b.name}_o`, `${a.name}_o`] });
      if (c.order === 2 && hasI(a, c.ta) && hasI(b, c.tb)) s.push({ kind: 'reorder', loops: [`${b.name}_i`, `${a.name}_i`] });
    } else if (a) s.push({ kind: 'split', loop: a.name, factor: c.ta });
    if (k && k.extent > 1) {
      if (c.tk < k.extent) s.push({ kind: 'split', loop: k.name, factor: c.tk });
      const inner = c.tk < k.extent ? `${k.name}_i` : k.name;
      if (c.unroll && c.tk > 1) s.push({ kind: 'unroll', loop: inner });
    }
    return s;
  };
  // Fully unrolling a long inner loop only bloats the code.
  const pre = (c: Config): string | undefined => {
    if (c.unroll && c.tk > 16) return `unrolling ${c.tk} iterations`;
    // Configs whose knobs have no effect would measure the same program twice.
    if (c.unroll && c.tk === 1) return 'nothing to unroll';
    if (c.order === 1 && !(c.ta < a!.extent && c.tb < b!.extent)) return 'order 1 needs two outer tile loops';
    if (c.order === 2 && !(c.ta > 1 && c.tb > 1)) return 'order 2 needs two inner tile loops';
    return undefined;
  };
  return new SearchSpace('cpu', nest, knobs, steps, limits, pre);
}
