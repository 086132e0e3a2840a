// Recognizes the two loop-nest shapes the CUDA target renders with hand-written kernel templates
// instead of the loop printer (templates.ts, warp.ts):
//
//   contraction   for s… { acc[s…] = init; for r… { acc[s…] = acc[s…] + a * b } }   (matmul, conv, Gemm)
//                 optionally followed by an element-wise epilogue over the same loops that reads
//                 acc[s…] and writes the output (bias, activation, f16 rounding: one launch, no
//                 round trip of the f32 accumulator through global memory);
//   reduction     for s… { acc[s…] = init; for r… { acc[s…] = op(acc[s…], x) } }   op ∈ add, max, min
//
// A contraction's spatial loops split into M (only `a` reads them), N (only `b`) and batch (both or
// neither); `a` and `b` are evaluated per element of the tiles the templates stage in shared memory,
// so any indexing works (padding selects, strides, im2col: an implicit GEMM).
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, type Var, freeVars, rewriteExpr, substitute, variable } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { For, Stmt } from '../../src/ir/tensor/stmt.ts';
import { loadsOf } from '../../src/schedule/tree.ts';

export interface Reduction {
  readonly acc: Buffer;
  readonly spatial: readonly For[];
  readonly red: readonly For[];
  readonly init: Expr;
  readonly op: 'add' | 'max' | 'min';
  /** The reduced term (for a contraction: a * b). */
  readonly term: Expr;
}

export interface Contraction extends Reduction {
  readonly a: Expr;
  readonly b: Expr;
  readonly batch: readonly For[];
  readonly m: readonly For[];
  readonly n: readonly For[];
  /** The stored output and value, in terms of the spatial loop variables and `ACC` (init + sum). */
  readonly out: Buffer;
  readonly outIndices: readonly Expr[];
  readonly outValue: Expr;
}

/** The reduced value in an epilogue expression (printed as a local of the template). */
export const ACC = variable('tscc_acc', 'f32');

export const extentOf = (l: For) => (l.extent as { value: number }).value;
export const product = (ls: readonly For[]) => ls.reduce((p, l) => p * extentOf(l), 1);

function hasBound(s: Stmt): boolean {
  if (s.kind === 'for') return s.loopKind === 'bound' || hasBound(s.body);
  if (s.kind === 'seq') return s.stmts.some(hasBound);
  if (s.kind === 'allocate') return hasBound(s.body);
  if (s.kind === 'if') return hasBound(s.then) || (s.otherwise !== undefined && hasBound(s.otherwise));
  return false;
}

/** Serial loops from 0 with constant extents, down to the first statement that is not one. */
function band(s: Stmt): { loops: For[]; body: Stmt } {
  const loops: For[] = [];
  while (s.kind === 'for' && s.loopKind === 'serial' && s.min.kind === 'const' && s.min.value === 0 && s.extent.kind === 'const') {
    loops.push(s);
    s = s.body;
  }
  return { loops, body: s };
}

const readsBuffer = (e: Expr, b: Buffer) => loadsOf(e).some((l) => l.buffer === b);
const isAt = (idx: readonly Expr[], loops: readonly For[]) => idx.length === loops.length && idx.every((e, d) => e === loops[d].loopVar);

/** `value` with every load of `acc` at the loops' own element replaced by ACC; undefined if it reads another element. */
function withAcc(value: Expr, acc: Buffer, loops: readonly For[]): Expr | undefined {
  let ok = true;
  const out = rewriteExpr(value, (x) => {
    if (x.kind !== 'load' || x.buffer !== acc) return undefined;
    if (!isAt(x.indices, loops)) ok = false;
    return ACC;
  });
  return ok ? out : undefined;
}

/**
 * One reduction stage: spatial band, init store, reduction band with one accumulating store, and
 * optionally a last store that rewrites the element in place (an epilogue fused into the stage:
 * `acc = relu(acc + bias)`), whose value becomes `tail`.
 */
