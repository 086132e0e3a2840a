// What a cache into shared memory needs from the thread structure around its loop. The threads of
// a block copy the tile together (each a strided share of the elements) and meet at a barrier
// before anyone reads it, and again before the next copy overwrites it. That is only correct when
// every thread of the block reaches those barriers together: the loop must sit inside thread loops
// that cover the whole block, under no condition or trip count that differs between threads.
import { type Expr, Const, add, floordiv, floormod, freeVars, int, load, lt, mul, variable } from '../ir/tensor/expr.ts';
import type { Buffer } from '../ir/tensor/buffer.ts';
import { printExpr } from '../ir/tensor/print.ts';
import { type For, type Stmt, type ThreadAxis, forLoop, ifThen, store } from '../ir/tensor/stmt.ts';
import type { Box } from './region.ts';
import { loadsOf, loopsIn } from './tree.ts';

const isThread = (s: Stmt): s is For => s.kind === 'for' && !!s.thread?.startsWith('threadIdx');
const isBlock = (s: Stmt): s is For => s.kind === 'for' && !!s.thread?.startsWith('blockIdx');

export interface ThreadPlace {
  /** The innermost blockIdx loop around (or at) the loop, if any. */
  readonly block?: For;
  /** threadIdx loops around the loop (and the loop itself if bound to one), outermost first. */
  readonly threads: readonly For[];
}

export function threadPlace(ancestors: readonly Stmt[], l: For): ThreadPlace {
  const chain = [...ancestors, l];
  const block = [...chain].reverse().find(isBlock);
  return { block, threads: chain.filter(isThread) };
}

/** Why the threads around `l` might not all reach a barrier placed in its body; undefined if they will. */
export function divergence(ancestors: readonly Stmt[], l: For, place: ThreadPlace): string | undefined {
  const tvars = new Set(place.threads.map((t) => t.loopVar));
  const varying = (e: Expr) => [...freeVars(e)].find((v) => tvars.has(v));
  const first = ancestors.indexOf(place.threads[0]);
  for (const s of [...ancestors.slice(first < 0 ? ancestors.length : first + 1), l]) {
    if (s.kind === 'if') {
      const v = varying(s.cond);
      if (v) return `the condition ${printExpr(s.cond)} depends on ${v.name}`;
      if (loadsOf(s.cond).length) return `the condition ${printExpr(s.cond)} depends on memory, which may differ between threads`;
    }
    if (s.kind === 'for' && !s.thread?.startsWith('threadIdx')) {
      const v = varying(s.min) ?? varying(s.extent);
      if (v) return `the trip count of loop ${s.loopVar.name} depends on ${v.name}`;
    }
  }
  // Threads of the block that skip these thread loops would never reach the barrier.
  const all = place.block ? loopsIn(place.block.body).filter(isThread) : place.threads;
  const dims = new Map<ThreadAxis, number>();
  for (const t of all) dims.set(t.thread!, Math.max(dims.get(t.thread!) ?? 1, constExtent(t)));
  for (const [axis, n] of dims) {
    const mine = place.threads.find((t) => t.thread === axis);
    if (n > 1 && (!mine || constExtent(mine) !== n)) {
      return `the block has ${n} threads along ${axis} but ${mine ? `loop ${mine.loopVar.name} covers ${constExtent(mine)}` : 'no loop around it is bound to it'}`;
    }
  }
  return undefined;
}

function constExtent(l: For): number { return l.extent instanceof Const ? l.extent.value : 1; }

/** The linear thread id over `threads` (innermost fastest) and the number of threads. */
function threadId(threads: readonly For[]): { id: Expr; count: number } {
  let id: Expr = int(0), count = 1;
  for (const t of threads) { id = add(mul(id, int(constExtent(t))), t.loopVar); count *= constExtent(t); }
  return { id, count };
}

/** Element `lin` (row-major) of a box of extents `ext`, as indices. */
function unflatten(lin: Expr, ext: readonly number[]): Expr[] {
  let stride = ext.reduce((a, b) => a * b, 1);
  return ext.map((n, d) => {
    stride /= n;
    if (n === 1) return int(0);
    const q = floordiv(lin, int(stride));
    return d === 0 ? q : floormod(q, int(n));
  });
}

/** dst[c] = src[offset + c] for every element c of the box, shared out among `threads`. */
export function cooperativeCopy(dst: Buffer, src: Buffer, box: Box, threads: readonly For[], loopName: string): Stmt {
  const { id, count } = threadId(threads);
  const total = box.extents.reduce((a, b) => a * b, 1);
  const rounds = Math.ceil(total / count);
  const c = variable(loopName);
  const lin = rounds > 1 ? add(mul(c, int(count)), id) : id;
  const idx = unflatten(lin, box.extents);
  const one = store(dst, idx, load(src, idx.map((x, d) => add(box.offsets[d], x))));
  const body = total % count === 0 ? one : ifThen(lt(lin, int(total)), one);
  return rounds > 1 ? forLoop(c, int(0), int(rounds), body) : body;
}
