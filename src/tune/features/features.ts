// Features of a scheduled kernel, in the spirit of Ansor's per-store features, fixed-length so every
// kernel of every workload feeds one cost model (which is what makes transfer between workloads work).
// They are computed from the scheduled Tensor IR — never from the knob values — so configs that
// produce the same program get the same features, and records of other spaces remain comparable.
//
// For the main store (the one executed most often) and its two most important loads:
//   per loop level (the innermost LEVELS loops, inner first): log extent, loop kind one-hot, and per
//   access log |stride| of that loop's variable, log footprint (elements touched below and at the
//   level) and log reuse (iterations below the level that touch the same element);
//   globals: log trip count, loop counts by kind, unrolled/vectorized/parallel extents, threads and
//   blocks, shared/local bytes, barriers, arithmetic operations per store and arithmetic intensity.
import { type Expr, evalBinary } from '../../ir/tensor/expr.ts';
import type { PrimFunc } from '../../ir/tensor/func.ts';
import type { For, Stmt, Store } from '../../ir/tensor/stmt.ts';
import { stmtChildren } from '../../ir/tensor/stmt.ts';
import { usage } from '../space/limits.ts';

export const LEVELS = 6;
const KINDS = ['serial', 'unrolled', 'vectorized', 'parallel', 'block', 'thread'] as const;
const ACCESSES = 3;
const PER_LEVEL = 1 + KINDS.length + ACCESSES * 3;
const GLOBALS = 16;
export const FEATURE_LENGTH = LEVELS * PER_LEVEL + GLOBALS;

/** The scale most features are on: log2(1 + |x|), so sizes and counts of any magnitude stay comparable. */
export const lg = (x: number): number => Math.log2(1 + Math.abs(x));

/** A feature vector from a target's own list of values, zero-padded to FEATURE_LENGTH so one cost model and database serve every target. */
export function featureVector(values: readonly number[]): Float32Array {
  const out = new Float32Array(FEATURE_LENGTH);
  out.set(values.slice(0, FEATURE_LENGTH));
  return out;
}

interface Site { store: Store; loops: For[]; trip: number }

function sites(f: PrimFunc): { sites: Site[]; barriers: number } {
  const out: Site[] = [];
  let barriers = 0;
  const walk = (s: Stmt, loops: For[], trip: number): void => {
    if (s.kind === 'barrier') barriers++;
    if (s.kind === 'store') out.push({ store: s, loops, trip });
    const next = s.kind === 'for' ? [...loops, s] : loops;
    const t = s.kind === 'for' && s.extent.kind === 'const' ? trip * s.extent.value : trip;
    for (const c of stmtChildren(s)) walk(c, next, t);
  };
  walk(f.body, [], 1);
  return { sites: out, barriers };
}

/** Value of an index expression at a point (loop variables by name; others 0). */
function evalIndex(e: Expr, env: Map<string, number>): number {
  switch (e.kind) {
    case 'var': return env.get(e.name) ?? 0;
    case 'const': return e.value;
    case 'binary': return evalBinary(e.op, evalIndex(e.a, env), evalIndex(e.b, env), e.dtype);
    case 'cast': return evalIndex(e.a, env);
    case 'unary': return e.op === 'neg' ? -evalIndex(e.a, env) : evalIndex(e.a, env) ? 0 : 1;
    case 'select': return evalIndex(e.cond, env) ? evalIndex(e.a, env) : evalIndex(e.b, env);
    default: return 0;
  }
}

/** Stride of each loop in the flattened index of an access (by finite difference at an interior point). */
export function strides(indices: readonly Expr[], shape: readonly number[], loops: readonly For[]): number[] {
  const flat = (env: Map<string, number>) => indices.reduce((acc, ix, d) => acc * shape[d] + evalIndex(ix, env), 0);
  const base = new Map(loops.map((l) => [l.loopVar.name, 1]));
  const b0 = flat(base);
  return loops.map((l) => {
    const env = new Map(base);
    env.set(l.loopVar.name, 2);
    return flat(env) - b0;
  });
}

