// tensorize(loop, intrinsic): replace the loop nest rooted at `loop` by one intrinsic statement over
// buffer regions, when the nest computes exactly what the intrinsic's definition does
// (ir/tensor/intrinsics.ts):
//
//   matmul_tile  loops m, n, k (any order; a loop of extent 1 may be missing) around
//                C[.., m, .., n] = C[..] + A[.., m, .., k] * B[.., k, .., n]; an init C[..] = 0 between
//                the m/n loops and the k loop becomes accumulate = 0
//   mac          one loop l around acc[.., l] = acc[..] + a[.., l] * b[.., l]
//
// Each loop variable must appear with stride 1 in exactly one dim of each operand it belongs to, so
// that the operand is a rectangular region; integer operands may be widened by a cast, as the
// intrinsics compute in the destination's type.
import { type DType, isFloat, isPackedFloat } from '../ir/graph/dtype.ts';
import { type Expr, Binary, type Load, type Var, Load as LoadNode, constant, int, substitute } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { type For, type Region, type Stmt, type Store, intrinsic } from '../ir/tensor/stmt.ts';
import { affineIn } from './affine.ts';
import { findLoop } from './find.ts';
import { type Step, illegal } from './step.ts';
import { replaceNode } from './tree.ts';

interface Nest { readonly loops: For[]; readonly init?: Store; readonly initDepth: number; readonly update: Store }

/** Loops from `top` down to the update store, with an optional init store on the way. */
function nestOf(top: For, step: Step): Nest {
  const loops: For[] = [];
  let init: Store | undefined, initDepth = -1;
  let s: Stmt = top;
  for (;;) {
    if (s.kind === 'for') { loops.push(s); s = s.body; continue; }
    if (s.kind === 'seq' && !init && s.stmts.length === 2 && s.stmts[0].kind === 'store' && s.stmts[1].kind === 'for') {
      init = s.stmts[0];
      initDepth = loops.length;
      s = s.stmts[1];
      continue;
    }
    break;
  }
  if (s.kind !== 'store') illegal(step, `the nest at loop ${top.loopVar.name} does not end in a single store (found ${s.kind === 'if' ? 'an if' : s.kind})`);
  return { loops, init, initDepth, update: s };
}

/** The operand under an optional widening cast (integers to a wider integer, packed floats to f32). */
function operand(e: Expr, dtype: DType): Load | undefined {
  if (e instanceof LoadNode) return e;
  if (e.kind === 'cast' && e.a instanceof LoadNode) {
    const from = e.a.dtype;
    const widening = isFloat(dtype) ? isPackedFloat(from) : !isFloat(from) && from !== 'bool';
    return widening ? e.a : undefined;
  }
  return undefined;
}

/** acc[..] + x * y (either order), with acc at the store's own indices. */
function macParts(st: Store, step: Step, what: string): [Load, Load] {
  const v = st.value;
  const bad = () => illegal(step, `the store to ${st.buffer.name} is not ${what}`);
  if (!(v instanceof Binary) || v.op !== 'add') return bad();
  const self = (e: Expr) => e instanceof LoadNode && e.buffer === st.buffer && e.indices.every((x, i) => x === st.indices[i]);
  const prod = self(v.a) ? v.b : self(v.b) ? v.a : undefined;
  if (!prod || !(prod instanceof Binary) || prod.op !== 'mul') return bad();
  const x = operand(prod.a, st.buffer.dtype), y = operand(prod.b, st.buffer.dtype);
  if (!x || !y || x.buffer === st.buffer || y.buffer === st.buffer) return bad();
  return [x, y];
}

/** The dim of `indices` where `v` appears (stride 1), or -1; throws when it appears otherwise. */
function dimOf(indices: readonly Expr[], v: Var, vars: ReadonlySet<Var>, who: string, step: Step): number {
  let at = -1;
  indices.forEach((ix, d) => {
    const a = affineIn(ix, vars);
    if (!a) illegal(step, `index ${d} of ${who} is not affine in the nest's loops`);
    const c = a.coef.get(v) ?? 0;
    if (c === 0) return;
    if (c !== 1 || at >= 0) illegal(step, `loop ${v.name} does not index ${who} with stride 1 in a single dim`);
    at = d;
  });
  return at;
}

