// Vector memory access for a vectorized loop of 4 f32 lanes (the default schedule vectorizes the
// innermost element-wise loop): operands that the lanes read at consecutive addresses are loaded
// as one float4 (`__ldg`, read-only path) and the store is one float4 — when every lane is in
// range and every such address is 16-byte aligned, which the kernel checks at run time. Otherwise
// (the ragged tail of a split loop, an unaligned view) the same lanes run as the scalar loop.
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, type Load, type Var, constant, freeVars, substitute } from '../../src/ir/tensor/expr.ts';
import type { For, Store } from '../../src/ir/tensor/stmt.ts';
import { loadsOf } from '../../src/schedule/tree.ts';

export const LANES = 4;

export interface VectorLoop {
  readonly v: Var;
  readonly store: Store;
  /** The split's bounds test, when the loop is the tail-guarded inner part of a split. */
  readonly guard?: Expr;
  /** Loads of read-only f32 inputs at consecutive addresses: one float4 each. */
  readonly vector: readonly Load[];
}

/** Only the last index moves with `v`, by exactly one element a lane. */
export function consecutive(idx: readonly Expr[], v: Var): boolean {
  if (idx.length === 0 || idx.slice(0, -1).some((e) => freeVars(e).has(v))) return false;
  const last = idx[idx.length - 1];
  if (last === v) return true;
  return last.kind === 'binary' && last.op === 'add' &&
    ((last.a === v && !freeVars(last.b).has(v)) || (last.b === v && !freeVars(last.a).has(v)));
}

export function vectorLoop(l: For, readOnly: (b: Buffer) => boolean): VectorLoop | undefined {
  if (l.loopKind !== 'vectorized' || l.extent.kind !== 'const' || l.extent.value !== LANES || l.min.kind !== 'const' || l.min.value !== 0) return undefined;
  let body = l.body, guard: Expr | undefined;
  if (body.kind === 'if' && !body.otherwise) { guard = body.cond; body = body.then; }
  if (body.kind !== 'store' || body.buffer.dtype !== 'f32' || !consecutive(body.indices, l.loopVar)) return undefined;
  const v = l.loopVar;
  const vector = loadsOf(body.value).filter((x) => x.buffer.dtype === 'f32' && readOnly(x.buffer) && consecutive(x.indices, v));
  return { v, store: body, guard, vector };
}

/** `e` in lane k. */
export const lane = (e: Expr, v: Var, k: number): Expr => substitute(e, new Map([[v, constant(k, v.dtype)]]));