function countOps(e: Expr): { ops: number; loads: { buffer: string; indices: readonly Expr[]; shape: readonly number[] }[] } {
  let ops = 0;
  const loads: { buffer: string; indices: readonly Expr[]; shape: readonly number[] }[] = [];
  const walk = (x: Expr): void => {
    if (x.kind === 'binary' || x.kind === 'unary' || x.kind === 'call') ops++;
    if (x.kind === 'load') { loads.push({ buffer: x.buffer.name, indices: x.indices, shape: x.buffer.shape }); x.indices.forEach(walk); return; }
    if (x.kind === 'binary') { walk(x.a); walk(x.b); }
    if (x.kind === 'unary' || x.kind === 'cast') walk(x.a);
    if (x.kind === 'select') { walk(x.cond); walk(x.a); walk(x.b); }
    if (x.kind === 'call') x.args.forEach(walk);
  };
  walk(e);
  return { ops, loads };
}

const extentOf = (l: For): number => (l.extent.kind === 'const' ? l.extent.value : 1);
const kindOf = (l: For): (typeof KINDS)[number] =>
  l.loopKind === 'bound' ? (l.thread?.startsWith('block') ? 'block' : 'thread') : (l.loopKind as (typeof KINDS)[number]);

export function featurize(f: PrimFunc): Float32Array {
  const out = new Float32Array(FEATURE_LENGTH);
  const { sites: all, barriers } = sites(f);
  if (all.length === 0) return out;
  const main = all.reduce((a, b) => (b.trip > a.trip ? b : a));
  const { ops, loads } = countOps(main.store.value);
  // The store, then the loads of other buffers (largest first: they dominate traffic).
  const others = loads.filter((l) => l.buffer !== main.store.buffer.name)
    .sort((x, y) => y.shape.reduce((a, b) => a * b, 1) - x.shape.reduce((a, b) => a * b, 1));
  const accesses = [{ indices: main.store.indices, shape: main.store.buffer.shape }, ...others].slice(0, ACCESSES);
  const loops = main.loops;
  const st = accesses.map((a) => strides(a.indices, a.shape, loops));
  const inner = [...loops].reverse().slice(0, LEVELS);
  let o = 0;
  inner.forEach((l, j) => {
    const depth = loops.length - 1 - j;
    out[o] = lg(extentOf(l));
    out[o + 1 + KINDS.indexOf(kindOf(l))] = 1;
    accesses.forEach((_, a) => {
      const below = loops.slice(depth);
      let foot = 1, reuse = 1;
      below.forEach((x, i) => { if (st[a][depth + i] !== 0) foot *= extentOf(x); else reuse *= extentOf(x); });
      out[o + 1 + KINDS.length + a * 3] = lg(st[a][depth]);
      out[o + 2 + KINDS.length + a * 3] = lg(foot);
      out[o + 3 + KINDS.length + a * 3] = lg(reuse);
    });
    o += PER_LEVEL;
  });
  const g = LEVELS * PER_LEVEL;
  const by = (k: string) => loops.filter((l) => kindOf(l) === k);
  const prod = (ls: For[]) => ls.reduce((a, l) => a * extentOf(l), 1);
  const u = usage(f);
  const totalTrip = all.reduce((a, s) => a + s.trip, 0);
  const bytes = f.params.reduce((a, b) => a + b.size * 4, 0);
  [
    lg(main.trip), lg(totalTrip), loops.length, by('unrolled').length, lg(prod(by('unrolled'))),
    lg(prod(by('vectorized'))), lg(prod(by('parallel'))), lg(u.threadsPerBlock), lg(prod(by('block'))),
    lg(u.sharedBytes), lg(u.localBytes), barriers, ops, loads.length, lg(main.trip * ops / Math.max(1, bytes)), all.length,
  ].forEach((v, i) => { out[g + i] = v; });
  return out;
}
