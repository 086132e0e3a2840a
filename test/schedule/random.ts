// Random legal schedules for the property tests. Each pick is guided by the function's current
// shape (loops of one band for reorder and fuse, buffers read under a loop for cache_read …) so
// that most picks apply; a pick the schedule refuses (ScheduleError) is skipped and counted.
import { Const } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import type { For, ThreadAxis } from '../../src/ir/tensor/stmt.ts';
import { rng } from '../../src/runtime/random.ts';
import { accessesIn } from '../../src/schedule/access.ts';
import { applyStep, uniqueLoopNames } from '../../src/schedule/apply.ts';
import { bandFrom } from '../../src/schedule/band.ts';
import { ScheduleError } from '../../src/schedule/error.ts';
import type { Step, StepKind } from '../../src/schedule/step.ts';
import { loopsIn, walkStmt } from '../../src/schedule/tree.ts';

export interface Attempt { readonly step: Step; readonly applied: boolean; readonly why?: string }
export interface RandomRun { readonly func: PrimFunc; readonly attempts: Attempt[] }

type Rand = () => number;

const pick = <T>(r: Rand, xs: readonly T[]): T | undefined => (xs.length ? xs[Math.floor(r() * xs.length)] : undefined);
const extentOf = (l: For) => (l.extent instanceof Const ? l.extent.value : undefined);
const name = (l: For) => l.loopVar.name;

/** A split factor: usually a divisor of the extent, sometimes not (guards), never the extent itself. */
function factor(r: Rand, l: For): number {
  const n = extentOf(l) ?? 8;
  const divisors = [];
  for (let d = 2; d < n; d++) if (n % d === 0) divisors.push(d);
  if (divisors.length && r() < 0.7) return pick(r, divisors)!;
  return 2 + Math.floor(r() * Math.max(1, n - 2));
}

function allocated(f: PrimFunc): Buffer[] {
  const out: Buffer[] = [];
  walkStmt(f.body, (s) => { if (s.kind === 'allocate') out.push(s.buffer); });
  return out;
}

/** Loops under which `b` is accessed the given way. */
function loopsAccessing(f: PrimFunc, b: Buffer, kind: 'load' | 'store'): For[] {
  return loopsIn(f.body).filter((l) => accessesIn(l.body).some((a) => a.buffer === b && a.kind === kind));
}

const KINDS: readonly [StepKind, number][] = [
  ['split', 3], ['tile', 2], ['reorder', 2], ['fuse', 1.5], ['unroll', 1], ['vectorize', 1.5], ['parallel', 1.5],
  ['bind', 1], ['cache_read', 2], ['cache_write', 1.5], ['compute_at', 1.5], ['inline', 1], ['double_buffer', 1], ['tensorize', 1],
];
const TOTAL = KINDS.reduce((a, [, w]) => a + w, 0);

function pickKind(r: Rand): StepKind {
  let x = r() * TOTAL;
  for (const [k, w] of KINDS) { x -= w; if (x < 0) return k; }
  return 'split';
}

/** One plausible step for `f`, or undefined when the kind has nothing to act on. */
export function randomStep(f: PrimFunc, r: Rand): Step | undefined {
  const loops = loopsIn(f.body);
  const free = loops.filter((l) => l.loopKind === 'serial');
  const kind = pickKind(r);
  const l = pick(r, free);
  switch (kind) {
    case 'split': return l && { kind, loop: name(l), factor: factor(r, l) };
    case 'tile': {
      const band = l && bandFrom(l).loops;
      const b = band && pick(r, band.slice(1));
      return l && b && { kind, loops: [name(l), name(b)], factors: [factor(r, l), factor(r, b)] };
    }
    case 'reorder': {
      const band = l ? bandFrom(l).loops.filter((x) => x.loopKind === 'serial') : [];
      if (band.length < 2) return undefined;
      const chosen = band.filter(() => r() < 0.7);
      const some = chosen.length >= 2 ? chosen : band.slice(0, 2);
      return { kind, loops: [...some].sort(() => r() - 0.5).map(name) };
    }
    case 'fuse': {
      const band = l && bandFrom(l).loops;
      return band && band.length > 1 ? { kind, outer: name(band[0]), inner: name(band[1]) } : undefined;
    }
    case 'unroll': return l && { kind, loop: name(l) };
    case 'vectorize': {
      const inner = free.filter((x) => loopsIn(x.body).length === 0);
      const v = pick(r, inner);
      return v && { kind, loop: name(v) };
    }
    case 'parallel': return l && { kind, loop: name(l) };
    case 'bind': {
      const axis: ThreadAxis = pick(r, ['blockIdx.x', 'blockIdx.y', 'threadIdx.x', 'threadIdx.y', 'threadIdx.z'] as const)!;
      return l && { kind, loop: name(l), axis };
    }
    case 'cache_read': {
      const b = pick(r, [...f.inputs, ...allocated(f)]);
      const at = b && pick(r, loopsAccessing(f, b, 'load'));
      return b && at && { kind, buffer: b.name, scope: pick(r, ['local', 'shared', 'scratchpad'] as const)!, at: name(at) };
    }
    case 'cache_write': {
      const b = pick(r, [...f.outputs, ...allocated(f)]);
      const at = b && pick(r, loopsAccessing(f, b, 'store'));
      return b && at && { kind, buffer: b.name, scope: pick(r, ['local', 'accumulator', 'scratchpad'] as const)!, at: name(at) };
    }
    case 'compute_at': {
      const b = pick(r, allocated(f));
      const at = b && pick(r, loopsAccessing(f, b, 'load'));
      return b && at && { kind, buffer: b.name, at: name(at) };
    }
    case 'inline': case 'double_buffer': {
      const b = pick(r, allocated(f));
      return b && { kind, buffer: b.name };
    }
    case 'tensorize': {
      const t = pick(r, loops);
      return t && { kind, loop: name(t), intrinsic: loopsIn(t.body).length ? 'matmul_tile' : 'mac' };
    }
  }
}

