// From tensor expressions to one PrimFunc: find the stages (materialized computes) the outputs need,
// order them, give each a buffer, and emit one loop nest per stage. Spatial loops are outermost; a
// reduction's init, update loop nest and epilogue sit inside them, so a reduction followed by
// element-wise work (Conv + bias + Relu, MatMul + Gelu) stores into the output buffer in place and
// needs no intermediate buffer.
import type { DType } from '../ir/graph/dtype.ts';
import { type Buffer, buffer } from '../ir/tensor/buffer.ts';
import {
  type Expr, Load, Var, add, cast, children, int, isConst, load, max, min, mul, rewriteExpr, substitute, variable,
} from '../ir/tensor/expr.ts';
import { PrimFunc } from '../ir/tensor/func.ts';
import { type Stmt, allocate, forLoop, seq, store } from '../ir/tensor/stmt.ts';
import { Compute, Placeholder, type Reduction, type Te, type TeTensor, reduceInit } from './te.ts';

export interface OutputSpec {
  readonly tensor: TeTensor;
  /** Name hint for the output buffer (the graph value's name). */
  readonly name: string;
  /** Storage type; the computed value is cast to it. */
  readonly dtype: DType;
}

interface Stage {
  readonly target: Buffer;
  readonly axes: readonly Var[];
  /** Element-wise value, or the value stored after the reduction (reads target at axes). */
  readonly value?: Expr;
  readonly reduction?: Reduction;
}

export function buildFunc(te: Te, name: string, outputs: readonly OutputSpec[]): PrimFunc {
  const outBufs = outputs.map((o) => buffer(te.outputNames.get(o.name) ?? te.names.take(o.name), o.dtype, o.tensor.shape));
  const assigned = new Map<Compute, Buffer>();
  const outStages: Stage[] = [];
  const users = countUsers(te, outputs.map((o) => o.tensor));
  outputs.forEach((o, k) => {
    const t = o.tensor, target = outBufs[k];
    if (t instanceof Compute && t.materialized && t.dtype === target.dtype && !assigned.has(t)) {
      assigned.set(t, target);
      return;
    }
    const axes = t instanceof Compute ? t.axes : t.shape.map((_, i) => variable(`i${i}`));
    const value = t.at(axes);
    const r = t instanceof Compute && !t.materialized ? inPlaceCandidate(te, value, axes, target, users, assigned) : undefined;
    if (r) {
      assigned.set(r, target);
      // Every read of the reduction is of this very element: read it from the output.
      const epilogue = rewriteExpr(value, (x) => (x instanceof Load && x.buffer === r.buffer ? load(target, axes) : undefined));
      outStages.push({ target, axes, reduction: renameAxes(r.reduction!, r.axes, axes), value: isLoadAt(epilogue, target, axes) ? undefined : epilogue });
    } else outStages.push({ target, axes, value });
  });
  const order = stageOrder(te, outputs.map((o) => o.tensor), outStages);
  const retarget = new Map<Buffer, Buffer>([...assigned].map(([c, b]) => [c.buffer, b]));
  const stmts: Stmt[] = [];
  const allocs: Buffer[] = [];
  for (const c of order) {
    if (!assigned.has(c)) allocs.push(c.buffer);
    // A compute assigned to an output through an epilogue is emitted with that output's stage.
    if (outStages.some((s) => s.target === assigned.get(c) && s.reduction)) continue;
    stmts.push(emit({ target: assigned.get(c) ?? c.buffer, axes: c.axes, reduction: c.reduction, value: c.reduction ? undefined : c.body as Expr }, retarget));
  }
  for (const s of outStages) stmts.push(emit(s, retarget));
  let body = seq(stmts);
  for (const b of allocs.reverse()) body = allocate(b, body);
  return new PrimFunc(name, usedInputs(te, body), outBufs, body);
}

/** How many stages and outputs read each materialized compute. */
function countUsers(te: Te, outputs: readonly TeTensor[]): Map<Compute, number> {
  const n = new Map<Compute, number>();
  const visit = (e: Expr, seen = new Set<Compute>()) => forEachLoad(e, (l) => {
    const c = te.computes.get(l.buffer);
    if (c && !seen.has(c)) { seen.add(c); n.set(c, (n.get(c) ?? 0) + 1); }
  });
  for (const c of te.computes.values()) visit(c.reduction ? c.reduction.source : c.body as Expr);
  for (const t of outputs) {
    if (t instanceof Compute && t.materialized) n.set(t, (n.get(t) ?? 0) + 1);
    else visit(t.at(t.shape.map((_, i) => variable(`i${i}`))));
  }
  return n;
}

