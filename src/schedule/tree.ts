// Statement-tree plumbing the schedule primitives share: rebuilding a node with new children,
// replacing one node (found by identity) anywhere in a tree, and rewriting every expression or
// store of a subtree. Statements are immutable, so each of these returns a new tree.
import type { Buffer } from '../ir/tensor/buffer.ts';
import { type Expr, Load, type Var, children, load, rewriteExpr } from '../ir/tensor/expr.ts';
import { substStmt } from '../ir/tensor/simplify.ts';
import {
  type For, type Region, type Stmt, type Store, allocate, forLoop, ifThen, intrinsic, isRegion, seq, stmtChildren, store,
} from '../ir/tensor/stmt.ts';

/** `s` with its child statements replaced (same order as stmtChildren). */
export function withChildren(s: Stmt, kids: readonly Stmt[]): Stmt {
  switch (s.kind) {
    case 'for': return forLoop(s.loopVar, s.min, s.extent, kids[0], s.loopKind, s.thread);
    case 'allocate': return allocate(s.buffer, kids[0]);
    case 'seq': return seq(kids);
    case 'if': return ifThen(s.cond, kids[0], kids[1]);
    default: return s;
  }
}

export function withBody(l: For, body: Stmt): For {
  return forLoop(l.loopVar, l.min, l.extent, body, l.loopKind, l.thread);
}

/** Top-down rewrite: where `f` returns a statement it replaces the node (not revisited). */
export function mapStmt(s: Stmt, f: (s: Stmt) => Stmt | undefined): Stmt {
  const direct = f(s);
  if (direct) return direct;
  const kids = stmtChildren(s);
  if (kids.length === 0) return s;
  const next = kids.map((k) => mapStmt(k, f));
  return next.every((k, i) => k === kids[i]) ? s : withChildren(s, next);
}

/** Replaces the node `target` (by identity) with `make(target)`. */
export function replaceNode(root: Stmt, target: Stmt, make: (t: Stmt) => Stmt): Stmt {
  return mapStmt(root, (s) => (s === target ? make(s) : undefined));
}

/** The chain of nodes from `root` down to `target`, both included; undefined if absent. */
export function pathTo(root: Stmt, target: Stmt): Stmt[] | undefined {
  if (root === target) return [root];
  for (const c of stmtChildren(root)) {
    const p = pathTo(c, target);
    if (p) return [root, ...p];
  }
  return undefined;
}

/** Visits every node with its ancestors (outermost first). */
export function walkStmt(s: Stmt, visit: (s: Stmt, ancestors: readonly Stmt[]) => void, ancestors: Stmt[] = []): void {
  visit(s, ancestors);
  ancestors.push(s);
  for (const c of stmtChildren(s)) walkStmt(c, visit, ancestors);
  ancestors.pop();
}

/** Rewrites every expression of a subtree: indices, values, conditions, loop bounds, intrinsic arguments. */
export function mapExprs(s: Stmt, f: (e: Expr) => Expr): Stmt {
  switch (s.kind) {
    case 'for': return forLoop(s.loopVar, f(s.min), f(s.extent), mapExprs(s.body, f), s.loopKind, s.thread);
    case 'store': return store(s.buffer, s.indices.map(f), f(s.value));
    case 'allocate': return allocate(s.buffer, mapExprs(s.body, f));
    case 'seq': return seq(s.stmts.map((x) => mapExprs(x, f)));
    case 'if': return ifThen(f(s.cond), mapExprs(s.then, f), s.otherwise && mapExprs(s.otherwise, f));
    case 'barrier': return s;
    case 'intrinsic': return intrinsic(s.name, s.args.map((a) => (isRegion(a) ? { ...a, offsets: a.offsets.map(f) } : f(a))));
  }
}

/** Replaces every load of `from` by `to(load)` throughout a subtree. */
export function mapLoads(s: Stmt, from: Buffer, to: (l: Load) => Expr): Stmt {
  return mapExprs(s, (e) => rewriteLoads(e, from, to));
}

export function rewriteLoads(e: Expr, from: Buffer, to: (l: Load) => Expr): Expr {
  const memo = new Map<Expr, Expr>();
  const f = (x: Expr): Expr | undefined => {
    if (!(x instanceof Load) || x.buffer !== from) return undefined;
    return to(load(x.buffer, x.indices.map((i) => rewriteExpr(i, f, memo))) as Load);
  };
  return rewriteExpr(e, f, memo);
}

/** Replaces every store statement where `f` returns a statement. */
export function mapStores(s: Stmt, f: (st: Store) => Stmt | undefined): Stmt {
  return mapStmt(s, (x) => (x.kind === 'store' ? f(x) ?? x : undefined));
}

/** Every load in an expression (each distinct load once). */
export function loadsOf(e: Expr, out: Load[] = [], seen = new Set<Expr>()): Load[] {
  if (seen.has(e)) return out;
  seen.add(e);
  if (e instanceof Load) out.push(e);
  for (const c of children(e)) loadsOf(c, out, seen);
  return out;
}

/** The expressions held by one node itself (not by its child statements). */
export function ownExprs(s: Stmt): Expr[] {
  switch (s.kind) {
    case 'for': return [s.min, s.extent];
    case 'store': return [...s.indices, s.value];
    case 'if': return [s.cond];
    case 'intrinsic': return s.args.flatMap((a) => (isRegion(a) ? [...a.offsets] : [a]));
    default: return [];
  }
}

/** Loops of a subtree in pre-order. */
export function loopsIn(s: Stmt): For[] {
  const out: For[] = [];
  walkStmt(s, (x) => { if (x.kind === 'for') out.push(x); });
  return out;
}

export function enclosingLoops(ancestors: readonly Stmt[]): For[] {
  return ancestors.filter((a): a is For => a.kind === 'for');
}

/** Gives loops new variables (`map` from old to new), substituting them in their bodies. */
export function renameLoops(s: Stmt, map: ReadonlyMap<Var, Var>): Stmt {
  if (map.size === 0) return s;
  return mapStmt(s, (x) => {
    if (x.kind !== 'for') return undefined;
    const to = map.get(x.loopVar);
    const body = renameLoops(to ? substStmt(x.body, new Map([[x.loopVar, to]])) : x.body, map);
    return forLoop(to ?? x.loopVar, x.min, x.extent, body, x.loopKind, x.thread);
  });
}

/** Rewrites every intrinsic region over `from`. */
export function mapRegions(s: Stmt, from: Buffer, to: (r: Region) => Region): Stmt {
  return mapStmt(s, (x) => {
    if (x.kind !== 'intrinsic' || !x.args.some((a) => isRegion(a) && a.buffer === from)) return undefined;
    return intrinsic(x.name, x.args.map((a) => (isRegion(a) && a.buffer === from ? to(a) : a)));
  });
}

/** Redirects every access of `from` (loads, stores, intrinsic regions) to `to`, re-indexed by `index`. */
export function retarget(s: Stmt, from: Buffer, to: Buffer, index: (ix: readonly Expr[]) => Expr[]): Stmt {
  const loads = mapLoads(s, from, (l) => load(to, index(l.indices)));
  const stores = mapStores(loads, (st) => (st.buffer === from ? store(to, index(st.indices), st.value) : undefined));
  return mapRegions(stores, from, (r) => {
    const offsets = index(r.offsets);
    const extents = [...Array(offsets.length - r.extents.length).fill(1), ...r.extents];
    return { buffer: to, offsets, extents };
  });
}