export function matchReductionStage(s: Stmt): (Reduction & { tail: Expr }) | undefined {
  const { loops: spatial, body } = band(s);
  if (spatial.length === 0 || body.kind !== 'seq' || body.stmts.length < 2 || body.stmts.length > 3) return undefined;
  const [init, rest, last] = body.stmts;
  if (init.kind !== 'store' || !isAt(init.indices, spatial) || readsBuffer(init.value, init.buffer)) return undefined;
  const acc = init.buffer;
  if (acc.dtype !== 'f32') return undefined;
  const { loops: red, body: upd } = band(rest);
  if (red.length === 0 || upd.kind !== 'store' || upd.buffer !== acc || !isAt(upd.indices, spatial)) return undefined;
  const v = upd.value;
  if (v.kind !== 'binary' || (v.op !== 'add' && v.op !== 'max' && v.op !== 'min')) return undefined;
  const self = (e: Expr) => e.kind === 'load' && e.buffer === acc && isAt(e.indices, spatial);
  const term = self(v.a) ? v.b : self(v.b) ? v.a : undefined;
  if (!term || readsBuffer(term, acc)) return undefined;
  const vars = new Set<Var>(spatial.map((l) => l.loopVar));
  if ([...freeVars(init.value)].some((x) => !vars.has(x))) return undefined;
  let tail: Expr | undefined = ACC;
  if (last) tail = last.kind === 'store' && last.buffer === acc && isAt(last.indices, spatial) ? withAcc(last.value, acc, spatial) : undefined;
  return tail && { acc, spatial, red, init: init.value, op: v.op, term, tail };
}

/** A whole function that is one reduction stage writing an output (a stage cut by stages.ts, a plain reduce). */
export function matchReduction(f: PrimFunc): (Reduction & { tail: Expr }) | undefined {
  if (hasBound(f.body)) return undefined;
  const r = matchReductionStage(f.body);
  return r && f.outputs.length === 1 && f.outputs[0] === r.acc ? r : undefined;
}

function splitOperands(r: Reduction): Pick<Contraction, 'a' | 'b' | 'batch' | 'm' | 'n'> | undefined {
  const t = r.term;
  if (r.op !== 'add' || t.kind !== 'binary' || t.op !== 'mul' || t.dtype !== 'f32') return undefined;
  const va = freeVars(t.a), vb = freeVars(t.b);
  const m = r.spatial.filter((l) => va.has(l.loopVar) && !vb.has(l.loopVar));
  const n = r.spatial.filter((l) => vb.has(l.loopVar) && !va.has(l.loopVar));
  const batch = r.spatial.filter((l) => !m.includes(l) && !n.includes(l));
  return { a: t.a, b: t.b, m, n, batch };
}

/**
 * A function computing one contraction: either the reduction stage writes the output, or the
 * accumulator is allocated around it and an element-wise stage over the same loops writes the output.
 */
export function matchContraction(f: PrimFunc): Contraction | undefined {
  if (hasBound(f.body) || f.outputs.length !== 1) return undefined;
  const out = f.outputs[0];
  let s = f.body;
  const allocs: Buffer[] = [];
  while (s.kind === 'allocate') { allocs.push(s.buffer); s = s.body; }
  if (allocs.length === 0) {
    const r = matchReductionStage(s);
    const ops = r && r.acc === out ? splitOperands(r) : undefined;
    if (!r || !ops) return undefined;
    return { ...r, ...ops, out, outIndices: r.spatial.map((l) => l.loopVar), outValue: r.tail };
  }
  if (allocs.length !== 1 || s.kind !== 'seq' || s.stmts.length !== 2) return undefined;
  const r = matchReductionStage(s.stmts[0]);
  if (!r || r.acc !== allocs[0] || r.tail !== ACC) return undefined;
  const ops = splitOperands(r);
  const e = band(s.stmts[1]);
  if (!ops || e.body.kind !== 'store' || e.body.buffer !== out || e.loops.length !== r.spatial.length) return undefined;
  if (e.loops.some((l, d) => extentOf(l) !== extentOf(r.spatial[d]))) return undefined;
  // Every read of the accumulator is the element this iteration computed.
  const rename = new Map<Var, Expr>(e.loops.map((l, d) => [l.loopVar, r.spatial[d].loopVar]));
  const own = withAcc(e.body.value, r.acc, e.loops);
  const indices = e.body.indices.map((x) => substitute(x, rename));
  if (!own || indices.some((x) => readsBuffer(x, r.acc))) return undefined;
  const value = substitute(own, rename);
  return { ...r, ...ops, out, outIndices: indices, outValue: value };
}
