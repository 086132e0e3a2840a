// Static facts about statement trees that the compiler needs before it emits a subtree: where the
// thread loops and barriers are, which allocations a block shares, which buffers are written.
import type { Buffer } from '../buffer.ts';
import { type Allocate, type For, type Stmt, isRegion, stmtChildren } from '../stmt.ts';

export function walk(s: Stmt, visit: (s: Stmt) => void): void {
  visit(s);
  for (const c of stmtChildren(s)) walk(c, visit);
}

function some(s: Stmt, pred: (s: Stmt) => boolean): boolean {
  if (pred(s)) return true;
  return stmtChildren(s).some((c) => some(c, pred));
}

export const isThreadLoop = (s: Stmt): boolean => s.kind === 'for' && s.thread !== undefined && s.thread.startsWith('threadIdx');
export const isBlockLoop = (s: Stmt): boolean => s.kind === 'for' && s.thread !== undefined && s.thread.startsWith('blockIdx');

export const hasThreadLoop = (s: Stmt) => some(s, isThreadLoop);
export const hasBlockLoop = (s: Stmt) => some(s, isBlockLoop);
export const hasBarrier = (s: Stmt) => some(s, (x) => x.kind === 'barrier');

/** Every threadIdx loop in a subtree. */
export function threadLoops(s: Stmt): For[] {
  const out: For[] = [];
  walk(s, (x) => { if (x.kind === 'for' && isThreadLoop(x)) out.push(x); });
  return out;
}

/** Allocations inside a thread program that all its threads share (shared and global scope). */
export function blockAllocations(s: Stmt): Allocate[] {
  const out: Allocate[] = [];
  walk(s, (x) => { if (x.kind === 'allocate' && (x.buffer.scope === 'shared' || x.buffer.scope === 'global')) out.push(x); });
  return out;
}

/** Buffers a subtree writes: stores, and the destination region (first argument) of intrinsics. */
export function writtenBuffers(s: Stmt): Set<Buffer> {
  const out = new Set<Buffer>();
  walk(s, (x) => {
    if (x.kind === 'store') out.add(x.buffer);
    if (x.kind === 'intrinsic' && x.args.length > 0 && isRegion(x.args[0])) out.add(x.args[0].buffer);
  });
  return out;
}
