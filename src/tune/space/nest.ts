// The loop nest a search space is built over: the perfectly nested spatial loops at the top of the
// function's main nest (each output element) and the reduction loops under the output's init store.
// Lowered complex ops (MatMul, Conv, Gemm …) all have this shape; anything else gets a space of
// annotations only.
import type { PrimFunc } from '../../ir/tensor/func.ts';
import type { For, Stmt } from '../../ir/tensor/stmt.ts';
import { uniqueLoopNames } from '../../schedule/find.ts';

export interface LoopInfo { readonly name: string; readonly extent: number }

export interface Nest {
  /** The function with unique loop names (what schedules are applied to). */
  readonly func: PrimFunc;
  readonly spatial: readonly LoopInfo[];
  readonly reduce: readonly LoopInfo[];
  /** Input buffers read inside the reduction (candidates for cache_read). */
  readonly inputs: readonly string[];
}

const extentOf = (l: For): number => (l.extent.kind === 'const' ? l.extent.value : -1);

function chain(s: Stmt): { loops: LoopInfo[]; body: Stmt } {
  const loops: LoopInfo[] = [];
  while (s.kind === 'for' && extentOf(s) > 0 && s.loopKind === 'serial') {
    loops.push({ name: s.loopVar.name, extent: extentOf(s) });
    s = s.body;
  }
  return { loops, body: s };
}

export function analyzeNest(f: PrimFunc): Nest {
  const func = uniqueLoopNames(f);
  const top = func.body.kind === 'seq' ? func.body.stmts : [func.body];
  // The nest with the most iterations is the one worth scheduling.
  let best: { spatial: LoopInfo[]; body: Stmt } | undefined;
  let bestTrip = 0;
  for (const s of top) {
    const { loops, body } = chain(s);
    const trip = loops.reduce((a, l) => a * l.extent, 1);
    if (loops.length > 0 && trip > bestTrip) { best = { spatial: loops, body }; bestTrip = trip; }
  }
  if (!best) return { func, spatial: [], reduce: [], inputs: [] };
  let reduce: LoopInfo[] = [];
  const body = best.body;
  if (body.kind === 'seq' && body.stmts.length === 2 && body.stmts[0].kind === 'store' && body.stmts[1].kind === 'for') {
    reduce = chain(body.stmts[1]).loops;
  }
  const inputs = func.inputs.filter((b) => b.rank >= 2).map((b) => b.name);
  return { func, spatial: best.spatial, reduce, inputs };
}

/** Divisors of n up to `max` (tile factors that need no guard). */
export function divisors(n: number, max = n): number[] {
  const out: number[] = [];
  for (let d = 1; d <= Math.min(n, max); d++) if (n % d === 0) out.push(d);
  return out;
}
