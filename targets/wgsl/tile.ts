// Register tiles for reduction stages (matmul, conv, pooling): each invocation computes a TA×TB
// tile of two parallel loops instead of one element, with the accumulators in registers.
//
//   1. replicate: the stage body is copied per tile element with a → a_o·TA + ta (clamped to the
//      extent, so every read stays in bounds), and the copies are merged loop by loop, so one
//      reduction loop updates the whole tile;
//   2. promote: every element the copies accumulate into (all its accesses at one index that only
//      parallel variables determine) becomes a slot of a local array, written back once at the end,
//      guarded so clamped duplicates outside the extent are not stored;
//   3. hoist: loads of read-only buffers inside the innermost straight-line blocks become `let`s,
//      so a value shared by several tile elements is loaded once.
//
// Before tiling, a config may unroll small reduction loops and afterwards split interior from
// border invocations (specialize.ts). Which config: choose.ts (default rule) or the plan (tuned).
import type { DType } from '../../src/ir/graph/dtype.ts';
import { type Buffer, buffer as mkBuffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, Var, add, and, children, constant, freeVars, int, load, lt, min, mul, rewriteExpr, substitute, variable } from '../../src/ir/tensor/expr.ts';
import { substStmt } from '../../src/ir/tensor/simplify.ts';
import { For, type Stmt, allocate, forLoop, ifThen, seq, store } from '../../src/ir/tensor/stmt.ts';
import type { DeviceProfile } from './limits.ts';
import { DEFAULT_NODES, chooseStageConfig } from './choose.ts';
import type { StageConfig } from './config.ts';
import { dotStage } from './int8.ts';
import { splitBorder, canonical, unrollBy, unrollLoops } from './specialize.ts';
import { type Stage, forEachStmt } from './stages.ts';

export interface Tiled { stage: Stage; workgroup: number; hoist: ReadonlyMap<Stmt, readonly Expr[]>; dot4: boolean; bcast?: boolean }

interface Choice { a?: For; ta: number; b?: For; tb: number }

/** Does the stage have the shape register tiles need: constant parallel loops around a loop nest? */
export function tileable(stage: Stage): boolean {
  if (stage.parallel.length === 0 || stage.bound.length > 0 || !hasLoop(stage.inner)) return false;
  return stage.parallel.every((l) => l.extent.kind === 'const' && l.min.kind === 'const');
}

/** Applies a stage config: unroll, register tile, interior/border split, load hoisting. */
export function tileStage(stage: Stage, cfg: StageConfig): Tiled {
  const plain: Tiled = { stage, workgroup: cfg.wg, hoist: new Map(), dot4: false };
  if (!tileable(stage)) return plain;
  const dotted = cfg.dot4 ? dotStage(stage) : undefined;
  const full = cfg.unroll?.length ? unrollLoops(dotted ?? stage, cfg.unroll) : dotted ?? stage;
  const unrolled = cfg.kunroll ? unrollBy(full, cfg.kunroll.loop, cfg.kunroll.factor) : full;
  const byName = (n: string) => unrolled.parallel.find((l) => l.loopVar.name === n);
  const choice: Choice = cfg.tile ? { a: byName(cfg.tile.a), ta: cfg.tile.ta, b: byName(cfg.tile.b), tb: cfg.tile.tb } : { ta: 1, tb: 1 };
  const tiled = tileWith(unrolled, choice) ?? { stage: unrolled, readOnly: (b: Buffer) => b.scope === 'global' && !writes(unrolled.inner, b) };
  const laned = laneLast(tiled.stage, cfg.lane);
  const st = cfg.split ? splitBorder(laned) : canonical(laned);
  const hoist = new Map<Stmt, readonly Expr[]>();
  if (cfg.hoist) hoistLoads(st.inner, tiled.readOnly, hoist);
  return { stage: st, workgroup: cfg.wg, hoist, dot4: dotted !== undefined, ...(cfg.bcast ? { bcast: true } : {}) };
}

/**
 * Makes the named parallel loop (or its tile-outer loop `name_o`) the innermost of the stage's
 * parallel loops, so it varies fastest between neighbouring invocations (emit.ts flattens them in
 * order). Only the invocation → element map changes, not what an element computes.
 */
function laneLast(stage: Stage, lane: string | undefined): Stage {
  if (lane === undefined) return stage;
  const l = stage.parallel.find((x) => x.loopVar.name === `${lane}_o`) ?? stage.parallel.find((x) => x.loopVar.name === lane);
  if (!l) return stage;
  return { ...stage, parallel: [...stage.parallel.filter((x) => x !== l), l] };
}

