// Loop annotations: unroll, vectorize, parallel and bind. They change how a loop runs, never which
// iterations run, so each checks what its kind needs: a constant extent (unroll, vectorize, bind),
// no loop inside (vectorize), no dependence carried across iterations (vectorize, parallel, bind),
// and the thread-hierarchy rules for bind (each axis once per path, threads inside blocks).
import type { PrimFunc } from '../ir/tensor/func.ts';
import { MAX_THREADS_PER_BLOCK } from '../ir/tensor/verify.ts';
import { type For, type LoopKind, type Stmt, type ThreadAxis, forLoop } from '../ir/tensor/stmt.ts';
import { carriedDependence } from './deps.ts';
import { findLoop } from './find.ts';
import { type Step, illegal } from './step.ts';
import { enclosingLoops, loopsIn, replaceNode, walkStmt } from './tree.ts';

const KIND_TEXT: Record<LoopKind, string> = {
  serial: 'serial', unrolled: 'unrolled', vectorized: 'vectorized', parallel: 'parallel', bound: 'bound',
};

function describeKind(l: For): string {
  return l.loopKind === 'bound' ? `bound to ${l.thread}` : KIND_TEXT[l.loopKind];
}

function requireSerial(l: For, step: Step): void {
  if (l.loopKind !== 'serial') illegal(step, `loop ${l.loopVar.name} is already ${describeKind(l)}`);
}

function requireConstExtent(l: For, step: Step): number {
  if (l.extent.kind !== 'const') illegal(step, `loop ${l.loopVar.name} has the non-constant extent of its ${l.extent.kind === 'var' ? 'variable' : 'expression'} bound`);
  return l.extent.value;
}

function requireIndependent(l: For, step: Step): void {
  const why = carriedDependence(l);
  if (why) illegal(step, `loop ${l.loopVar.name} carries a dependence: ${why}`);
}

function annotate(f: PrimFunc, l: For, kind: LoopKind, thread?: ThreadAxis): PrimFunc {
  return f.withBody(replaceNode(f.body, l, () => forLoop(l.loopVar, l.min, l.extent, l.body, kind, thread)));
}

export function unrollLoop(f: PrimFunc, loop: string, step: Step): PrimFunc {
  const { node: l } = findLoop(f, loop, step);
  requireSerial(l, step);
  requireConstExtent(l, step);
  return annotate(f, l, 'unrolled');
}

export function vectorizeLoop(f: PrimFunc, loop: string, step: Step): PrimFunc {
  const { node: l } = findLoop(f, loop, step);
  requireSerial(l, step);
  requireConstExtent(l, step);
  let inner: string | undefined;
  walkStmt(l.body, (s) => {
    if (inner) return;
    if (s.kind === 'for') inner = `loop ${s.loopVar.name}`;
    else if (s.kind === 'allocate') inner = `the allocation of ${s.buffer.name}`;
    else if (s.kind === 'barrier') inner = 'a barrier';
    else if (s.kind === 'intrinsic') inner = `intrinsic ${s.name}`;
  });
  if (inner) illegal(step, `only an innermost loop can be vectorized, and ${loop} holds ${inner}`);
  requireIndependent(l, step);
  return annotate(f, l, 'vectorized');
}

const bound = (s: Stmt): s is For => s.kind === 'for' && s.loopKind === 'bound';

export function parallelLoop(f: PrimFunc, loop: string, step: Step): PrimFunc {
  const { node: l, ancestors } = findLoop(f, loop, step);
  requireSerial(l, step);
  const around = enclosingLoops(ancestors).find(bound) ?? loopsIn(l.body).find(bound);
  if (around) illegal(step, `loop ${around.loopVar.name} is bound to ${around.thread}; parallel loops and thread binding do not mix`);
  const npu = npuBuffer(ancestors, l);
  if (npu) illegal(step, `${npu} is in NPU memory (one buffer per kernel), which parallel iterations would share`);
  requireIndependent(l, step);
  return annotate(f, l, 'parallel');
}

const isBlock = (a: ThreadAxis) => a.startsWith('blockIdx');

