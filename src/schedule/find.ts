// Finding what a step names: loops by their loop variable, buffers by name. Loop names must be unique
// within a function; lowering reuses i0, i1 … across stages, so applySchedule first gives repeated
// names a suffix in program order (the second i0 becomes i0_1), see uniqueLoopNames.
import { type Buffer } from '../ir/tensor/buffer.ts';
import { variable } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { substStmt } from '../ir/tensor/simplify.ts';
import { type Allocate, type For, type Stmt, forLoop, stmtChildren } from '../ir/tensor/stmt.ts';
import { type Step, illegal } from './step.ts';
import { loopsIn, walkStmt, withChildren } from './tree.ts';

export interface Site<T extends Stmt> {
  readonly node: T;
  /** Enclosing nodes, outermost first. */
  readonly ancestors: readonly Stmt[];
}

export function findLoop(f: PrimFunc, name: string, step: Step): Site<For> {
  const hits: Site<For>[] = [];
  walkStmt(f.body, (s, anc) => { if (s.kind === 'for' && s.loopVar.name === name) hits.push({ node: s, ancestors: [...anc] }); });
  if (hits.length === 0) {
    const known = loopsIn(f.body).map((l) => l.loopVar.name);
    illegal(step, `there is no loop ${name} in ${f.name} (loops: ${known.join(', ') || 'none'})`);
  }
  if (hits.length > 1) illegal(step, `${hits.length} loops are named ${name}; give them unique names first (uniqueLoopNames)`);
  return hits[0];
}

export function findAlloc(f: PrimFunc, b: Buffer): Site<Allocate> | undefined {
  let hit: Site<Allocate> | undefined;
  walkStmt(f.body, (s, anc) => { if (s.kind === 'allocate' && s.buffer === b && !hit) hit = { node: s, ancestors: [...anc] }; });
  return hit;
}

/** A parameter or an allocated buffer of `f` by name. */
export function findBuffer(f: PrimFunc, name: string, step: Step): Buffer {
  const param = f.params.find((b) => b.name === name);
  if (param) return param;
  let hit: Buffer | undefined;
  walkStmt(f.body, (s) => { if (s.kind === 'allocate' && s.buffer.name === name) hit = s.buffer; });
  if (hit) return hit;
  const known = [...f.params.map((b) => b.name)];
  walkStmt(f.body, (s) => { if (s.kind === 'allocate') known.push(s.buffer.name); });
  return illegal(step, `there is no buffer ${name} in ${f.name} (buffers: ${known.join(', ')})`);
}

/** Every loop-variable and buffer name of a function: a new name must avoid all of them. */
export function takenNames(f: PrimFunc): Set<string> {
  const out = new Set(f.params.map((b) => b.name));
  walkStmt(f.body, (s) => {
    if (s.kind === 'for') out.add(s.loopVar.name);
    if (s.kind === 'allocate') out.add(s.buffer.name);
  });
  return out;
}

/** `base`, or `base_1`, `base_2` … whichever is free first; the result is added to `taken`. */
export function freshName(taken: Set<string>, base: string): string {
  let n = base;
  for (let k = 1; taken.has(n); k++) n = `${base}_${k}`;
  taken.add(n);
  return n;
}

/** Loop names a step creates must be new: a clash would silently merge two loops' variables. */
export function requireFree(step: Step, taken: ReadonlySet<string>, ...names: string[]): void {
  for (const n of names) if (taken.has(n)) illegal(step, `the new loop name ${n} is already used in this function`);
}

/** Renames loops whose variable name was already used earlier in program order: i0, i0 → i0, i0_1. */
export function uniqueLoopNames(f: PrimFunc): PrimFunc {
  const taken = takenNames(f);
  const seen = new Set<string>();
  let changed = false;
  const visit = (s: Stmt): Stmt => {
    if (s.kind !== 'for') {
      const kids = stmtChildren(s);
      return kids.length ? withChildren(s, kids.map(visit)) : s;
    }
    let v = s.loopVar, body = s.body;
    if (seen.has(v.name)) {
      const nv = variable(freshName(taken, v.name), v.dtype);
      body = substStmt(body, new Map([[v, nv]]));
      v = nv;
      changed = true;
    }
    seen.add(v.name);
    return forLoop(v, s.min, s.extent, visit(body), s.loopKind, s.thread);
  };
  const body = visit(f.body);
  return changed ? f.withBody(body) : f;
}
