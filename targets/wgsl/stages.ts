// A PrimFunc becomes one compute pass per top-level stage: WGSL has no grid-wide barrier, so a
// stage that reads what another stage of the same function wrote (softmax's max, then its sum)
// must be a separate dispatch. Buffers allocated at the top level live across stages and become
// device temporaries; allocations inside a stage stay in registers or workgroup memory.
//
// Inside a stage, the outer loops whose iterations touch disjoint elements are the parallel loops
// (unless the schedule bound loops to thread axes itself): each invocation runs one iteration of
// them. A loop is parallel when, for every buffer the stage writes, its variable is an index of
// every access to that buffer at one fixed position — so two invocations never touch one element.
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, Var, children } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { For, type Stmt, stmtChildren } from '../../src/ir/tensor/stmt.ts';

export interface Stage {
  readonly body: Stmt;
  /** Outer loops run one iteration per invocation (outermost first); empty for bound stages. */
  readonly parallel: readonly For[];
  /** What the parallel loops enclose. */
  readonly inner: Stmt;
  /** Loops the schedule bound to thread axes. */
  readonly bound: readonly For[];
}

export interface Split {
  readonly temps: readonly Buffer[];
  readonly stages: readonly Stage[];
}

export function splitStages(f: PrimFunc): Split {
  const temps: Buffer[] = [];
  const bodies: Stmt[] = [];
  const walk = (s: Stmt): void => {
    if (s.kind === 'allocate') { temps.push(s.buffer); walk(s.body); } else if (s.kind === 'seq') s.stmts.forEach(walk);
    else bodies.push(s);
  };
  walk(f.body);
  return { temps, stages: bodies.map(stageOf) };
}

function stageOf(body: Stmt): Stage {
  const bound: For[] = [];
  forEachStmt(body, (s) => { if (s.kind === 'for' && s.loopKind === 'bound') bound.push(s); });
  if (bound.length > 0) return { body, parallel: [], inner: body, bound };
  const chain: For[] = [];
  let s: Stmt = body;
  while (s instanceof For) { chain.push(s); s = s.body; }
  const accesses = writtenAccesses(body);
  let k = chain.length;
  while (k > 0 && !chain.slice(0, k).every((l) => isParallel(l, accesses))) k--;
  return { body, parallel: chain.slice(0, k), inner: k === 0 ? body : chain[k - 1].body, bound: [] };
}

/** Every access (store or load) of each buffer the statement writes. */
function writtenAccesses(s: Stmt): Map<Buffer, (readonly Expr[])[]> {
  const written = new Map<Buffer, (readonly Expr[])[]>();
  forEachStmt(s, (x) => { if (x.kind === 'store') written.set(x.buffer, []); });
  const seen = new Set<Expr>();
  const visitExpr = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === 'load') written.get(e.buffer)?.push(e.indices);
    children(e).forEach(visitExpr);
  };
  forEachStmt(s, (x) => {
    if (x.kind === 'store') { written.get(x.buffer)!.push(x.indices); x.indices.forEach(visitExpr); visitExpr(x.value); }
    if (x.kind === 'if') visitExpr(x.cond);
    if (x.kind === 'for') { visitExpr(x.min); visitExpr(x.extent); }
  });
  return written;
}

function isParallel(loop: For, accesses: Map<Buffer, (readonly Expr[])[]>): boolean {
  if (loop.extent.kind === 'const' && loop.extent.value <= 1) return true;
  if (loop.extent.kind !== 'const' || loop.min.kind !== 'const') return false;
  const v: Var = loop.loopVar;
  for (const list of accesses.values()) {
    let common: Set<number> | undefined;
    for (const idx of list) {
      const here = new Set<number>();
      idx.forEach((e, p) => { if (e === v) here.add(p); });
      common = common ? new Set([...common].filter((p) => here.has(p))) : here;
      if (common.size === 0) return false;
    }
  }
  return true;
}

export function forEachStmt(s: Stmt, f: (s: Stmt) => void): void {
  f(s);
  for (const c of stmtChildren(s)) forEachStmt(c, f);
}