/** A reduction the output reads only at its own index, used by nothing else: it can live in the output. */
function inPlaceCandidate(
  te: Te, value: Expr, axes: readonly Var[], target: Buffer, users: Map<Compute, number>, assigned: Map<Compute, Buffer>,
): Compute | undefined {
  const loads = new Map<Compute, boolean>();
  forEachLoad(value, (l) => {
    const c = te.computes.get(l.buffer);
    // On a unit axis the index 0 (what broadcasting writes) is the same element as the axis variable.
    if (c) loads.set(c, (loads.get(c) ?? true) && l.indices.every((ix, i) => ix === axes[i] || (target.shape[i] === 1 && isConst(ix, 0))));
  });
  for (const [c, identity] of loads) {
    if (identity && c.reduction && !assigned.has(c) && users.get(c) === 1 && c.dtype === target.dtype &&
      c.shape.length === target.shape.length && c.shape.every((d, i) => d === target.shape[i])) return c;
  }
  return undefined;
}

function renameAxes(r: Reduction, from: readonly Var[], to: readonly Var[]): Reduction {
  const m = new Map(from.map((v, i) => [v, to[i] as Expr]));
  return { ...r, source: substitute(r.source, m) };
}

function isLoadAt(e: Expr, b: Buffer, axes: readonly Var[]): boolean {
  return e instanceof Load && e.buffer === b && e.indices.every((ix, i) => ix === axes[i]);
}

/** Materialized computes in dependency order (each after the stages it reads). */
function stageOrder(te: Te, outputs: readonly TeTensor[], outStages: readonly Stage[]): Compute[] {
  const order: Compute[] = [];
  const state = new Map<Compute, 'visiting' | 'done'>();
  const visitExpr = (e: Expr) => forEachLoad(e, (l) => { const c = te.computes.get(l.buffer); if (c) visit(c); });
  const visit = (c: Compute) => {
    if (state.get(c) === 'done') return;
    if (state.get(c) === 'visiting') throw new Error(`te: stage ${c.name} depends on itself`);
    state.set(c, 'visiting');
    visitExpr(c.reduction ? c.reduction.source : c.body as Expr);
    state.set(c, 'done');
    order.push(c);
  };
  for (const t of outputs) if (t instanceof Compute && t.materialized) visit(t);
  for (const s of outStages) {
    if (s.value) visitExpr(s.value);
    if (s.reduction) visitExpr(s.reduction.source);
  }
  return order;
}

function emit(s: Stage, retarget: ReadonlyMap<Buffer, Buffer>): Stmt {
  const fix = (e: Expr) => retargetLoads(e, retarget);
  const here = s.axes.map((a) => a as Expr);
  const put = (v: Expr) => store(s.target, here, cast(s.target.dtype, v));
  const body: Stmt[] = [];
  if (s.reduction) {
    const r = s.reduction, acc = load(s.target, here);
    const src = cast(s.target.dtype, fix(r.source));
    body.push(put(reduceInit(r.reducer, s.target.dtype)));
    body.push(nest(r.axes.map((a) => a.v), r.axes.map((a) => a.extent), store(s.target, here, combine(r.reducer, acc, src))));
  }
  if (s.value) body.push(put(fix(s.value)));
  return nest(s.axes, s.target.shape, seq(body));
}

function combine(r: Reduction['reducer'], acc: Expr, x: Expr): Expr {
  switch (r) {
    case 'sum': return add(acc, x);
    case 'prod': return mul(acc, x);
    case 'max': return max(acc, x);
    case 'min': return min(acc, x);
  }
}

function nest(vars: readonly Var[], extents: readonly number[], body: Stmt): Stmt {
  let s = body;
  for (let i = vars.length - 1; i >= 0; i--) s = forLoop(vars[i], int(0), int(extents[i]), s);
  return s;
}

function retargetLoads(e: Expr, map: ReadonlyMap<Buffer, Buffer>): Expr {
  if (map.size === 0) return e;
  const memo = new Map<Expr, Expr>();
  const f = (x: Expr): Expr | undefined => {
    if (!(x instanceof Load)) return undefined;
    const to = map.get(x.buffer);
    return to ? load(to, x.indices.map((i) => rewriteExpr(i, f, memo))) : undefined;
  };
  return rewriteExpr(e, f, memo);
}

export function forEachLoad(e: Expr, f: (l: Load) => void, seen = new Set<Expr>()): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (e instanceof Load) f(e);
  for (const c of children(e)) forEachLoad(c, f, seen);
}

/** Placeholders the body reads, in the order they were created (the node's input order). */
function usedInputs(te: Te, body: Stmt): Buffer[] {
  const read = new Set<Buffer>();
  const seen = new Set<Expr>();
  const visit = (s: Stmt): void => {
    switch (s.kind) {
      case 'store': for (const e of [...s.indices, s.value]) forEachLoad(e, (l) => read.add(l.buffer), seen); break;
      case 'for': visit(s.body); break;
      case 'allocate': visit(s.body); break;
      case 'seq': s.stmts.forEach(visit); break;
      default: break;
    }
  };
  visit(body);
  return te.placeholders.filter((p: Placeholder) => read.has(p.buffer)).map((p) => p.buffer);
}
