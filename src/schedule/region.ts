// Regions: which part of a buffer a loop body touches, as a box with symbolic offsets (in terms of
// the loops outside) and constant extents. Index ranges are computed symbolically over the loops
// inside (`symRange`), joined over all accesses, simplified with the bounds of the outside loops,
// and the extent is the largest the box can get. A box never sticks out of its buffer: its offset
// is clamped, so copies need no guards (loads guarded by `select`, as padded convolutions have,
// may index outside the buffer without ever reading there).
import type { Interval, Ranges } from '../ir/tensor/bounds.ts';
import { bounds } from '../ir/tensor/bounds.ts';
import type { Buffer } from '../ir/tensor/buffer.ts';
import {
  type Expr, Binary, Const, Var, add, binary, constant, floordiv, freeVars, int, max, min, mul, sub, unary,
} from '../ir/tensor/expr.ts';
import { simplifyExpr } from '../ir/tensor/simplify.ts';
import type { For } from '../ir/tensor/stmt.ts';
import type { Access } from './access.ts';

/** Inclusive bounds, and an upper bound of hi − lo that survives clamping (min/max shrink ranges). */
export interface SymRange { readonly lo: Expr; readonly hi: Expr; readonly width: Expr }

/** Loop variables that vary inside the region: their first value and trip count. */
export type Inner = ReadonlyMap<Var, { readonly min: Expr; readonly extent: Expr }>;

export interface Box {
  readonly offsets: readonly Expr[];
  readonly extents: readonly number[];
}

function mentionsInner(e: Expr, inner: Inner): boolean {
  for (const v of freeVars(e)) if (inner.has(v)) return true;
  return false;
}

const ZERO = int(0);

/** Inclusive symbolic bounds of `e` as the `inner` variables vary; undefined when unknown. */
export function symRange(e: Expr, inner: Inner): SymRange | undefined {
  if (!mentionsInner(e, inner)) return { lo: e, hi: e, width: ZERO };
  if (e instanceof Var) {
    const r = inner.get(e)!;
    const lo = symRange(r.min, inner), top = symRange(add(r.min, sub(r.extent, int(1))), inner);
    return lo && top ? { lo: lo.lo, hi: top.hi, width: sub(top.hi, lo.lo) } : undefined;
  }
  if (e.kind === 'unary' && e.op === 'neg') {
    const a = symRange(e.a, inner);
    return a && { lo: unary('neg', a.hi), hi: unary('neg', a.lo), width: a.width };
  }
  if (e.kind === 'select') {
    const a = symRange(e.a, inner), b = symRange(e.b, inner);
    if (!a || !b) return undefined;
    const lo = min(a.lo, b.lo), hi = max(a.hi, b.hi);
    return { lo, hi, width: sub(hi, lo) };
  }
  if (!(e instanceof Binary)) return undefined;
  const a = symRange(e.a, inner), b = symRange(e.b, inner);
  if (!a || !b) return undefined;
  switch (e.op) {
    case 'add': return { lo: add(a.lo, b.lo), hi: add(a.hi, b.hi), width: add(a.width, b.width) };
    case 'sub': return { lo: sub(a.lo, b.hi), hi: sub(a.hi, b.lo), width: add(a.width, b.width) };
    // A clamp never widens a range: the width of min/max is at most the wider operand's.
    case 'min': return { lo: min(a.lo, b.lo), hi: min(a.hi, b.hi), width: max(a.width, b.width) };
    case 'max': return { lo: max(a.lo, b.lo), hi: max(a.hi, b.hi), width: max(a.width, b.width) };
    case 'mul': {
      const [r, c] = e.b instanceof Const ? [a, e.b.value] : e.a instanceof Const ? [b, e.a.value] : [undefined, 0];
      if (!r) return undefined;
      const k = constant(c, e.dtype), w = mul(r.width, constant(Math.abs(c), e.dtype));
      return c >= 0 ? { lo: mul(r.lo, k), hi: mul(r.hi, k), width: w } : { lo: mul(r.hi, k), hi: mul(r.lo, k), width: w };
    }
    case 'floordiv':
      if (e.b instanceof Const && e.b.value > 0) {
        return { lo: floordiv(a.lo, e.b), hi: floordiv(a.hi, e.b), width: floordiv(add(a.width, int(e.b.value - 1)), e.b) };
      }
      return undefined;
    case 'floormod':
      if (e.b instanceof Const && e.b.value > 0) return { lo: ZERO, hi: int(e.b.value - 1), width: int(e.b.value - 1) };
      return undefined;
    default: return undefined;
  }
}

/** Union of two ranges; when their bounds differ by a constant the union is exact, not a min/max. */
function join(x: SymRange, y: SymRange, outer: Ranges): SymRange {
  const pick = (p: Expr, q: Expr, op: 'min' | 'max') => {
    const d = simplifyExpr(sub(p, q), outer);
    if (d instanceof Const) return (op === 'min') === (d.value <= 0) ? p : q;
    return binary(op, p, q);
  };
  const lo = pick(x.lo, y.lo, 'min'), hi = pick(x.hi, y.hi, 'max');
  return { lo, hi, width: sub(hi, lo) };
}

/** Bounds of the loop variables of `loops` (outermost first), each in terms of the ones outside. */
export function loopRanges(loops: readonly For[], base: Ranges = new Map()): Map<Var, Interval> {
  const out = new Map(base);
  for (const l of loops) {
    const m = bounds(l.min, out), n = bounds(l.extent, out);
    out.set(l.loopVar, { lo: m.lo, hi: m.hi + n.hi - 1 });
  }
  return out;
}

/**
 * The box of `b` that `accesses` touch. `inner` holds the loops that vary within the region
 * (besides the accesses' own loops below the region's root); `outer` bounds everything else.
 */
export function accessBox(b: Buffer, accesses: readonly Access[], inner: Inner, outer: Ranges): Box {
  const offsets: Expr[] = [], extents: number[] = [];
  for (let d = 0; d < b.rank; d++) {
    let r: SymRange | undefined;
    let known = true;
    for (const a of accesses) {
      const mine = new Map(inner);
      for (const l of a.loops) mine.set(l.loopVar, { min: l.min, extent: l.extent });
      for (const [v, n] of a.lanes ?? []) mine.set(v, { min: int(0), extent: int(n) });
      const x = symRange(a.indices[d], mine);
      if (!x) { known = false; break; }
      r = r ? join(r, x, outer) : x;
    }
    const lo = r && simplifyExpr(r.lo, outer);
    const widest = (e: Expr) => bounds(simplifyExpr(e, outer), outer).hi;
    const span = r && known ? Math.min(widest(sub(r.hi, r.lo)), widest(r.width)) + 1 : Infinity;
    const dim = b.shape[d];
    const n = Number.isFinite(span) ? Math.max(1, Math.min(span, dim)) : dim;
    extents.push(n);
    offsets.push(!lo || n === dim ? int(0) : simplifyExpr(max(int(0), min(lo, int(dim - n))), outer));
  }
  return { offsets, extents };
}
