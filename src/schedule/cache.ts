// cache_read and cache_write: stage the part of a buffer that one iteration of a loop touches in a
// faster scope. The region is a box computed from the index expressions (region.ts); its copy sits
// at the start of the loop body (read) or its write-back at the end (write), and the accesses under
// the loop are redirected to the cache. In shared memory under thread loops the threads split the
// copy between them and meet at barriers (threads.ts) so that nobody reads a tile before it is
// complete or overwrites it while others still read it.
import { type Buffer, type Scope, buffer } from '../ir/tensor/buffer.ts';
import { type Expr, add, int, load, sub, variable } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { type For, type Stmt, allocate, barrier, forLoop, seq, store } from '../ir/tensor/stmt.ts';
import { type Access, accessesIn, readIn, sameIndices, writtenIn } from './access.ts';
import { affineIn } from './affine.ts';
import { findBuffer, findLoop, freshName, takenNames } from './find.ts';
import { type Box, type Inner, accessBox, loopRanges } from './region.ts';
import { type Step, illegal } from './step.ts';
import { type ThreadPlace, cooperativeCopy, divergence, threadPlace } from './threads.ts';
import { enclosingLoops, loopsIn, replaceNode, retarget, withBody } from './tree.ts';

const isThread = (s: Stmt): s is For => s.kind === 'for' && !!s.thread?.startsWith('threadIdx');

/** Loops over the box (extent-1 dims get index 0): dst[c] = src[offset + c], or back when `out`. */
function copyNest(cache: Buffer, b: Buffer, box: Box, names: () => string, out: boolean): Stmt {
  const vars = box.extents.map((n) => (n > 1 ? variable(names()) : undefined));
  const idx: Expr[] = vars.map((v) => v ?? int(0));
  const far = idx.map((x, d) => add(box.offsets[d], x));
  let s: Stmt = out ? store(b, far, load(cache, idx)) : store(cache, idx, load(b, far));
  for (let d = box.extents.length - 1; d >= 0; d--) {
    const v = vars[d];
    if (v) s = forLoop(v, int(0), int(box.extents[d]), s);
  }
  return s;
}

function cacheBuffer(f: PrimFunc, b: Buffer, scope: Scope, box: Box): { cache: Buffer; names: () => string } {
  const taken = takenNames(f);
  const cache = buffer(freshName(taken, `${b.name}.${scope}`), b.dtype, box.extents, scope);
  const ident = cache.name.replace(/[^A-Za-z0-9_]/g, '_');
  let d = 0;
  return { cache, names: () => freshName(taken, `${ident}_${d++}`) };
}

const shifted = (box: Box) => (indices: readonly Expr[]) => indices.map((x, d) => sub(x, box.offsets[d]));

/** Drops a barrier that directly follows another: one is enough. */
function tidy(stmts: readonly Stmt[]): Stmt {
  const all = seq(stmts);
  const flat = all.kind === 'seq' ? all.stmts : [all];
  return seq(flat.filter((s, i) => !(s.kind === 'barrier' && i > 0 && flat[i - 1].kind === 'barrier')));
}

