// Sliding-window indexing shared by Conv, ConvTranspose and the pools: for each spatial axis, the
// input coordinate a window tap reads, whether it lies inside the input, and the coordinate clamped
// so the read is in bounds even where the tap is padding (its value is then discarded by a select).
// Conditions and clamps are emitted only on the sides where some tap can actually leave the input.
import { type Axis, type Window } from '../../ir/graph/ops/nn-window.ts';
import { type Expr, add, int, lt, mul, sub } from '../../ir/tensor/expr.ts';
import { clampIndex, ge } from './util.ts';

export interface Tap {
  /** The clamped input coordinate. */
  readonly index: Expr;
  /** Conditions under which the tap is inside the input. */
  readonly conds: readonly Expr[];
}

/** Input coordinate o·stride − head + t·dilation of spatial axis `i` (o: output, t: tap). */
export function windowTap(w: Window, axis: Axis, i: number, size: number, o: Expr, t: Expr): Tap {
  const s = w.strides[i], d = w.dilations[i], k = w.kernel[i];
  const pos = add(sub(mul(o, int(s)), int(axis.head)), mul(t, int(d)));
  const low = axis.head > 0;
  const high = (axis.out - 1) * s - axis.head + (k - 1) * d >= size;
  const conds: Expr[] = [];
  if (low) conds.push(ge(pos, int(0)));
  if (high) conds.push(lt(pos, int(size)));
  return { index: clampIndex(pos, low ? 0 : undefined, high ? size - 1 : undefined), conds };
}
