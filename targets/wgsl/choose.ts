// The default rule: which stage config the code generator uses when no tuned one is given.
//
// The cost of a candidate is loads per multiply-add: distinct read addresses per reduction step of
// the whole tile, divided by the tile's copies of the body. On a CPU WebGPU (SwiftShader) every
// dynamically indexed load is a gather, so arithmetic per load is what counts and tiles are large;
// on a GPU they are moderate so that enough invocations remain to fill the device.
//
// Candidates: every pair of parallel loops and tile size, with or without unrolling the small
// constant reduction loops (a convolution's window taps): unrolled taps over a column tile read
// overlapping inputs (8 columns × 3 taps = 10 loads, not 24), which the count sees because indices
// are simplified to canonical form before they are compared.
import { type Expr, Var, add, children, freeVars, int, mul, substitute } from '../../src/ir/tensor/expr.ts';
import { simplifyExpr } from '../../src/ir/tensor/simplify.ts';
import type { For, Stmt } from '../../src/ir/tensor/stmt.ts';
import type { StageConfig } from './config.ts';
import type { DeviceProfile } from './limits.ts';
import { unrollLoops } from './specialize.ts';
import { type Stage, forEachStmt } from './stages.ts';

const SIZES = {
  cpu: [[8, 8], [16, 4], [4, 16], [4, 8], [8, 4], [4, 4], [1, 8], [8, 1], [1, 4], [4, 1], [2, 2], [1, 1]],
  gpu: [[4, 4], [4, 2], [2, 4], [2, 2], [1, 4], [4, 1], [1, 1]],
} as const;

/** Estimated shader size (expression nodes) the default rule allows per stage. */
export const DEFAULT_NODES = { cpu: 2000, gpu: 1000 } as const;

const extent = (l: For) => (l.extent as { value: number }).value;

/** Small constant reduction loops whose variable indexes a load beside a parallel one (window taps). */
export function windowLoops(stage: Stage): string[] {
  const par = new Set(stage.parallel.map((l) => l.loopVar));
  const small: For[] = [];
  forEachStmt(stage.inner, (x) => { if (x.kind === 'for' && x.extent.kind === 'const' && x.min.kind === 'const' && x.extent.value <= 5) small.push(x); });
  const loads = storeLoads(stage);
  const inWindow = (l: For) => [...loads].some((e) => (e as { indices: readonly Expr[] }).indices.some((ix) => {
    const vs = freeVars(ix);
    return vs.has(l.loopVar) && [...vs].some((v) => par.has(v));
  }));
  const picked = small.filter(inWindow);
  return picked.reduce((n, l) => n * extent(l), 1) <= 25 ? picked.map((l) => l.loopVar.name) : [];
}

export function chooseStageConfig(stage: Stage, profile: DeviceProfile, bodyNodes: number): StageConfig {
  const window = windowLoops(stage);
  let best: { cost: number; cfg: StageConfig } = { cost: Infinity, cfg: { wg: 64, hoist: true } };
  for (const unroll of window.length ? [[], window] : [[]]) {
    const found = bestTile(new TileModel(unroll.length ? unrollLoops(stage, unroll) : stage), profile, bodyNodes);
    // Unrolling must pay for its larger shader: keep it only when clearly cheaper.
    if (found && found.cost < best.cost * (unroll.length ? 0.9 : 1)) {
      best = { cost: found.cost, cfg: { wg: 64, ...(found.tile ? { tile: found.tile } : {}), hoist: true, ...(unroll.length ? { unroll } : {}) } };
    }
  }
  return best.cfg;
}

interface Found { cost: number; tile?: StageConfig['tile'] }

function bestTile(m: TileModel, profile: DeviceProfile, bodyNodes: number): Found | undefined {
  if (!m.ok) return undefined;
  const stage = m.stage;
  const cands = stage.parallel.filter((l) => extent(l) >= 2);
  const total = stage.parallel.reduce((n, l) => n * extent(l), 1);
  const minThreads = profile.kind === 'cpu' ? 64 : 4096;
  // Large bodies (fused concat/resize gathers, transposed convs) are not tiled: SwiftShader's
  // compile time and memory explode on their copies.
  const maxCopies = bodyNodes > 80 ? 1 : 64;
  let best: Found = { cost: m.estimate(undefined, 1, undefined, 1).cost };
  for (const a of cands) for (const b of cands) {
    if (a === b) continue;
    for (const [ta, tb] of SIZES[profile.kind]) {
      if (ta * tb <= 1 || ta > extent(a) * 2 || tb > extent(b) * 2 || ta * tb > maxCopies) continue;
      const threads = total / (Math.min(ta, extent(a)) * Math.min(tb, extent(b)));
      if (threads < Math.min(minThreads, total)) continue;
      const e = m.estimate(a, ta, b, tb);
      if (e.nodes > DEFAULT_NODES[profile.kind]) continue;
      if (e.cost < best.cost - 1e-9) best = { cost: e.cost, tile: { a: a.loopVar.name, ta, b: b.loopVar.name, tb } };
    }
  }
  return best;
}

