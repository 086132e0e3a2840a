// Loop-structure steps: split, tile, reorder, fuse. They rename and re-nest loops without changing
// which iterations run: split guards a non-divisible tail, reorder permutes a band only when the
// dependence check allows it (deps.ts), fuse turns two loops into one with floordiv/floormod.
import { type Expr, Const, add, floordiv, floormod, freeVars, int, lt, mul, substitute, variable } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { simplifyExpr, substStmt } from '../ir/tensor/simplify.ts';
import { type For, type LoopKind, type Stmt, forLoop, ifThen } from '../ir/tensor/stmt.ts';
import { bandFrom, isBand, rebuildBand, whatIsIn } from './band.ts';
import { reorderProblem } from './deps.ts';
import { findLoop, requireFree, takenNames } from './find.ts';
import { type Step, illegal } from './step.ts';
import { pathTo, replaceNode } from './tree.ts';

const name = (l: For) => l.loopVar.name;

/** Kinds of the two loops a split makes: parallel stays on the outer loop, vectorize on the inner. */
function splitKinds(k: LoopKind): [LoopKind, LoopKind] {
  switch (k) {
    case 'parallel': return ['parallel', 'serial'];
    case 'vectorized': return ['serial', 'vectorized'];
    case 'unrolled': return ['unrolled', 'unrolled'];
    default: return ['serial', 'serial'];
  }
}

export function splitLoop(f: PrimFunc, loop: string, factor: number, step: Step): PrimFunc {
  const { node: l } = findLoop(f, loop, step);
  if (l.loopKind === 'bound') illegal(step, `loop ${loop} is bound to ${l.thread}; split before binding`);
  const outerName = `${loop}_o`, innerName = `${loop}_i`;
  requireFree(step, takenNames(f), outerName, innerName);
  const vo = variable(outerName), vi = variable(innerName), F = int(factor);
  const idx = add(mul(vo, F), vi);
  let body = substStmt(l.body, new Map([[l.loopVar, add(l.min, idx)]]));
  const exact = l.extent instanceof Const && l.extent.value % factor === 0;
  if (!exact) body = ifThen(lt(idx, l.extent), body);
  const [ko, ki] = splitKinds(l.loopKind);
  const outerExtent = simplifyExpr(floordiv(add(l.extent, int(factor - 1)), F));
  const inner = forLoop(vi, int(0), F, body, ki);
  return f.withBody(replaceNode(f.body, l, () => forLoop(vo, int(0), outerExtent, inner, ko)));
}

/** The band running from the outermost to the innermost of `loops`, or a clear error. */
function bandOf(f: PrimFunc, loops: readonly For[], step: Step) {
  const depth = (l: For) => pathTo(f.body, l)!.length;
  const sorted = [...loops].sort((a, b) => depth(a) - depth(b));
  const top = sorted[0], bottom = sorted[sorted.length - 1];
  for (const l of sorted.slice(1)) {
    if (!pathTo(top, l)) illegal(step, `loop ${name(l)} is not nested inside loop ${name(top)}`);
  }
  const band = bandFrom(top, bottom);
  if (!isBand(band)) {
    illegal(step, `loop ${name(bottom)} is not perfectly nested in loop ${name(band.blockedAt)}: ${whatIsIn(band.by)} is in the way`);
  }
  return band;
}

export function reorderLoops(f: PrimFunc, names: readonly string[], step: Step): PrimFunc {
  if (names.length < 2) illegal(step, 'reorder needs at least two loops');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) illegal(step, `loop ${dup} is named twice`);
  const wanted = names.map((n) => findLoop(f, n, step).node);
  const band = bandOf(f, wanted, step);
  const slots = band.loops.map((l, i) => (wanted.includes(l) ? i : -1)).filter((i) => i >= 0);
  const order = [...band.loops];
  slots.forEach((slot, k) => { order[slot] = wanted[k]; });
  if (order.every((l, i) => l === band.loops[i])) return f;
  const vars = new Set(band.loops.map((l) => l.loopVar));
  for (const l of band.loops) {
    const moved = order.indexOf(l) !== band.loops.indexOf(l);
    if (moved && (l.loopKind === 'bound' || l.loopKind === 'vectorized')) {
      illegal(step, `loop ${name(l)} is ${l.loopKind === 'bound' ? `bound to ${l.thread}` : 'vectorized'}; reorder before annotating it`);
    }
    const dep = [...freeVars(l.min), ...freeVars(l.extent)].find((v) => vars.has(v));
    if (dep) illegal(step, `the bounds of loop ${name(l)} depend on loop ${dep.name} of the same nest`);
  }
  const why = reorderProblem(band.loops, order);
  if (why) illegal(step, why);
  return f.withBody(replaceNode(f.body, band.loops[0], () => rebuildBand(order, band.guards, band.body)));
}

export function tileLoops(f: PrimFunc, a: string, b: string, fa: number, fb: number, step: Step): PrimFunc {
  if (a === b) illegal(step, `loop ${a} is named twice`);
  // Check the nest before splitting, so the error names the loops the user wrote.
  bandOf(f, [findLoop(f, a, step).node, findLoop(f, b, step).node], step);
  const split = splitLoop(splitLoop(f, a, fa, step), b, fb, step);
  return reorderLoops(split, [`${a}_o`, `${b}_o`, `${a}_i`, `${b}_i`], step);
}

export function fuseLoops(f: PrimFunc, outerName: string, innerName: string, step: Step): PrimFunc {
  const outer = findLoop(f, outerName, step).node, inner = findLoop(f, innerName, step).node;
  const band = bandFrom(outer, inner);
  if (!pathTo(outer, inner) || outer === inner) illegal(step, `loop ${innerName} is not nested inside loop ${outerName}`);
  if (!isBand(band)) illegal(step, `loop ${innerName} is not perfectly nested in loop ${name(band.blockedAt)}: ${whatIsIn(band.by)} is in the way`);
  if (band.loops.length !== 2) illegal(step, `loops ${outerName} and ${innerName} are not adjacent (${band.loops.slice(1, -1).map(name).join(', ')} in between)`);
  const kinds = new Set([outer.loopKind, inner.loopKind]);
  if (kinds.size !== 1 || !(kinds.has('serial') || kinds.has('parallel'))) {
    const odd = outer.loopKind === 'serial' || outer.loopKind === 'parallel' ? inner : outer;
    illegal(step, `loop ${name(odd)} is ${odd.loopKind === 'bound' ? `bound to ${odd.thread}` : odd.loopKind}; fuse only loops of one kind, serial or parallel, before other annotations`);
  }
  if (!(inner.extent instanceof Const)) illegal(step, `loop ${innerName} needs a constant extent to be fused`);
  if (freeVars(inner.min).has(outer.loopVar) || freeVars(inner.extent).has(outer.loopVar)) {
    illegal(step, `the bounds of loop ${innerName} depend on loop ${outerName}`);
  }
  const fusedName = `${outerName}_${innerName}_f`;
  requireFree(step, takenNames(f), fusedName);
  const v = variable(fusedName), n = inner.extent;
  const map = new Map([[outer.loopVar, add(outer.min, floordiv(v, n))], [inner.loopVar, add(inner.min, floormod(v, n))]]);
  let body: Stmt = substStmt(inner.body, map);
  for (let i = band.guards.length - 1; i >= 0; i--) body = ifThen(substitute(band.guards[i], map), body);
  const extent: Expr = simplifyExpr(mul(outer.extent, n));
  return f.withBody(replaceNode(f.body, outer, () => forLoop(v, int(0), extent, body, outer.loopKind)));
}