function region(ld: { buffer: Load['buffer']; indices: readonly Expr[] }, loops: readonly For[], vars: ReadonlySet<Var>, step: Step): Region {
  const zero = new Map(loops.map((l) => [l.loopVar, l.min] as const));
  const extents = ld.indices.map(() => 1);
  for (const l of loops) {
    const d = dimOf(ld.indices, l.loopVar, vars, ld.buffer.name, step);
    if (d >= 0) extents[d] = l.extent.kind === 'const' ? l.extent.value : illegal(step, `loop ${l.loopVar.name} has a non-constant extent`);
  }
  for (const l of loops) if (l.loopKind === 'bound') illegal(step, `loop ${l.loopVar.name} is bound to ${l.thread}`);
  return { buffer: ld.buffer, offsets: ld.indices.map((ix) => substitute(ix, zero)), extents };
}

function matmulTile(top: For, step: Step): Stmt {
  const nest = nestOf(top, step);
  const { loops, update } = nest;
  const [p, q] = macParts(update, step, 'C = C + A * B');
  const vars = new Set(loops.map((l) => l.loopVar));
  const uses = (ld: { buffer: Load['buffer']; indices: readonly Expr[] }, v: Var) => dimOf(ld.indices, v, vars, ld.buffer.name, step) >= 0;
  // A is the operand that shares a loop with C; try both.
  for (const [a, b] of [[p, q], [q, p]]) {
    const role = (v: Var) => {
      const c = uses(update, v), ia = uses(a, v), ib = uses(b, v);
      return c && ia && !ib ? 'm' : c && ib && !ia ? 'n' : ia && ib && !c ? 'k' : undefined;
    };
    const roles = loops.map((l) => role(l.loopVar));
    if (roles.some((r) => !r) || new Set(roles).size !== roles.length) continue;
    const m = loops[roles.indexOf('m')], n = loops[roles.indexOf('n')], k = loops[roles.indexOf('k')];
    const order = (ld: { buffer: Load['buffer']; indices: readonly Expr[] }, x?: For, y?: For) =>
      !x || !y || dimOf(ld.indices, x.loopVar, vars, ld.buffer.name, step) < dimOf(ld.indices, y.loopVar, vars, ld.buffer.name, step);
    if (!order(update, m, n) || !order(a, m, k) || !order(b, k, n)) {
      illegal(step, `the operands are transposed (matmul_tile needs C[m, n], A[m, k], B[k, n] in dim order)`);
    }
    let accumulate = 1;
    if (nest.init) {
      const init = nest.init;
      const zero = init.buffer === update.buffer && init.indices.every((x, i) => x === update.indices[i]) && init.value === constant(0, init.buffer.dtype);
      const above = loops.slice(0, nest.initDepth), below = loops.slice(nest.initDepth);
      if (!zero || above.some((l) => l === k) || below.some((l) => l !== k)) {
        illegal(step, `the statement before the k loop is not an init C = 0 between the m, n loops and the k loop`);
      }
      accumulate = 0;
    }
    return intrinsic('matmul_tile', [region(update, loops, vars, step), region(a, loops, vars, step), region(b, loops, vars, step), int(accumulate)]);
  }
  return illegal(step, `the loops ${loops.map((l) => l.loopVar.name).join(', ')} are not the m, n and k loops of C[m, n] += A[m, k] * B[k, n]`);
}

function mac(top: For, step: Step): Stmt {
  const nest = nestOf(top, step);
  if (nest.loops.length !== 1 || nest.init) illegal(step, `mac replaces a single lane loop, and ${top.loopVar.name} holds ${nest.loops.length} loops`);
  const [x, y] = macParts(nest.update, step, 'acc = acc + a * b');
  const vars = new Set([top.loopVar]);
  for (const ld of [nest.update, x, y]) {
    if (dimOf(ld.indices, top.loopVar, vars, ld.buffer.name, step) < 0) illegal(step, `${ld.buffer.name} is not indexed by lane loop ${top.loopVar.name}`);
  }
  return intrinsic('mac', [region(nest.update, [top], vars, step), region(x, [top], vars, step), region(y, [top], vars, step)]);
}

export function tensorizeLoop(f: PrimFunc, loop: string, name: string, step: Step): PrimFunc {
  const { node: l } = findLoop(f, loop, step);
  const replacement = name === 'matmul_tile' ? matmulTile(l, step) : name === 'mac' ? mac(l, step) : illegal(step, `unknown intrinsic ${name}`);
  return f.withBody(replaceNode(f.body, l, () => replacement));
}