/** Tries `step`; records whether it applied (a ScheduleError is a refused pick, anything else a bug). */
function attempt(f: PrimFunc, step: Step, log: Attempt[]): PrimFunc {
  try {
    const out = applyStep(f, step);
    log.push({ step, applied: true });
    return out;
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    log.push({ step, applied: false, why: e.message });
    return f;
  }
}

export function randomSchedule(f0: PrimFunc, seed: number, count: number): RandomRun {
  const r = rng(seed);
  let f = uniqueLoopNames(f0);
  const attempts: Attempt[] = [];
  for (let i = 0; i < count; i++) {
    const step = randomStep(f, r);
    if (step) f = attempt(f, step, attempts);
  }
  return { func: f, attempts };
}

const outputNest = (f: PrimFunc) =>
  loopsIn(f.body).find((l) => accessesIn(l).some((a) => a.buffer === f.outputs[0] && a.kind === 'store'));

/** A factor in 2..4 that divides the extent and leaves more than one outer iteration. */
function properDivisor(r: Rand, l: For): number | undefined {
  const n = extentOf(l) ?? 0;
  return pick(r, [2, 3, 4].filter((d) => n % d === 0 && d < n));
}

/**
 * A GPU-style schedule. Stages of multi-stage kernels (softmax, layernorm) are first computed at
 * the output's row loop. Then the output nest's outer loops are split into blocks × threads and
 * bound (two loops as a 2-D grid when they divide, else one), the reduction loop under the threads
 * is split, and the inputs it reads are staged in shared memory (cooperative copies and barriers),
 * sometimes double-buffered. A few random steps follow.
 */
export function gpuSchedule(f0: PrimFunc, seed: number, extra: number): RandomRun {
  const r = rng(seed);
  let f = uniqueLoopNames(f0);
  const attempts: Attempt[] = [];
  const go = (s: Step) => { f = attempt(f, s, attempts); };
  const top = outputNest(f);
  if (!top) return { func: f, attempts };
  for (const b of [...allocated(f)].reverse()) go({ kind: 'compute_at', buffer: b.name, at: name(top) });
  const band = bandFrom(outputNest(f)!).loops.filter((l) => properDivisor(r, l) !== undefined);
  let threads: string | undefined;
  if (band.length >= 2) {
    const [a, b] = band;
    go({ kind: 'tile', loops: [name(a), name(b)], factors: [properDivisor(r, a)!, properDivisor(r, b)!] });
    go({ kind: 'bind', loop: `${name(a)}_o`, axis: 'blockIdx.y' });
    go({ kind: 'bind', loop: `${name(b)}_o`, axis: 'blockIdx.x' });
    go({ kind: 'bind', loop: `${name(a)}_i`, axis: 'threadIdx.y' });
    go({ kind: 'bind', loop: `${name(b)}_i`, axis: 'threadIdx.x' });
    threads = `${name(b)}_i`;
  } else if (band.length === 1) {
    const [a] = band;
    go({ kind: 'split', loop: name(a), factor: properDivisor(r, a)! });
    go({ kind: 'bind', loop: `${name(a)}_o`, axis: 'blockIdx.x' });
    go({ kind: 'bind', loop: `${name(a)}_i`, axis: 'threadIdx.x' });
    threads = `${name(a)}_i`;
  }
  // Stage the inputs of the first loop under the threads (its outer half, when it splits).
  const threadLoop = loopsIn(f.body).find((l) => name(l) === threads && l.loopKind === 'bound');
  const first = threadLoop && loopsIn(threadLoop.body).find((l) => (extentOf(l) ?? 0) > 1);
  if (first) {
    const factor = properDivisor(r, first);
    if (factor) go({ kind: 'split', loop: name(first), factor });
    const atName = factor ? `${name(first)}_o` : name(first);
    const at = loopsIn(f.body).find((l) => name(l) === atName);
    for (const x of at ? f.inputs.filter((i) => accessesIn(at.body).some((acc) => acc.buffer === i)) : []) {
      go({ kind: 'cache_read', buffer: x.name, scope: 'shared', at: atName });
      if (r() < 0.5) go({ kind: 'double_buffer', buffer: `${x.name}.shared` });
    }
  }
  for (let i = 0; i < extra; i++) {
    const step = randomStep(f, r);
    if (step) f = attempt(f, step, attempts);
  }
  return { func: f, attempts };
}
