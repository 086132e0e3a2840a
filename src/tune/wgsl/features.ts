// Features of a WGSL kernel config. The WGSL code generator's choices (workgroup size, register
// tile, unrolling, interior/border split, load hoisting; targets/wgsl/config.ts) are applied at
// codegen, after the Tensor IR, so the loop-nest features of features.ts cannot see them. These
// describe, per stage, what the config does to the stage's loop nest: invocations, workgroups and
// their fill, tile shape and its padding waste, loads per multiply-add after hoisting, shader size.
// Only properties of the program are used (extents, access patterns, counts), never loop names, so
// records of other kernels on the same target train the same model (transfer).
import { type Expr, type Var, children, freeVars } from '../../ir/tensor/expr.ts';
import type { For } from '../../ir/tensor/stmt.ts';
import type { StageConfig } from '../../../targets/wgsl/config.ts';
import { type Stage, forEachStmt } from '../../../targets/wgsl/stages.ts';
import { bodyNodes } from '../../../targets/wgsl/tile.ts';
import { FEATURE_LENGTH, strides } from '../features/features.ts';

const PER_STAGE = 30;
const STAGES = 2;
const lg = (x: number): number => Math.log2(1 + Math.abs(x));
const ext = (l: For): number => (l.extent.kind === 'const' ? l.extent.value : 1);

interface Access { readonly vars: ReadonlySet<Var>; readonly indices: readonly Expr[]; readonly shape: readonly number[] }

interface StageInfo {
  readonly stage: Stage;
  readonly trip: number;
  /** Read accesses under the parallel loops and the variables each one's indices use. */
  readonly loads: readonly Access[];
  /** The stores (the output accesses). */
  readonly stores: readonly Access[];
  /** Product of the constant loop extents inside the parallel loops (reduction work per element). */
  readonly inner: number;
  readonly nodes: number;
}

/** What the features need of a stage, computed once per kernel. */
export function stageInfo(stage: Stage): StageInfo {
  const trip = stage.parallel.reduce((n, l) => n * ext(l), 1);
  const loads: Access[] = [], stores: Access[] = [];
  const access = (indices: readonly Expr[], shape: readonly number[]): Access => ({ vars: new Set(indices.flatMap((i) => [...freeVars(i)])), indices, shape });
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === 'load' && e.buffer.scope === 'global') loads.push(access(e.indices, e.buffer.shape));
    children(e).forEach(visit);
  };
  let inner = 1;
  forEachStmt(stage.inner, (s) => {
    if (s.kind === 'store') { visit(s.value); if (s.buffer.scope === 'global') stores.push(access(s.indices, s.buffer.shape)); }
    if (s.kind === 'for') inner *= ext(s);
  });
  return { stage, trip, loads, stores, inner, nodes: bodyNodes(stage) };
}

function stageFeatures(info: StageInfo, c: StageConfig, out: Float32Array, at: number): void {
  const par = new Map(info.stage.parallel.map((l) => [l.loopVar.name, l]));
  const a = c.tile ? par.get(c.tile.a) : undefined, b = c.tile ? par.get(c.tile.b) : undefined;
  const ta = a ? c.tile!.ta : 1, tb = b ? c.tile!.tb : 1;
  const ea = a ? ext(a) : 1, eb = b ? ext(b) : 1;
  const invocations = info.trip / (ea * eb) * Math.ceil(ea / ta) * Math.ceil(eb / tb);
  const groups = Math.ceil(invocations / c.wg);
  const waste = (Math.ceil(ea / ta) * ta / ea) * (Math.ceil(eb / tb) * tb / eb);
  // Loads one invocation issues per reduction step: a load that does not depend on a tiled loop is
  // shared by the tile elements along it when hoisted, otherwise it is repeated per element.
  let loads = 0;
  for (const { vars } of info.loads) {
    const da = a && vars.has(a.loopVar) ? ta : 1, db = b && vars.has(b.loopVar) ? tb : 1;
    loads += c.hoist ? da * db : ta * tb;
  }
  // Memory strides of the tiled loops: in the output, and the smallest over the inputs (1 = the
  // tile walks contiguous elements).
  const tiled = [a, b].filter((l): l is For => l !== undefined);
  const strideOf = (accs: readonly Access[], l: For | undefined): number => {
    if (!l) return 0;
    const st = accs.map((x) => Math.abs(strides(x.indices, x.shape, tiled)[tiled.indexOf(l)])).filter((v) => v > 0);
    return st.length ? lg(Math.min(...st)) : -1;
  };
  const unrolled = (c.unroll ?? []).length;
  [
    1, lg(info.trip), lg(info.inner), lg(info.nodes), info.loads.length,
    lg(c.wg), lg(ta), lg(tb), lg(ta * tb), lg(ea), lg(eb), waste,
    lg(invocations), lg(groups), invocations / (groups * c.wg),
    unrolled, c.split ? 1 : 0, c.hoist ? 1 : 0, lg(ta * tb * info.nodes),
    loads / (ta * tb), lg(loads), lg(info.trip * info.inner / Math.max(1, invocations)),
    lg(invocations * info.inner * info.loads.length), Math.min(ea, eb) > 1 ? Math.min(ta / ea, tb / eb) : 0,
    strideOf(info.stores, a), strideOf(info.stores, b), strideOf(info.loads, a), strideOf(info.loads, b),
    a && ta > 1 ? strideOf(info.stores, a) : -2, b && tb > 1 ? strideOf(info.stores, b) : -2,
  ].forEach((v, i) => { out[at + i] = v; });
}