/** The default rule (choose.ts): the candidate with the fewest loads per multiply-add. */
export function defaultStageConfig(stage: Stage, profile: DeviceProfile): StageConfig {
  if (!tileable(stage)) return { wg: 64, hoist: false };
  // int8 QDQ reductions use packed dot products where the device has them (int8.ts).
  const dotted = profile.int8Dot ? dotStage(stage) : undefined;
  const cfg = withSharing(chooseStageConfig(dotted ?? stage, profile, bodyNodes(dotted ?? stage)), profile);
  return dotted ? { ...cfg, dot4: true } : cfg;
}

/**
 * Subgroup sharing where the device has fixed-size subgroups and the config allows it (a register
 * tile with hoisting, no split, whole subgroups per workgroup). Measured on SwiftShader (4 lanes)
 * against the same config without it, median of 15 alternating pairs: Conv 3×3 64→64 @56² 0.77×
 * GPU time, 3×3 s2 128→128 @28² 0.80×, MatMul 128³/256×512×256 0.93-0.96×, 1×1 convs 0.94-1.00×;
 * a stage with nothing to share gets the same shader as without it (emit.ts).
 */
export function withSharing(c: StageConfig, profile: DeviceProfile): StageConfig {
  const sg = profile.subgroupSize;
  return sg && c.tile && c.hoist && !c.split && c.wg % sg === 0 ? { ...c, bcast: true } : c;
}

function writes(s: Stmt, b: Buffer): boolean {
  let w = false;
  forEachStmt(s, (x) => { if (x.kind === 'store' && x.buffer === b) w = true; });
  return w;
}

function tileWith(stage: Stage, c: Choice): { stage: Stage; readOnly: (b: Buffer) => boolean } | undefined {
  const maps: Map<Var, Expr>[] = [];
  const guards: Expr[] = [];
  const loops = stage.parallel.map((l) => l);
  const outer = new Map<For, Var>();
  for (const [l, t] of [[c.a, c.ta], [c.b, c.tb]] as const) {
    if (!l || t <= 1) continue;
    const v = variable(`${l.loopVar.name}_o`);
    outer.set(l, v);
    loops[loops.indexOf(l)] = forLoop(v, int(0), int(Math.ceil(extent(l) / t)), l.body);
  }
  for (let ta = 0; ta < (outer.has(c.a!) ? c.ta : 1); ta++) {
    for (let tb = 0; tb < (outer.has(c.b!) ? c.tb : 1); tb++) {
      const m = new Map<Var, Expr>();
      const g: Expr[] = [];
      for (const [l, t, k] of [[c.a, c.ta, ta], [c.b, c.tb, tb]] as const) {
        const v = l && outer.get(l);
        if (!l || !v) continue;
        const pos = add(mul(v, int(t)), int(k));
        m.set(l.loopVar, add(extent(l) % t === 0 ? pos : min(pos, int(extent(l) - 1)), l.min));
        if (extent(l) % t !== 0) g.push(lt(pos, int(extent(l))));
      }
      maps.push(m);
      guards.push(g.reduce((x, y) => and(x, y), constant(1, 'bool')));
    }
  }
  const varsOf = new Set(stage.parallel.map((l) => l.loopVar));
  const moved = new Set([...outer.keys()].map((l) => l.loopVar));
  const body = replicate(stage.inner, maps, moved);
  if (!body) return undefined;
  // Which tile element each written element belongs to, for the guard of its write-back.
  const copyOf = new Map<string, number>();
  forEachStmt(stage.inner, (x) => {
    if (x.kind === 'store') maps.forEach((m, k) => copyOf.set(accessKey(x.buffer, x.indices.map((e) => substitute(e, m))), k));
  });
  const promoted = promote(body, (b, idx) => guards[copyOf.get(accessKey(b, idx)) ?? 0], new Set([...varsOf, ...outer.values()]));
  if (!promoted) return undefined;
  return { stage: { ...stage, parallel: loops, inner: promoted.body }, readOnly: promoted.readOnly };
}

function extent(l: For): number { return (l.extent as { value: number }).value; }

function hasLoop(s: Stmt): boolean {
  let found = false;
  forEachStmt(s, (x) => { if (x.kind === 'for') found = true; });
  return found;
}

