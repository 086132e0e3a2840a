// Buffer accesses of a subtree, with the loops around each: the raw material of the dependence
// checks (deps.ts) and of region analysis (region.ts). An intrinsic's region is an access whose
// dim d ranges over offset_d + [0, extent_d), written as offset_d + a pseudo loop variable.
import type { Buffer } from '../ir/tensor/buffer.ts';
import { type Expr, type Var, add, variable } from '../ir/tensor/expr.ts';
import { type For, type Stmt, isRegion } from '../ir/tensor/stmt.ts';
import { enclosingLoops, loadsOf, ownExprs, walkStmt } from './tree.ts';

export interface Access {
  readonly buffer: Buffer;
  readonly kind: 'load' | 'store';
  readonly indices: readonly Expr[];
  /** Loops between the subtree's root (included) and the access, outermost first. */
  readonly loops: readonly For[];
  /** Every node between the subtree's root (included) and the statement holding the access. */
  readonly path: readonly Stmt[];
  /** The statement holding the access. */
  readonly stmt: Stmt;
  /** Region accesses of intrinsics: the pseudo variables of `indices` and their extents. */
  readonly lanes?: ReadonlyMap<Var, number>;
}

const laneVar = (d: number) => variable(`lane$${d}`);

export function accessesIn(root: Stmt): Access[] {
  const out: Access[] = [];
  walkStmt(root, (s, anc) => {
    const loops = enclosingLoops(anc), path = [...anc];
    for (const e of ownExprs(s)) {
      for (const l of loadsOf(e)) out.push({ buffer: l.buffer, kind: 'load', indices: l.indices, loops, path, stmt: s });
    }
    if (s.kind === 'store') out.push({ buffer: s.buffer, kind: 'store', indices: s.indices, loops, path, stmt: s });
    if (s.kind === 'intrinsic') {
      s.args.forEach((a, k) => {
        if (!isRegion(a)) return;
        const lanes = new Map(a.extents.map((n, d) => [laneVar(d), n] as const));
        const indices = a.offsets.map((o, d) => add(o, laneVar(d)));
        // The first region is the destination; intrinsics may also read it (accumulate).
        if (k === 0) out.push({ buffer: a.buffer, kind: 'store', indices, loops, path, stmt: s, lanes });
        out.push({ buffer: a.buffer, kind: 'load', indices, loops, path, stmt: s, lanes });
      });
    }
  });
  return out;
}

export function writtenIn(root: Stmt): Set<Buffer> {
  return new Set(accessesIn(root).filter((a) => a.kind === 'store').map((a) => a.buffer));
}

export function readIn(root: Stmt): Set<Buffer> {
  return new Set(accessesIn(root).filter((a) => a.kind === 'load').map((a) => a.buffer));
}

/** Buffers allocated inside a subtree (private to one execution of it). */
export function allocatedIn(root: Stmt): Set<Buffer> {
  const out = new Set<Buffer>();
  walkStmt(root, (s) => { if (s.kind === 'allocate') out.add(s.buffer); });
  return out;
}

export function sameIndices(a: readonly Expr[], b: readonly Expr[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Two accesses touch exactly the same elements in the same iteration. */
export function sameElements(a: Access, b: Access): boolean {
  if (!sameIndices(a.indices, b.indices)) return false;
  const la = [...(a.lanes ?? [])], lb = b.lanes ?? new Map();
  return la.length === lb.size && la.every(([v, n]) => lb.get(v) === n);
}