export function cacheRead(f: PrimFunc, bufName: string, scope: Scope, at: string, step: Step): PrimFunc {
  const { node: l, ancestors } = findLoop(f, at, step);
  const b = findBuffer(f, bufName, step);
  requireVisible(f, b, ancestors, l, step);
  const acc = accessesIn(l.body).filter((a) => a.buffer === b);
  if (!acc.some((a) => a.kind === 'load')) illegal(step, `${b.name} is not read under loop ${at}`);
  if (acc.some((a) => a.kind === 'store')) illegal(step, `${b.name} is written under loop ${at}, so a copy taken at its start would go stale (use cache_write)`);
  const place = threadPlace(ancestors, l);
  const coop = scope === 'shared' && place.threads.length > 0;
  if (scope === 'shared') requireSharedRead(f, b, ancestors, l, place, step);
  requireScopeFits(ancestors, l, scope, step);
  const threadLoops = coop ? place.threads : [];
  const inner: Inner = new Map(threadLoops.map((t) => [t.loopVar, { min: t.min, extent: t.extent }]));
  const outer = loopRanges([...enclosingLoops(ancestors), l].filter((x) => !threadLoops.includes(x)));
  const box = accessBox(b, acc, inner, outer);
  const { cache, names } = cacheBuffer(f, b, scope, box);
  const body = retarget(l.body, b, cache, shifted(box));
  if (!coop) {
    const copy = copyNest(cache, b, box, names, false);
    return f.withBody(replaceNode(f.body, l, () => withBody(l, allocate(cache, seq([copy, body])))));
  }
  const copy = cooperativeCopy(cache, b, box, place.threads, names());
  const newL = withBody(l, tidy(withCopy(body, copy, cache)));
  return f.withBody(replaceNode(f.body, place.threads[0], (t) => allocate(cache, replaceNode(t, l, () => newL))));
}

/**
 * The body with a cooperative copy in front, then a barrier; when the body already starts with
 * copies into shared memory and their barrier (an earlier cache_read), the new copy joins them.
 */
function withCopy(body: Stmt, copy: Stmt, cache: Buffer): Stmt[] {
  const stmts = body.kind === 'seq' ? body.stmts : [body];
  const wall = stmts.findIndex((s) => s.kind === 'barrier');
  // Copies that read the new cache (a cache of a cache) must wait for it behind a barrier.
  const copies = wall > 0 && stmts.slice(0, wall).every((s) => [...writtenIn(s)].every((x) => x.scope === 'shared') && !readIn(s).has(cache));
  if (copies) return [...stmts.slice(0, wall), copy, ...stmts.slice(wall), barrier];
  return [copy, barrier, ...stmts, barrier];
}

/** A shared tile lives in a block; under thread loops all the block's threads fill it together. */
function requireSharedRead(f: PrimFunc, b: Buffer, ancestors: readonly Stmt[], l: For, place: ThreadPlace, step: Step): void {
  const at = l.loopVar.name;
  if (!place.block) illegal(step, `shared memory belongs to a thread block, and loop ${at} is not inside a loop bound to blockIdx`);
  const inside = loopsIn(l.body).find(isThread);
  if (inside) illegal(step, `loop ${at} encloses loop ${inside.loopVar.name} bound to ${inside.thread}; cache at a loop inside the thread loops so the threads can share the copy`);
  if (place.threads.length === 0) return;
  if (!f.params.includes(b) && b.scope !== 'shared') {
    illegal(step, `${b.name} is ${b.scope} memory, private to each thread, so the threads cannot copy it for one another`);
  }
  const why = divergence(ancestors, l, place);
  if (why) illegal(step, `the threads could not share the copy and its barriers: ${why}`);
}

/** The cache is filled and drained around the loop, so the buffer must exist there. */
function requireVisible(f: PrimFunc, b: Buffer, ancestors: readonly Stmt[], l: For, step: Step): void {
  if (f.params.includes(b) || ancestors.some((s) => s.kind === 'allocate' && s.buffer === b)) return;
  illegal(step, `${b.name} is allocated inside loop ${l.loopVar.name}; cache it at a loop inside its allocation`);
}

/**
 * A local buffer is private to one thread, so it may not enclose thread loops. Scratchpad and
 * accumulator are NPU memories, one per kernel, so they do not mix with thread binding at all.
 */
function requireScopeFits(ancestors: readonly Stmt[], l: For, scope: Scope, step: Step): void {
  const inside = loopsIn(l.body).find((x) => x.loopKind === 'bound');
  if (scope === 'local' && inside) {
    illegal(step, `a local buffer in loop ${l.loopVar.name} would enclose loop ${inside.loopVar.name} bound to ${inside.thread}, whose threads would share it`);
  }
  if (scope !== 'scratchpad' && scope !== 'accumulator') return;
  const shared = (x: For) => x.loopKind === 'bound' || x.loopKind === 'parallel';
  const clash = [...ancestors, l].find((x): x is For => x.kind === 'for' && shared(x)) ?? loopsIn(l.body).find(shared);
  if (clash) {
    const how = clash.loopKind === 'bound' ? `bound to ${clash.thread}` : 'parallel';
    illegal(step, `${scope} is NPU memory, one buffer per kernel, and loop ${clash.loopVar.name} is ${how}`);
  }
}