/** Copies `s` per substitution, merging the copies' loops; undefined when loop bounds vary per copy. */
function replicate(s: Stmt, maps: readonly Map<Var, Expr>[], moved: ReadonlySet<Var>): Stmt | undefined {
  const uses = (e: Expr) => [...freeVars(e)].some((v) => moved.has(v));
  if (maps.length === 1) return substStmt(s, maps[0]);
  switch (s.kind) {
    case 'store': return seq(maps.map((m) => substStmt(s, m)));
    case 'seq': {
      const parts = s.stmts.map((x) => replicate(x, maps, moved));
      return parts.some((p) => !p) ? undefined : seq(parts as Stmt[]);
    }
    case 'for': {
      if (uses(s.min) || uses(s.extent)) return undefined;
      const body = replicate(s.body, maps, moved);
      return body && forLoop(s.loopVar, s.min, s.extent, body, s.loopKind === 'bound' ? 'serial' : s.loopKind);
    }
    case 'if': {
      if (uses(s.cond)) return seq(maps.map((m) => substStmt(s, m)));
      const then = replicate(s.then, maps, moved);
      const other = s.otherwise ? replicate(s.otherwise, maps, moved) : undefined;
      return then && (!s.otherwise || other) ? ifThen(s.cond, then, other) : undefined;
    }
    default: return undefined;
  }
}

/**
 * Moves every written element into a local slot. Fails (undefined) when a written buffer is also
 * accessed at an index that inner loops change, since that element cannot live in a register.
 */
function promote(body: Stmt, guardOf: (b: Buffer, idx: readonly Expr[]) => Expr, parallelVars: ReadonlySet<Var>) {
  const written = new Set<Buffer>();
  forEachStmt(body, (x) => { if (x.kind === 'store') written.add(x.buffer); });
  const slots = new Map<string, { buf: Buffer; idx: readonly Expr[]; k: number }>();
  const key = accessKey;
  let ok = true;
  const invariant = (idx: readonly Expr[]) => idx.every((e) => [...freeVars(e)].every((v) => parallelVars.has(v)));
  const note = (b: Buffer, idx: readonly Expr[]) => {
    if (!written.has(b)) return;
    if (!invariant(idx)) { ok = false; return; }
    const k = key(b, idx);
    if (!slots.has(k)) slots.set(k, { buf: b, idx, k: slots.size });
  };
  visitAccesses(body, note);
  if (!ok || slots.size === 0 || slots.size > 256) return undefined;
  const dtypes = new Set([...slots.values()].map((s) => s.buf.dtype));
  if (dtypes.size !== 1) return undefined;
  const dtype = [...dtypes][0] as DType;
  // One register file per stage: its name needs no counter (and shaders stay deterministic).
  const acc = mkBuffer('acc_0', dtype, [slots.size], 'local');
  const slot = (b: Buffer, idx: readonly Expr[]) => slots.get(key(b, idx));
  const rewritten = rewriteAccesses(body, (b, idx) => { const s = slot(b, idx); return s ? [acc, [int(s.k)]] : undefined; });
  // Write-back: one store per slot, guarded by the tile element it belongs to (its copy's guard).
  const writes = [...slots.values()].map((s) => {
    const st = store(s.buf, s.idx, load(acc, [int(s.k)]));
    const g = guardOf(s.buf, s.idx);
    return g.kind === 'const' ? st : ifThen(g, st);
  });
  const pre = [...slots.values()].filter((s) => !initializedFirst(body, s.buf, s.idx)).map((s) => store(acc, [int(s.k)], load(s.buf, s.idx)));
  const readOnly = (b: Buffer) => !written.has(b) && b.scope === 'global';
  return { body: allocate(acc, seq([...pre, rewritten, ...writes])), readOnly };
}

const accessKey = (b: Buffer, idx: readonly Expr[]) => `${b.id}|${idx.map((e) => e.id).join(',')}`;

/** Is the first access to (b, idx) a top-level store that does not read it? */
function initializedFirst(body: Stmt, b: Buffer, idx: readonly Expr[]): boolean {
  const top = body.kind === 'seq' ? body.stmts : [body];
  for (const s of top) {
    let touches = false;
    visitAccesses(s, (x, i) => { if (x === b && sameIdx(i, idx)) touches = true; });
    if (!touches) continue;
    if (s.kind !== 'store' || s.buffer !== b || !sameIdx(s.indices, idx)) return false;
    let reads = false;
    visitExprAccesses(s.value, (x, i) => { if (x === b && sameIdx(i, idx)) reads = true; });
    return !reads;
  }
  return true;
}

const sameIdx = (a: readonly Expr[], b: readonly Expr[]) => a.length === b.length && a.every((e, i) => e === b[i]);

