// Packed int8 dot products for QDQ int8 kernels (passes/quantize/README.md: DequantizeLinear of a u8
// activation and of an i8 weight feed a Conv/MatMul). Lowered, such a reduction reads
//
//   out[P] += ((f32(qa(k)) − za) · sa) · (f32(qb(k)) · sb)          qa: u8 or i8, qb: i8 or u8
//
// and becomes, four steps at a time (k = 4·k4 + i), exact integer arithmetic in the Tensor IR:
//
//   out[P] += f32(Σi a_i·b_i + ca·Σi b_i + cb·Σi a_i + 4·ca·cb) · sa · sb
//   a_i = i32(qa) − oa ∈ [−128, 127] (oa = 128 for u8, else 0), ca = oa − za (likewise b)
//
// The sum of four products of i8-ranged operands is what WGSL's `dot4I8Packed` computes on packed
// bytes: the renderer emits it there (render.ts `dot4Terms`) when the adapter has the
// `packed_4x8_integer_dot_product` language feature. The rewritten stage is ordinary Tensor IR (the
// interpreter runs it), so tiling, unrolling and hoisting apply unchanged.
import { type Expr, Binary, Cast, Const, Select, Var, add, binary, cast, freeVars, int, mul, select, sub, substitute, variable } from '../../src/ir/tensor/expr.ts';
import { type Stmt, allocate, forLoop, ifThen, seq, store } from '../../src/ir/tensor/stmt.ts';
import type { Stage } from './stages.ts';

interface Operand { q: Expr; offset: number; zero: number; pad?: Expr }

/** The stage with its int8 reduction rewritten for packed dot products, or undefined when none matches. */
export function dotStage(stage: Stage): Stage | undefined {
  let changed = false;
  const go = (s: Stmt): Stmt => {
    switch (s.kind) {
      case 'for': {
        const r = rewriteLoop(s);
        if (r) { changed = true; return r; }
        return forLoop(s.loopVar, s.min, s.extent, go(s.body), s.loopKind, s.thread);
      }
      case 'seq': return seq(s.stmts.map(go));
      case 'if': return ifThen(s.cond, go(s.then), s.otherwise && go(s.otherwise));
      case 'allocate': return allocate(s.buffer, go(s.body));
      default: return s;
    }
  };
  const inner = go(stage.inner);
  return changed ? { ...stage, inner } : undefined;
}

/**
 * A reduction loop of extent 4·n whose body is a perfect nest of constant loops around the
 * accumulating store (a convolution's channel loop around its window taps): the nest is kept and
 * the loop moves innermost in steps of four (reduction order does not change the integer sums).
 */
function rewriteLoop(l: Stmt & { kind: 'for' }): Stmt | undefined {
  const k = l.loopVar;
  const nest: (Stmt & { kind: 'for' })[] = [];
  let st = l.body;
  while (st.kind === 'for' && st.min.kind === 'const' && st.extent.kind === 'const') { nest.push(st); st = st.body; }
  if (l.min.kind !== 'const' || l.min.value !== 0 || l.extent.kind !== 'const' || l.extent.value % 4 !== 0) return undefined;
  if (st.kind !== 'store' || st.buffer.dtype !== 'f32' || st.indices.some((e) => freeVars(e).has(k))) return undefined;
  const v = st.value;
  if (!(v instanceof Binary) || v.op !== 'add' || v.a.kind !== 'load' || v.a.buffer !== st.buffer || v.a.indices.some((e, i) => e !== st.indices[i])) return undefined;
  const factors = mulFactors(v.b);
  const ops: Operand[] = [];
  const scales: Expr[] = [];
  for (const f of factors) {
    if (!freeVars(f).has(k)) { scales.push(f); continue; }
    const o = operand(f, k);
    if (!o) return undefined;
    ops.push(o.op);
    scales.push(...o.scales);
  }
  if (ops.length !== 2) return undefined;
  const k4 = variable(`${k.name}_q4`);
  const at = (o: Operand, i: number) => {
    const m = new Map([[k, add(mul(k4, int(4)), int(i))]]);
    const q = cast('i32', substitute(o.q, m));
    // Zero padding of a quantized value is its zero point: (z − z)·s = 0.
    return sub(o.pad ? select(substitute(o.pad, m), q, int(o.zero)) : q, int(o.offset));
  };
  const [a, b] = ops;
  const as = [0, 1, 2, 3].map((i) => at(a, i));
  const bs = [0, 1, 2, 3].map((i) => at(b, i));
  const ca = a.offset - a.zero, cb = b.offset - b.zero;
  let sum: Expr = as.map((x, i) => mul(x, bs[i])).reduce((x, y) => add(x, y));
  if (ca !== 0) sum = add(sum, mul(int(ca), bs.reduce((x, y) => add(x, y))));
  if (cb !== 0) sum = add(sum, mul(int(cb), as.reduce((x, y) => add(x, y))));
  if (ca !== 0 && cb !== 0) sum = add(sum, int(4 * ca * cb));
  const term = scales.reduce((x, y) => mul(x, y), cast('f32', sum));
  const inner = forLoop(k4, int(0), int(l.extent.value / 4), store(st.buffer, st.indices, add(v.a, term)), l.loopKind === 'bound' ? 'serial' : l.loopKind);
  return nest.reduceRight<Stmt>((body, f) => forLoop(f.loopVar, f.min, f.extent, body, f.loopKind === 'bound' ? 'serial' : f.loopKind), inner);
}

