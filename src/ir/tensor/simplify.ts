// The arithmetic simplifier. Index expressions are put in a canonical linear form (sum of atoms with
// integer coefficients, atoms ordered by their text), floordiv/floormod are resolved with variable
// bounds, comparisons decided by interval analysis; statements lose dead branches, unit loops and
// loop-invariant conditions (hoisted out of the loop). Float arithmetic is left alone (the
// constructors already fold constants), so results are unchanged bit for bit.
import { isFloat } from '../graph/dtype.ts';
import { type Interval, type Ranges, bounds } from './bounds.ts';
import {
  type Expr, Binary, Const, Var, add, binary, constant, floormod, freeVars, mul, rewriteExpr, select, substitute, unary,
} from './expr.ts';
import type { PrimFunc } from './func.ts';
import { printExpr } from './print.ts';
import { type Stmt, allocate, forLoop, ifThen, intrinsic, isRegion, seq, store } from './stmt.ts';

interface Linear { terms: Map<Expr, number>; c: number }

function isIndex(e: Expr): boolean { return !isFloat(e.dtype) && e.dtype !== 'bool'; }

function linear(e: Expr): Linear {
  if (e instanceof Const) return { terms: new Map(), c: e.value };
  if (e instanceof Binary && (e.op === 'add' || e.op === 'sub')) {
    const a = linear(e.a), b = linear(e.b), s = e.op === 'add' ? 1 : -1;
    for (const [t, k] of b.terms) a.terms.set(t, (a.terms.get(t) ?? 0) + s * k);
    a.c += s * b.c;
    return a;
  }
  if (e instanceof Binary && e.op === 'mul' && e.b instanceof Const) {
    const a = linear(e.a);
    for (const [t, k] of a.terms) a.terms.set(t, k * (e.b as Const).value);
    a.c *= e.b.value;
    return a;
  }
  if (e.kind === 'unary' && e.op === 'neg') {
    const a = linear(e.a);
    for (const [t, k] of a.terms) a.terms.set(t, -k);
    a.c = -a.c;
    return a;
  }
  return { terms: new Map([[e, 1]]), c: 0 };
}

const textCache = new WeakMap<Expr, string>();
function text(e: Expr): string {
  let t = textCache.get(e);
  if (t === undefined) { t = printExpr(e); textCache.set(e, t); }
  return t;
}

function fromLinear(l: Linear, dtype: Expr['dtype']): Expr {
  const terms = [...l.terms].filter(([, k]) => k !== 0).sort((x, y) => (text(x[0]) < text(y[0]) ? -1 : 1));
  let out: Expr | undefined;
  const plus = (t: Expr) => { out = out === undefined ? t : add(out, t); };
  const minus = (t: Expr) => { out = out === undefined ? unary('neg', t) : binary('sub', out, t); };
  for (const [t, k] of terms) {
    const term = Math.abs(k) === 1 ? t : mul(t, constant(Math.abs(k), dtype));
    if (k > 0) plus(term); else minus(term);
  }
  if (l.c > 0) plus(constant(l.c, dtype));
  else if (l.c < 0) minus(constant(-l.c, dtype));
  return out ?? constant(0, dtype);
}

/** floordiv/floormod of a linear form by a positive constant, using bounds of the remainder. */
function divMod(op: 'floordiv' | 'floormod', l: Linear, c: number, dtype: Expr['dtype'], ranges: Ranges): Expr | undefined {
  const q: Linear = { terms: new Map(), c: Math.floor(l.c / c) };
  const r: Linear = { terms: new Map(), c: l.c - q.c * c };
  for (const [t, k] of l.terms) {
    if (k % c === 0) q.terms.set(t, k / c);
    else r.terms.set(t, k);
  }
  const rest = fromLinear(r, dtype);
  const b = bounds(rest, ranges);
  if (b.lo >= 0 && b.hi < c) return op === 'floordiv' ? fromLinear(q, dtype) : rest;
  if (op === 'floormod') return q.terms.size || q.c ? floormod(rest, constant(c, dtype)) : undefined;
  return undefined;
}

function decide(e: Binary, ranges: Ranges): Expr | undefined {
  if (!isIndex(e.a)) return undefined;
  const d = bounds(simplifyExpr(binary('sub', e.a, e.b), ranges), ranges);
  const yes = constant(1, 'bool'), no = constant(0, 'bool');
  switch (e.op) {
    case 'lt': return d.hi < 0 ? yes : d.lo >= 0 ? no : undefined;
    case 'le': return d.hi <= 0 ? yes : d.lo > 0 ? no : undefined;
    case 'gt': return d.lo > 0 ? yes : d.hi <= 0 ? no : undefined;
    case 'ge': return d.lo >= 0 ? yes : d.hi < 0 ? no : undefined;
    case 'eq': return d.lo === 0 && d.hi === 0 ? yes : d.lo > 0 || d.hi < 0 ? no : undefined;
    case 'ne': return d.lo === 0 && d.hi === 0 ? no : d.lo > 0 || d.hi < 0 ? yes : undefined;
    default: return undefined;
  }
}