export function cacheWrite(f: PrimFunc, bufName: string, scope: Scope, at: string, step: Step): PrimFunc {
  const { node: l, ancestors } = findLoop(f, at, step);
  const b = findBuffer(f, bufName, step);
  requireVisible(f, b, ancestors, l, step);
  const acc = accessesIn(l.body).filter((a) => a.buffer === b);
  if (!acc.some((a) => a.kind === 'store')) illegal(step, `${b.name} is not written under loop ${at}`);
  const intr = acc.find((a) => a.stmt.kind === 'intrinsic');
  if (intr && intr.stmt.kind === 'intrinsic') illegal(step, `intrinsic ${intr.stmt.name} under loop ${at} accesses ${b.name}; cache_write before tensorize`);
  const place = threadPlace(ancestors, l);
  if (scope === 'shared') {
    if (!place.block) illegal(step, `shared memory belongs to a thread block, and loop ${at} is not inside a loop bound to blockIdx`);
    const t = place.threads[0] ?? loopsIn(l.body).find(isThread);
    if (t) illegal(step, `loop ${t.loopVar.name} is bound to ${t.thread}; cache_write into shared memory is for code outside thread loops (use local)`);
  }
  requireScopeFits(ancestors, l, scope, step);
  const loops = [...enclosingLoops(ancestors), l];
  const box = accessBox(b, acc, new Map(), loopRanges(loops));
  const exact = acc.some((a) => a.kind === 'store' && covers(a, box));
  const copyIn = !exact || acc.some((a) => a.kind === 'load' && !initialized(a));
  if (!exact) {
    const par = loops.find((x) => x.loopKind === 'parallel' || x.loopKind === 'bound');
    if (par) illegal(step, `the stores under loop ${at} may not write all of the region of ${b.name} they touch, so writing it back would race with other iterations of loop ${par.loopVar.name}`);
  }
  const { cache, names } = cacheBuffer(f, b, scope, box);
  const body = retarget(l.body, b, cache, shifted(box));
  const stmts = [copyIn ? copyNest(cache, b, box, names, false) : seq([]), body, copyNest(cache, b, box, names, true)];
  return f.withBody(replaceNode(f.body, l, () => withBody(l, allocate(cache, seq(stmts)))));
}

/** An unguarded store whose loops sweep the whole box, one loop per dim with stride 1. */
function covers(a: Access, box: Box): boolean {
  if (a.path.some((s) => s.kind === 'if')) return false;
  const vars = new Set(a.loops.map((l) => l.loopVar));
  const used = new Set<unknown>();
  return a.indices.every((ix, d) => {
    const aff = affineIn(ix, vars);
    if (!aff) return false;
    const terms = [...aff.coef].filter(([, c]) => c !== 0);
    if (terms.length === 0) return box.extents[d] === 1;
    const [[v, c]] = terms;
    const loop = a.loops.find((l) => l.loopVar === v)!;
    if (terms.length !== 1 || c !== 1 || used.has(v) || loop.extent.kind !== 'const') return false;
    used.add(v);
    return loop.extent.value === box.extents[d];
  });
}

/** A load that an earlier statement of an enclosing sequence has written, at the same indices. */
function initialized(a: Access): boolean {
  const chain = [...a.path, a.stmt];
  return chain.some((s, i) => {
    if (s.kind !== 'seq') return false;
    const k = s.stmts.indexOf(chain[i + 1]);
    return s.stmts.slice(0, k).some((x) => x.kind === 'store' && x.buffer === a.buffer && sameIndices(x.indices, a.indices));
  });
}
