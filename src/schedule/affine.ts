// Affine views of index expressions: e = Σ cᵥ·v + rest, for the loop variables a step cares about.
// Dependence checks ask one question of an access's index tuple: which loop variables does it
// pin down, i.e. two iterations touching the same element must agree on them? A dim pins its
// variables when they form a mixed-radix number (i_o·4 + i_i with i_i < 4), and a floordiv/floormod
// pair by the same constant pins what its dividend pins (fuse writes f // 8, f % 8).
import { type Expr, Binary, Const, Var, add, binary, constant, freeVars, mul, sub } from '../ir/tensor/expr.ts';

export interface Affine {
  readonly coef: ReadonlyMap<Var, number>;
  /** The part free of the variables asked about. */
  readonly rest: Expr;
}

function mentions(e: Expr, vars: ReadonlySet<Var>): boolean {
  for (const v of freeVars(e)) if (vars.has(v)) return true;
  return false;
}

/** `e` as an affine function of `vars`, or undefined when one of them occurs non-linearly. */
export function affineIn(e: Expr, vars: ReadonlySet<Var>): Affine | undefined {
  if (!mentions(e, vars)) return { coef: new Map(), rest: e };
  if (e instanceof Var) return { coef: new Map([[e, 1]]), rest: constant(0, e.dtype) };
  if (e.kind === 'unary' && e.op === 'neg') return scale(affineIn(e.a, vars), -1);
  if (!(e instanceof Binary)) return undefined;
  if (e.op === 'mul') {
    if (e.b instanceof Const) return scale(affineIn(e.a, vars), e.b.value);
    if (e.a instanceof Const) return scale(affineIn(e.b, vars), e.a.value);
    return undefined;
  }
  if (e.op !== 'add' && e.op !== 'sub') return undefined;
  const a = affineIn(e.a, vars), b = affineIn(e.b, vars);
  if (!a || !b) return undefined;
  const s = e.op === 'add' ? 1 : -1;
  const coef = new Map(a.coef);
  for (const [v, k] of b.coef) coef.set(v, (coef.get(v) ?? 0) + s * k);
  return { coef, rest: e.op === 'add' ? add(a.rest, b.rest) : sub(a.rest, b.rest) };
}

function scale(a: Affine | undefined, k: number): Affine | undefined {
  if (!a) return undefined;
  const coef = new Map([...a.coef].map(([v, c]) => [v, c * k] as const));
  return { coef, rest: mul(a.rest, constant(k, a.rest.dtype)) };
}

/** Adds the dividend of every floordiv/floormod pair by the same constant (iterated: f // 8 // 4 …). */
function withPairs(dims: readonly Expr[]): Expr[] {
  const out = [...dims];
  for (let grew = true; grew;) {
    grew = false;
    for (const d of out) {
      if (!(d instanceof Binary) || d.op !== 'floordiv' || !(d.b instanceof Const)) continue;
      const mod = binary('floormod', d.a, d.b);
      if (out.includes(mod) && !out.includes(d.a)) { out.push(d.a); grew = true; }
    }
  }
  return out;
}

/**
 * The variables among `vars` that an index tuple pins down. `extent` gives the trip count of a
 * variable (undefined when not constant); variables start at their loop's minimum, so only the
 * width of their range matters.
 */
export function pinnedVars(dims: readonly Expr[], vars: ReadonlySet<Var>, extent: (v: Var) => number | undefined): Set<Var> {
  const out = new Set<Var>();
  for (const d of withPairs(dims)) {
    const a = affineIn(d, vars);
    if (!a) continue;
    // Smallest stride first; among equal strides the shorter loop first (i_o + i_i with i_i of extent 1).
    const size = (v: Var) => extent(v) ?? Infinity;
    const terms = [...a.coef].filter(([, c]) => c !== 0)
      .sort((x, y) => Math.abs(x[1]) - Math.abs(y[1]) || size(x[0]) - size(y[0]));
    let span = 0, ok = true;
    for (const [v, c] of terms) {
      if (Math.abs(c) <= span) { ok = false; break; }
      const n = extent(v);
      span = n === undefined ? Infinity : span + Math.abs(c) * (n - 1);
    }
    if (ok) for (const [v] of terms) out.add(v);
  }
  return out;
}