function step(e: Expr, ranges: Ranges): Expr {
  if (!(e instanceof Binary)) return e;
  const { op, a, b } = e;
  if (op === 'and' || op === 'or') {
    const [x, y] = a instanceof Const ? [a, b] : [b, a];
    if (x instanceof Const) return op === 'and' ? (x.value ? y : x) : x.value ? x : y;
    return a === b ? a : e;
  }
  if (['lt', 'le', 'gt', 'ge', 'eq', 'ne'].includes(op)) return decide(e, ranges) ?? e;
  if (!isIndex(e)) return e;
  if (op === 'add' || op === 'sub' || op === 'mul') return fromLinear(linear(e), e.dtype);
  if ((op === 'floordiv' || op === 'floormod') && b instanceof Const && b.value > 0) {
    return divMod(op, linear(a), b.value, e.dtype, ranges) ?? e;
  }
  if (op === 'min' || op === 'max') {
    const ba = bounds(a, ranges), bb = bounds(b, ranges);
    if (op === 'min') return ba.hi <= bb.lo ? a : bb.hi <= ba.lo ? b : e;
    return ba.lo >= bb.hi ? a : bb.lo >= ba.hi ? b : e;
  }
  return e;
}

/** Simplifies an expression, given inclusive bounds of its variables. */
export function simplifyExpr(e: Expr, ranges: Ranges = new Map()): Expr {
  return rewriteExpr(e, (x) => {
    if (x.kind === 'var' || x.kind === 'const') return x;
    if (x instanceof Binary) {
      const a = simplifyExpr(x.a, ranges), b = simplifyExpr(x.b, ranges);
      return step(binary(x.op, a, b), ranges);
    }
    if (x.kind === 'select') return select(simplifyExpr(x.cond, ranges), simplifyExpr(x.a, ranges), simplifyExpr(x.b, ranges));
    return undefined;
  });
}

function withRange(ranges: Ranges, v: Var, r: Interval): Ranges {
  const m = new Map(ranges);
  m.set(v, r);
  return m;
}

/** Simplifies statements: unit loops vanish, dead branches go, loop-invariant ifs are hoisted. */
export function simplifyStmt(s: Stmt, ranges: Ranges = new Map()): Stmt {
  const E = (e: Expr) => simplifyExpr(e, ranges);
  switch (s.kind) {
    case 'for': {
      const min = E(s.min), extent = E(s.extent);
      if (extent instanceof Const && extent.value === 1 && s.loopKind !== 'bound') {
        return simplifyStmt(substStmt(s.body, new Map([[s.loopVar, min]])), ranges);
      }
      const lo = bounds(min, ranges), n = bounds(extent, ranges);
      const inner = withRange(ranges, s.loopVar, { lo: lo.lo, hi: lo.hi + n.hi - 1 });
      const body = simplifyStmt(s.body, inner);
      if (extent instanceof Const && extent.value <= 0) return seq([]);
      // Loop unswitching: an if whose condition does not depend on the loop variable moves outside.
      if (body.kind === 'if' && !body.otherwise && !freeVars(body.cond).has(s.loopVar) && s.loopKind !== 'bound') {
        return ifThen(body.cond, forLoop(s.loopVar, min, extent, body.then, s.loopKind, s.thread));
      }
      return forLoop(s.loopVar, min, extent, body, s.loopKind, s.thread);
    }
    case 'store': return store(s.buffer, s.indices.map(E), E(s.value));
    case 'allocate': return allocate(s.buffer, simplifyStmt(s.body, ranges));
    case 'seq': return seq(s.stmts.map((x) => simplifyStmt(x, ranges)).filter((x) => !(x.kind === 'seq' && x.stmts.length === 0)));
    case 'if': {
      const cond = E(s.cond);
      if (cond instanceof Const) return cond.value ? simplifyStmt(s.then, ranges) : s.otherwise ? simplifyStmt(s.otherwise, ranges) : seq([]);
      return ifThen(cond, simplifyStmt(s.then, ranges), s.otherwise && simplifyStmt(s.otherwise, ranges));
    }
    case 'barrier': return s;
    case 'intrinsic': return intrinsic(s.name, s.args.map((a) => (isRegion(a) ? { ...a, offsets: a.offsets.map(E) } : E(a))));
  }
}

/** Substitutes variables throughout a statement. */
export function substStmt(s: Stmt, map: ReadonlyMap<Var, Expr>): Stmt {
  const E = (e: Expr) => substitute(e, map);
  switch (s.kind) {
    case 'for': return forLoop(s.loopVar, E(s.min), E(s.extent), substStmt(s.body, map), s.loopKind, s.thread);
    case 'store': return store(s.buffer, s.indices.map(E), E(s.value));
    case 'allocate': return allocate(s.buffer, substStmt(s.body, map));
    case 'seq': return seq(s.stmts.map((x) => substStmt(x, map)));
    case 'if': return ifThen(E(s.cond), substStmt(s.then, map), s.otherwise && substStmt(s.otherwise, map));
    case 'barrier': return s;
    case 'intrinsic': return intrinsic(s.name, s.args.map((a) => (isRegion(a) ? { ...a, offsets: a.offsets.map(E) } : E(a))));
  }
}

export function simplifyFunc(f: PrimFunc): PrimFunc {
  return f.withBody(simplifyStmt(f.body));
}