/** The feature vector of a kernel under a config: its two largest stages, largest first. */
export function wgslFeatures(infos: readonly StageInfo[], stages: readonly StageConfig[]): Float32Array {
  const out = new Float32Array(FEATURE_LENGTH);
  const order = infos.map((_, i) => i).sort((x, y) => infos[y].trip * infos[y].inner - infos[x].trip * infos[x].inner).slice(0, STAGES);
  order.forEach((i, k) => stageFeatures(infos[i], stages[i], out, k * PER_STAGE));
  out[STAGES * PER_STAGE] = infos.length;
  order.forEach((i, k) => laneFeatures(infos[i], stages[i], out, STAGES * PER_STAGE + 1 + k * LANE_SLOTS));
  return out;
}

// Session-4 knobs of targets/wgsl/config.ts (lane loop, subgroup sharing, partial unrolling of a
// reduction loop), appended after the slots above so that those keep their positions. Which loop is
// the lane loop is told by its invocations (extent over tile factor) and by how far apart neighbouring lanes' outputs lie (the
// store stride along it, times its tile factor: 1 = coalesced) — not by its name, so two configs
// that differ only in the lane loop do not share features (session 5: they did for a conv whose two
// tiled loops were both not innermost).
const LANE_SLOTS = 7;

function laneFeatures(info: StageInfo, c: StageConfig, out: Float32Array, at: number): void {
  const inner = [...info.stage.parallel].reverse().find((l) => ext(l) > 1);
  const lane = info.stage.parallel.find((l) => l.loopVar.name === c.lane) ?? inner;
  // Loads whose address is the same on every lane (not indexed by the lane loop): what sharing saves.
  const uniform = lane ? info.loads.filter((x) => !x.vars.has(lane.loopVar)).length : 0;
  const tileOn = (l: For) => (c.tile?.a === l.loopVar.name ? c.tile.ta : c.tile?.b === l.loopVar.name ? c.tile.tb : 1);
  const laneStride = lane ? Math.min(...info.stores.map((x) => Math.abs(strides(x.indices, x.shape, [lane])[0]) * tileOn(lane)), Infinity) : 0;
  let kuExtent = 1;
  if (c.kunroll) forEachStmt(info.stage.inner, (s) => { if (s.kind === 'for' && s.loopVar.name === c.kunroll!.loop) kuExtent = ext(s); });
  [
    c.bcast ? 1 : 0, lane !== inner ? 1 : 0, lg(c.kunroll?.factor ?? 1), (c.bcast ? uniform : 0) / Math.max(1, info.loads.length),
    lane ? lg(Math.ceil(ext(lane) / tileOn(lane))) : 0, Number.isFinite(laneStride) ? lg(laneStride) : -1, c.kunroll ? lg(kuExtent) : 0,
  ].forEach((v, i) => { out[at + i] = v; });
}
