// Integer interval analysis over index expressions: the facts the simplifier and the schedule
// legality checks reason with. Intervals are inclusive; unknown is [-inf, +inf].
import { type Expr, Var } from './expr.ts';

export interface Interval { readonly lo: number; readonly hi: number }
export type Ranges = ReadonlyMap<Var, Interval>;

export const ANY: Interval = { lo: -Infinity, hi: Infinity };
const iv = (lo: number, hi: number): Interval => ({ lo, hi });

function mulIv(a: Interval, b: Interval): Interval {
  const ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi].map((x) => (Number.isNaN(x) ? 0 : x));
  return iv(Math.min(...ps), Math.max(...ps));
}

/** Bounds of an integer expression given bounds of its variables. */
export function bounds(e: Expr, ranges: Ranges): Interval {
  switch (e.kind) {
    case 'const': return iv(e.value, e.value);
    case 'var': return ranges.get(e) ?? ANY;
    case 'cast': return e.dtype === 'bool' ? iv(0, 1) : bounds(e.a, ranges);
    case 'unary': {
      if (e.op === 'not') return iv(0, 1);
      const a = bounds(e.a, ranges);
      return iv(-a.hi, -a.lo);
    }
    case 'select': {
      const a = bounds(e.a, ranges), b = bounds(e.b, ranges);
      return iv(Math.min(a.lo, b.lo), Math.max(a.hi, b.hi));
    }
    case 'binary': {
      if (e.dtype === 'bool') return iv(0, 1);
      const a = bounds(e.a, ranges), b = bounds(e.b, ranges);
      switch (e.op) {
        case 'add': return iv(a.lo + b.lo, a.hi + b.hi);
        case 'sub': return iv(a.lo - b.hi, a.hi - b.lo);
        case 'mul': return mulIv(a, b);
        case 'min': return iv(Math.min(a.lo, b.lo), Math.min(a.hi, b.hi));
        case 'max': return iv(Math.max(a.lo, b.lo), Math.max(a.hi, b.hi));
        case 'floordiv':
          if (b.lo === b.hi && b.lo > 0) return iv(Math.floor(a.lo / b.lo), Math.floor(a.hi / b.lo));
          return ANY;
        case 'floormod':
          if (b.lo > 0) {
            if (a.lo >= 0 && a.hi < b.lo) return a;
            return iv(0, b.hi - 1);
          }
          return ANY;
        default: return ANY;
      }
    }
    default: return ANY;
  }
}