/**
 * Loads per multiply-add and shader size of register tiles of one stage (already unrolled as the
 * config says), without building them: per buffer read, the distinct loads of one copy (base) and
 * along each tiled loop (spans, memoized), which multiply.
 */
export class TileModel {
  readonly ok: boolean;
  private readonly groups: Expr[][];
  private readonly base: number[];
  private readonly stores: number;
  private readonly spans = new Map<string, number[]>();

  constructor(readonly stage: Stage) {
    const byBuffer = new Map<unknown, Expr[]>();
    for (const e of storeLoads(stage)) {
      const b = (e as { buffer: unknown }).buffer;
      byBuffer.set(b, [...(byBuffer.get(b) ?? []), e]);
    }
    this.groups = [...byBuffer.values()];
    this.stores = countStores(stage);
    this.ok = this.groups.length > 0 && this.stores > 0;
    this.base = this.groups.map((g) => distinctLoads(stage, g, new Map()).size);
  }

  private span(l: For | undefined, t: number): number[] {
    if (!l || t <= 1) return this.base;
    const k = `${l.loopVar.id}|${t}`;
    let s = this.spans.get(k);
    if (!s) { s = this.groups.map((g) => distinctLoads(this.stage, g, new Map([[l.loopVar, t]])).size); this.spans.set(k, s); }
    return s;
  }

  /** Estimated distinct loads, expression nodes and cost (loads per multiply-add, padded tiles counted). */
  estimate(a: For | undefined, ta: number, b: For | undefined, tb: number): { loads: number; nodes: number; cost: number } {
    const sa = this.span(a, ta), sb = this.span(b, tb);
    const loads = this.base.reduce((sum, b0, i) => sum + (sa[i] * sb[i]) / b0, 0);
    const copies = (a ? ta : 1) * (b ? tb : 1);
    // About 6 nodes of index arithmetic per load and 2 (multiply, add) per multiply-add.
    const nodes = loads * 6 + copies * this.stores * 2;
    const pad = (l: For | undefined, t: number) => (l ? (Math.ceil(extent(l) / t) * t) / extent(l) : 1);
    return { loads, nodes, cost: (loads / (copies * Math.max(1, this.stores))) * pad(a, ta) * pad(b, tb) };
  }
}

/** The loads, as canonical expressions, with each loop of `tiles` replaced by t consecutive values. */
function distinctLoads(stage: Stage, loads: readonly Expr[], tiles: ReadonlyMap<Var, number>): Set<Expr> {
  // Ranges of the (outer) parallel variables decide the clamps of padded windows, as the tiled
  // stage's own simplification will.
  const ranges = new Map(stage.parallel.map((l) => [l.loopVar, { lo: 0, hi: Math.ceil(extent(l) / (tiles.get(l.loopVar) ?? 1)) - 1 }]));
  let maps: Map<Var, Expr>[] = [new Map()];
  for (const [v, t] of tiles) {
    maps = maps.flatMap((m) => Array.from({ length: t }, (_, k) => new Map(m).set(v, add(mul(v, int(t)), int(k)))));
  }
  const out = new Set<Expr>();
  for (const m of maps) for (const e of loads) out.add(simplifyExpr(substitute(e, m), ranges));
  return out;
}

/** Loads of buffers the stage only reads (an accumulator's own loads become registers). */
function storeLoads(stage: Stage): Set<Expr> {
  const written = new Set<unknown>();
  forEachStmt(stage.inner, (x) => { if (x.kind === 'store') written.add(x.buffer); });
  const out = new Set<Expr>();
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === 'load' && !written.has(e.buffer)) out.add(e);
    children(e).forEach(visit);
  };
  forEachStmt(stage.inner, (x) => { if (x.kind === 'store') visit(x.value); });
  return out;
}

/** Stores inside the innermost loops: the multiply-adds of one reduction step. */
function countStores(stage: Stage): number {
  let deepest = -1;
  let n = 0;
  const walk = (s: Stmt, depth: number): void => {
    if (s.kind === 'for') return walk(s.body, depth + 1);
    if (s.kind === 'seq') return s.stmts.forEach((x) => walk(x, depth));
    if (s.kind === 'allocate') return walk(s.body, depth);
    if (s.kind === 'if') { walk(s.then, depth); if (s.otherwise) walk(s.otherwise, depth); return; }
    if (s.kind !== 'store') return;
    if (depth > deepest) { deepest = depth; n = 0; }
    if (depth === deepest) n++;
  };
  walk(stage.inner, 0);
  return n;
}
