// A schedule is a list of steps: plain JSON-able data, never code, so a tuning record replays the
// same transformation bit for bit. Loops are named by their loop variable, buffers by their name.
//
//   split(loop, factor)              loop → <loop>_o, <loop>_i (a guard keeps non-divisible extents exact)
//   tile(a, b, fa, fb)               split a and b, then reorder to a_o, b_o, a_i, b_i
//   reorder(l1, l2, …)               permute loops of one perfect nest
//   fuse(outer, inner)               two perfectly nested loops → <outer>_<inner>_f
//   unroll / vectorize / parallel(loop)
//   bind(loop, axis)                 blockIdx.x/y/z, threadIdx.x/y/z
//   cache_read(buffer, scope, at)    copy the region read under loop `at` into a scope
//   cache_write(buffer, scope, at)   accumulate under `at` in a scope, write the region back after it
//   compute_at(buffer, at)           move the stage producing `buffer` under loop `at`
//   inline(buffer)                   substitute an element-wise stage into its consumers
//   double_buffer(buffer)            two copies of a cache tile: prefetch the next while using this one
//   tensorize(loop, intrinsic)       replace the nest at `loop` by matmul_tile or mac
import { type Scope, SCOPES } from '../ir/tensor/buffer.ts';
import { INTRINSICS } from '../ir/tensor/intrinsics.ts';
import { THREAD_AXES, type ThreadAxis } from '../ir/tensor/stmt.ts';
import { ScheduleError } from './error.ts';

export type Step =
  | { readonly kind: 'split'; readonly loop: string; readonly factor: number }
  | { readonly kind: 'tile'; readonly loops: readonly [string, string]; readonly factors: readonly [number, number] }
  | { readonly kind: 'reorder'; readonly loops: readonly string[] }
  | { readonly kind: 'fuse'; readonly outer: string; readonly inner: string }
  | { readonly kind: 'unroll' | 'vectorize' | 'parallel'; readonly loop: string }
  | { readonly kind: 'bind'; readonly loop: string; readonly axis: ThreadAxis }
  | { readonly kind: 'cache_read' | 'cache_write'; readonly buffer: string; readonly scope: Scope; readonly at: string }
  | { readonly kind: 'compute_at'; readonly buffer: string; readonly at: string }
  | { readonly kind: 'inline' | 'double_buffer'; readonly buffer: string }
  | { readonly kind: 'tensorize'; readonly loop: string; readonly intrinsic: string };

export type StepKind = Step['kind'];

export const STEP_KINDS: readonly StepKind[] = [
  'split', 'tile', 'reorder', 'fuse', 'unroll', 'vectorize', 'parallel', 'bind',
  'cache_read', 'cache_write', 'compute_at', 'inline', 'double_buffer', 'tensorize',
];

/** The step as a call, for messages: `cache_read(A, shared, k_o)`. */
export function stepText(s: Step): string {
  const args = ((): (string | number)[] => {
    switch (s.kind) {
      case 'split': return [s.loop, s.factor];
      case 'tile': return [...s.loops, ...s.factors];
      case 'reorder': return [...s.loops];
      case 'fuse': return [s.outer, s.inner];
      case 'unroll': case 'vectorize': case 'parallel': return [s.loop];
      case 'bind': return [s.loop, s.axis];
      case 'cache_read': case 'cache_write': return [s.buffer, s.scope, s.at];
      case 'compute_at': return [s.buffer, s.at];
      case 'inline': case 'double_buffer': return [s.buffer];
      case 'tensorize': return [s.loop, s.intrinsic];
    }
  })();
  return `${s.kind}(${args.join(', ')})`;
}

/** Throws the error of an illegal step: `split(i, 4): loop i is bound to threadIdx.x`. */
export function illegal(step: Step, why: string): never {
  throw new ScheduleError(`${stepText(step)}: ${why}`);
}

export function scheduleToJson(steps: readonly Step[]): string {
  return JSON.stringify(steps);
}