export function bindLoop(f: PrimFunc, loop: string, axis: ThreadAxis, step: Step): PrimFunc {
  const { node: l, ancestors } = findLoop(f, loop, step);
  requireSerial(l, step);
  if (l.min.kind !== 'const' || l.min.value !== 0) illegal(step, `loop ${loop} must start at 0 to be bound`);
  const extent = requireConstExtent(l, step);
  const outer = enclosingLoops(ancestors);
  const inner = loopsIn(l.body);
  const same = [...outer, ...inner].find((x) => x.thread === axis);
  if (same) illegal(step, `${axis} is already bound to loop ${same.loopVar.name} on this path`);
  const par = [...outer, ...inner].find((x) => x.loopKind === 'parallel');
  if (par) illegal(step, `loop ${par.loopVar.name} is parallel; parallel loops and thread binding do not mix`);
  if (isBlock(axis)) {
    const t = outer.find((x) => x.thread?.startsWith('threadIdx'));
    if (t) illegal(step, `loop ${loop} is inside loop ${t.loopVar.name} bound to ${t.thread}; blocks cannot sit inside threads`);
  } else {
    const b = inner.find((x) => x.thread?.startsWith('blockIdx'));
    if (b) illegal(step, `loop ${loop} encloses loop ${b.loopVar.name} bound to ${b.thread}; threads must sit inside blocks`);
    const threads = threadCount([...outer, l, ...inner], axis, extent);
    if (threads > MAX_THREADS_PER_BLOCK) illegal(step, `a block would have ${threads} threads, more than ${MAX_THREADS_PER_BLOCK}`);
  }
  requireAllocationRules(ancestors, l, axis, step);
  if (!isBlock(axis)) requireNoNewRedundancy(ancestors, l, axis, extent, step);
  requireIndependent(l, step);
  return annotate(f, l, 'bound', axis);
}

/** Threads per block after binding: the largest extent bound to each threadIdx axis, multiplied. */
function threadCount(loops: readonly For[], axis: ThreadAxis, extent: number): number {
  const most = new Map<string, number>([[axis, extent]]);
  for (const x of loops) {
    if (x.thread?.startsWith('threadIdx') && x.extent.kind === 'const') most.set(x.thread, Math.max(most.get(x.thread) ?? 1, x.extent.value));
  }
  return [...most.values()].reduce((a, b) => a * b, 1);
}

/** A local buffer around a bound loop would be shared by its threads; shared memory must stay outside threads. */
function requireAllocationRules(ancestors: readonly Stmt[], l: For, axis: ThreadAxis, step: Step): void {
  const local = ancestors.find((s) => s.kind === 'allocate' && s.buffer.scope === 'local');
  if (local && local.kind === 'allocate') illegal(step, `local buffer ${local.buffer.name} is allocated around loop ${l.loopVar.name}; its threads would share it`);
  const npu = npuBuffer(ancestors, l);
  if (npu) illegal(step, `${npu} is in NPU memory (one buffer per kernel), which thread binding cannot share out`);
  if (isBlock(axis)) return;
  let shared: string | undefined;
  walkStmt(l.body, (s) => { if (s.kind === 'allocate' && s.buffer.scope === 'shared') shared ??= s.buffer.name; });
  if (shared) illegal(step, `shared buffer ${shared} is allocated inside loop ${l.loopVar.name}; shared memory is allocated outside thread loops`);
}

/** A scratchpad or accumulator buffer allocated around or inside `l` (NPU memory: one per kernel). */
function npuBuffer(ancestors: readonly Stmt[], l: For): string | undefined {
  const npu = (s: Stmt) => s.kind === 'allocate' && (s.buffer.scope === 'scratchpad' || s.buffer.scope === 'accumulator');
  let hit = ancestors.find(npu);
  walkStmt(l.body, (s) => { hit ??= npu(s) ? s : undefined; });
  return hit?.kind === 'allocate' ? hit.buffer.name : undefined;
}

/**
 * Every thread of a block runs the block's code, a loop bound to an axis acting as a guard on that
 * thread coordinate. Widening the block along `axis` would make code outside loops bound to it run
 * once per new thread (a store `y = y + …` several times), so that code must not exist.
 */
function requireNoNewRedundancy(ancestors: readonly Stmt[], l: For, axis: ThreadAxis, extent: number, step: Step): void {
  const block = [...ancestors].reverse().find((s): s is For => s.kind === 'for' && !!s.thread?.startsWith('blockIdx'));
  const firstThread = ancestors.find((s): s is For => s.kind === 'for' && !!s.thread?.startsWith('threadIdx'));
  const program: Stmt = block ? block.body : firstThread ?? l;
  let wide = 1;
  walkStmt(program, (s) => { if (s.kind === 'for' && s.thread === axis && s.extent.kind === 'const') wide = Math.max(wide, s.extent.value); });
  if (extent <= wide) return;
  let outside: string | undefined;
  walkStmt(program, (s, anc) => {
    if (outside || !(s.kind === 'store' || s.kind === 'intrinsic' || s.kind === 'barrier')) return;
    const guarded = anc.some((a) => a === l || (a.kind === 'for' && a.thread === axis));
    if (!guarded) outside = s.kind === 'store' ? `the store to ${s.buffer.name}` : s.kind === 'barrier' ? 'a barrier' : `intrinsic ${s.name}`;
  });
  if (outside) {
    illegal(step, `${outside} is outside loop ${l.loopVar.name} in the same thread block, and would run once per thread of ${axis}`);
  }
}
