// Stage rewrites that make the hot loop cheaper without changing what it computes:
//
//   unrollLoops  constant-extent loops inside the stage are replaced by copies of their body, so the
//                simplifier puts their indices in canonical form and copies that read the same
//                element (a 3×3 window's taps over a column tile) share one load after hoisting;
//   splitBorder  interior/border split: invocations whose whole window lies inside the input run a
//                copy of the body simplified under narrower ranges of the parallel variables, where
//                the padding tests and index clamps are decided statically and vanish;
//   canonical    the simplifier alone (canonical index forms, so equal loads are the same node).
//
// All three go through the shared Tensor IR simplifier, which leaves float arithmetic alone, so
// results are bit for bit those of the plain stage.
import { type Expr, Binary, Var, binary, children, int, variable } from '../../src/ir/tensor/expr.ts';
import type { Interval } from '../../src/ir/tensor/bounds.ts';
import { simplifyStmt, substStmt } from '../../src/ir/tensor/simplify.ts';
import { type For, type Stmt, allocate, forLoop, ifThen, seq } from '../../src/ir/tensor/stmt.ts';
import { type Stage, forEachStmt } from './stages.ts';

function parallelRanges(stage: Stage): Map<Var, Interval> {
  const m = new Map<Var, Interval>();
  for (const l of stage.parallel) {
    const lo = (l.min as { value: number }).value;
    m.set(l.loopVar, { lo, hi: lo + (l.extent as { value: number }).value - 1 });
  }
  return m;
}

export function canonical(stage: Stage): Stage {
  return { ...stage, inner: simplifyStmt(stage.inner, parallelRanges(stage)) };
}

/** Rebuilds a statement, replacing each loop by what `f` makes of it and of its rebuilt body. */
function mapLoops(s: Stmt, f: (loop: For, body: Stmt) => Stmt): Stmt {
  switch (s.kind) {
    case 'for': return f(s, mapLoops(s.body, f));
    case 'seq': return seq(s.stmts.map((x) => mapLoops(x, f)));
    case 'if': return ifThen(s.cond, mapLoops(s.then, f), s.otherwise && mapLoops(s.otherwise, f));
    case 'allocate': return allocate(s.buffer, mapLoops(s.body, f));
    default: return s;
  }
}

const keep = (s: For, body: Stmt) => forLoop(s.loopVar, s.min, s.extent, body, s.loopKind, s.thread);

/** Unrolls the named constant-extent loops of the stage's inner statement. */
export function unrollLoops(stage: Stage, names: readonly string[]): Stage {
  const want = new Set(names);
  return canonical({ ...stage, inner: mapLoops(stage.inner, (s, body) => {
    if (!want.has(s.loopVar.name) || s.min.kind !== 'const' || s.extent.kind !== 'const') return keep(s, body);
    const lo = s.min.value;
    return seq(Array.from({ length: s.extent.value }, (_, k) => substStmt(body, new Map([[s.loopVar, int(lo + k)]]))));
  }) });
}

/**
 * Partial unrolling: the named constant loop `for k in [lo, lo+E)` becomes
 * `for k_u in [0, E/f) { body[k := lo + k_u·f]; …; body[k := lo + k_u·f + f−1] }`. The iterations
 * run in the same order, so every sum is bit for bit the same; the copies' loads are scheduled
 * together (and hoisted together when shared).
 */
export function unrollBy(stage: Stage, name: string, f: number): Stage {
  return canonical({ ...stage, inner: mapLoops(stage.inner, (s, body) => {
    if (s.loopVar.name !== name || s.min.kind !== 'const' || s.extent.kind !== 'const' || s.extent.value % f !== 0) return keep(s, body);
    const ko = variable(`${name}_u`);
    const lo = s.min.value;
    const at = (j: number) => binary('add', binary('mul', ko, int(f)), int(lo + j));
    return forLoop(ko, int(0), int(s.extent.value / f), seq(Array.from({ length: f }, (_, j) => substStmt(body, new Map([[s.loopVar, at(j)]])))));
  }) });
}

/** Comparisons and clamps left in a statement: what the interior copy removes. */
function borderOps(s: Stmt): number {
  const seen = new Set<Expr>();
  let n = 0;
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e instanceof Binary && ['lt', 'le', 'gt', 'ge', 'min', 'max'].includes(e.op)) n++;
    children(e).forEach(visit);
  };
  forEachStmt(s, (x) => {
    if (x.kind === 'store') { x.indices.forEach(visit); visit(x.value); }
    if (x.kind === 'if') visit(x.cond);
  });
  return n;
}

/**
 * Interior/border split. Per parallel variable but the innermost, the narrowest trim of its range (up to a quarter of
 * it from each end) that removes as many border operations as trimming a quarter does; when any
 * variable gains, the stage becomes `if (all inside) { interior copy } else { general copy }`.
 */
export function splitBorder(stage: Stage): Stage {
  const full = parallelRanges(stage);
  const general = simplifyStmt(stage.inner, full);
  const inner = new Map(full);
  const opsWith = (v: Var, r: Interval) => borderOps(simplifyStmt(stage.inner, new Map(full).set(v, r)));
  const base = borderOps(general);
  // The innermost parallel variable changes between neighbouring invocations, which run as SIMD
  // lanes on a CPU implementation: splitting on it would make most lane groups run both copies.
  const innermost = [...stage.parallel].reverse().find((l) => (l.extent as { value: number }).value > 1)?.loopVar;
  for (const [v, r] of full) {
    if (v === innermost) continue;
    const most = Math.floor((r.hi - r.lo + 1) / 4);
    if (most < 1) continue;
    const best = opsWith(v, { lo: r.lo + most, hi: r.hi - most });
    if (best >= base) continue;
    let p = 0;
    while (p < most && opsWith(v, { lo: r.lo + p, hi: r.hi - most }) > best) p++;
    let q = 0;
    while (q < most && opsWith(v, { lo: r.lo + p, hi: r.hi - q }) > best) q++;
    inner.set(v, { lo: r.lo + p, hi: r.hi - q });
  }
  const narrowed = [...inner].filter(([v, r]) => r !== full.get(v));
  if (narrowed.length === 0) return { ...stage, inner: general };
  const conds = narrowed.flatMap(([v, r]) => {
    const f = full.get(v)!;
    return [...(r.lo > f.lo ? [binary('ge', v, int(r.lo))] : []), ...(r.hi < f.hi ? [binary('le', v, int(r.hi))] : [])];
  });
  const cond = conds.reduce((a, b) => binary('and', a, b));
  return { ...stage, inner: ifThen(cond, simplifyStmt(stage.inner, inner), general) };
}