function mulFactors(e: Expr): Expr[] {
  return e instanceof Binary && e.op === 'mul' && e.dtype === 'f32' ? [...mulFactors(e.a), ...mulFactors(e.b)] : [e];
}

/**
 * f32(q) or f32(q) − z with q an 8-bit integer expression and z an integer constant; or such an
 * operand times k-invariant scales under a padding select `select(c, operand · scales, 0.0)`.
 */
function operand(e: Expr, k: Var): { op: Operand; scales: Expr[] } | undefined {
  if (e instanceof Select && e.b instanceof Const && e.b.value === 0) {
    const fs = mulFactors(e.a);
    const inner = fs.filter((f) => freeVars(f).has(k));
    if (inner.length !== 1) return undefined;
    const o = quantized(inner[0]);
    return o && { op: { ...o, pad: e.cond }, scales: fs.filter((f) => !freeVars(f).has(k)) };
  }
  const o = quantized(e);
  return o && { op: o, scales: [] };
}

function quantized(e: Expr): Operand | undefined {
  let zero = 0;
  let x = e;
  if (x instanceof Binary && x.op === 'sub' && x.b instanceof Const && Number.isInteger(x.b.value)) { zero = x.b.value; x = x.a; }
  if (!(x instanceof Cast) || x.dtype !== 'f32') return undefined;
  const q = x.a;
  if (q.dtype !== 'u8' && q.dtype !== 'i8') return undefined;
  return { q, offset: q.dtype === 'u8' ? 128 : 0, zero };
}

/**
 * Groups of four products of i8-ranged operands in an i32 sum, as the rewrite writes them:
 * `(i32(q) − 128)` for a u8 q, `i32(q)` (− 0) for an i8 q. Returns the product pairs and the
 * remaining terms, or undefined when fewer than four products are found.
 */
export function dot4Terms(e: Expr): { dots: [Expr, Expr][][]; rest: Expr[] } | undefined {
  if (!(e instanceof Binary) || e.op !== 'add' || e.dtype !== 'i32') return undefined;
  const terms: Expr[] = [];
  const flat = (x: Expr): void => { if (x instanceof Binary && x.op === 'add' && x.dtype === 'i32') { flat(x.a); flat(x.b); } else terms.push(x); };
  flat(e);
  const pairs: [Expr, Expr][] = [];
  const rest: Expr[] = [];
  for (const t of terms) {
    if (t instanceof Binary && t.op === 'mul' && isI8(t.a) && isI8(t.b)) pairs.push([t.a, t.b]);
    else rest.push(t);
  }
  if (pairs.length < 4) return undefined;
  const dots: [Expr, Expr][][] = [];
  while (pairs.length >= 4) dots.push(pairs.splice(0, 4));
  for (const [x, y] of pairs) rest.push(binary('mul', x, y));
  return { dots, rest };
}

/** i32(q: i8), or i32(q: u8) − 128, each possibly padded: select(c, i32(q), zero point). */
function isI8(e: Expr): boolean {
  const widened = (x: Expr, dtype: string, lo: number, hi: number): boolean => {
    if (x instanceof Select) return x.b instanceof Const && x.b.value >= lo && x.b.value <= hi && widened(x.a, dtype, lo, hi);
    return x instanceof Cast && x.dtype === 'i32' && x.a.dtype === dtype;
  };
  if (widened(e, 'i8', -128, 127)) return true;
  return e instanceof Binary && e.op === 'sub' && e.b instanceof Const && e.b.value === 128 && widened(e.a, 'u8', 0, 255);
}