/** Parses and validates a schedule (JSON text or an already parsed value). */
export function parseSchedule(json: unknown): Step[] {
  let value = json;
  if (typeof json === 'string') {
    try { value = JSON.parse(json); } catch (e) { throw new ScheduleError(`schedule is not valid JSON: ${(e as Error).message}`); }
  }
  if (!Array.isArray(value)) throw new ScheduleError('schedule must be a JSON array of steps');
  return value.map((v, i) => parseStep(v, i));
}

const FIELDS: Record<StepKind, readonly string[]> = {
  split: ['loop', 'factor'], tile: ['loops', 'factors'], reorder: ['loops'], fuse: ['outer', 'inner'],
  unroll: ['loop'], vectorize: ['loop'], parallel: ['loop'], bind: ['loop', 'axis'],
  cache_read: ['buffer', 'scope', 'at'], cache_write: ['buffer', 'scope', 'at'], compute_at: ['buffer', 'at'],
  inline: ['buffer'], double_buffer: ['buffer'], tensorize: ['loop', 'intrinsic'],
};

function parseStep(v: unknown, i: number): Step {
  const where = `schedule step ${i}`;
  const bad = (m: string): never => { throw new ScheduleError(`${where}: ${m}`); };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('a step is an object with a "kind"');
  const o = v as Record<string, unknown>;
  const kind = o.kind as StepKind;
  if (!STEP_KINDS.includes(kind)) bad(`unknown kind ${JSON.stringify(o.kind)} (known: ${STEP_KINDS.join(', ')})`);
  for (const k of Object.keys(o)) if (k !== 'kind' && !FIELDS[kind].includes(k)) bad(`${kind} has no field "${k}"`);
  const name = (k: string): string => (typeof o[k] === 'string' && o[k] !== '' ? o[k] as string : bad(`${kind} needs a name in "${k}"`));
  const factor = (x: unknown, k: string): number =>
    (Number.isInteger(x) && (x as number) >= 1 ? x as number : bad(`${kind} needs a positive integer "${k}", got ${JSON.stringify(x)}`));
  const names = (k: string, n?: number): string[] => {
    const a = o[k];
    if (!Array.isArray(a) || a.some((x) => typeof x !== 'string' || x === '') || (n !== undefined && a.length !== n)) {
      bad(`${kind} needs ${n ?? 'a list of'} loop names in "${k}"`);
    }
    return a as string[];
  };
  switch (kind) {
    case 'split': return { kind, loop: name('loop'), factor: factor(o.factor, 'factor') };
    case 'tile': {
      const [a, b] = names('loops', 2);
      const f = o.factors;
      if (!Array.isArray(f) || f.length !== 2) bad('tile needs two "factors"');
      return { kind, loops: [a, b], factors: [factor((f as unknown[])[0], 'factors'), factor((f as unknown[])[1], 'factors')] };
    }
    case 'reorder': return { kind, loops: names('loops') };
    case 'fuse': return { kind, outer: name('outer'), inner: name('inner') };
    case 'unroll': case 'vectorize': case 'parallel': return { kind, loop: name('loop') };
    case 'bind': {
      const axis = name('axis') as ThreadAxis;
      if (!THREAD_AXES.includes(axis)) bad(`unknown thread axis ${axis} (known: ${THREAD_AXES.join(', ')})`);
      return { kind, loop: name('loop'), axis };
    }
    case 'cache_read': case 'cache_write': {
      const scope = name('scope') as Scope;
      if (!SCOPES.includes(scope) || scope === 'global') bad(`scope must be one of ${SCOPES.filter((s) => s !== 'global').join(', ')}, got ${scope}`);
      return { kind, buffer: name('buffer'), scope, at: name('at') };
    }
    case 'compute_at': return { kind, buffer: name('buffer'), at: name('at') };
    case 'inline': case 'double_buffer': return { kind, buffer: name('buffer') };
    case 'tensorize': {
      const intrinsic = name('intrinsic');
      if (!INTRINSICS[intrinsic]) bad(`unknown intrinsic ${intrinsic} (known: ${Object.keys(INTRINSICS).join(', ')})`);
      return { kind, loop: name('loop'), intrinsic };
    }
  }
}