function visitExprAccesses(e: Expr, f: (b: Buffer, idx: readonly Expr[]) => void, seen = new Set<Expr>()): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (e.kind === 'load') f(e.buffer, e.indices);
  for (const c of children(e)) visitExprAccesses(c, f, seen);
}

function visitAccesses(s: Stmt, f: (b: Buffer, idx: readonly Expr[]) => void): void {
  const seen = new Set<Expr>();
  forEachStmt(s, (x) => {
    if (x.kind === 'store') { f(x.buffer, x.indices); x.indices.forEach((e) => visitExprAccesses(e, f, seen)); visitExprAccesses(x.value, f, seen); }
    if (x.kind === 'if') visitExprAccesses(x.cond, f, seen);
    if (x.kind === 'for') { visitExprAccesses(x.min, f, seen); visitExprAccesses(x.extent, f, seen); }
  });
}

function rewriteAccesses(s: Stmt, f: (b: Buffer, idx: readonly Expr[]) => [Buffer, Expr[]] | undefined): Stmt {
  const memo = new Map<Expr, Expr>();
  const E = (e: Expr) => rewriteExpr(e, (x) => {
    if (x.kind !== 'load') return undefined;
    const r = f(x.buffer, x.indices);
    return r ? load(r[0], r[1]) : undefined;
  }, memo);
  const go = (x: Stmt): Stmt => {
    switch (x.kind) {
      case 'store': {
        const r = f(x.buffer, x.indices);
        return r ? store(r[0], r[1], E(x.value)) : store(x.buffer, x.indices.map(E), E(x.value));
      }
      case 'for': return forLoop(x.loopVar, E(x.min), E(x.extent), go(x.body), x.loopKind, x.thread);
      case 'seq': return seq(x.stmts.map(go));
      case 'if': return ifThen(E(x.cond), go(x.then), x.otherwise && go(x.otherwise));
      case 'allocate': return allocate(x.buffer, go(x.body));
      default: return x;
    }
  };
  return go(s);
}

/** For each innermost block of stores, the read-only loads used by more than one store. */
function hoistLoads(s: Stmt, readOnly: (b: Buffer) => boolean, out: Map<Stmt, readonly Expr[]>): void {
  forEachStmt(s, (x) => {
    if (x.kind !== 'seq') return;
    const stores = x.stmts.filter((y) => y.kind === 'store');
    if (stores.length < 2) return;
    const count = new Map<Expr, number>();
    const guarded = new Map<Expr, number>();
    for (const st of stores) {
      const here = new Set<Expr>();
      collectLoads(st.value, readOnly, here);
      for (const e of here) count.set(e, (count.get(e) ?? 0) + 1);
      const sel = new Set<Expr>();
      collectGuardedLoads(st.value, readOnly, sel);
      for (const e of sel) guarded.set(e, (guarded.get(e) ?? 0) + 1);
    }
    // Loads first, then the selects over them (padding: select(0, x[clamped], in bounds)), so a
    // padded input value shared by several tile elements is tested once, not once per element.
    const shared = [...count, ...guarded].filter(([, n]) => n > 1).map(([e]) => e);
    if (shared.length > 0) out.set(x, shared);
  });
}

function collectLoads(e: Expr, readOnly: (b: Buffer) => boolean, out: Set<Expr>, seen = new Set<Expr>()): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (e.kind === 'load' && readOnly(e.buffer)) out.add(e);
  for (const c of children(e)) collectLoads(c, readOnly, out, seen);
}

/** Selects with a read-only load as a branch (zero padding around a clamped load). */
function collectGuardedLoads(e: Expr, readOnly: (b: Buffer) => boolean, out: Set<Expr>, seen = new Set<Expr>()): void {
  if (seen.has(e)) return;
  seen.add(e);
  if (e.kind === 'select' && [e.a, e.b].some((x) => x.kind === 'load' && readOnly(x.buffer))) { out.add(e); return; }
  for (const c of children(e)) collectGuardedLoads(c, readOnly, out, seen);
}

/** Expression nodes a tuned config may give a stage: twice what the default rule allows. */
export const shaderBudget = (profile: DeviceProfile) => 2 * DEFAULT_NODES[profile.kind];

/** Distinct expression nodes under the stores of a stage's inner statement (its shader size). */
export function bodyNodes(stage: Stage): number { return exprNodes(stage.inner); }

/** Distinct expression nodes under the stores of a statement. */
function exprNodes(s: Stmt): number {
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => { if (seen.has(e)) return; seen.add(e); children(e).forEach(visit); };
  forEachStmt(s, (x) => { if (x.kind === 'store') { x.indices.forEach(visit); visit(x.value); } });
  return seen.size;
}
