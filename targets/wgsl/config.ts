// The code generator's choices for one kernel, as a small JSON value: the tuner's search space for
// WGSL. One entry per stage of the kernel (splitStages order, one dispatch each). The default rule
// (tile.ts `defaultStageConfig`) produces one; `compile` takes another from `KernelPlan.config`;
// `wgslSpace` lists the candidates and `checkConfig` is the static validity check (adapter limits,
// loop names, shader size), so the tuner never measures a config that cannot compile.
import type { Node } from '../../src/ir/graph/graph.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { For } from '../../src/ir/tensor/stmt.ts';
import type { DeviceProfile } from './limits.ts';
import { type Stage, forEachStmt, splitStages } from './stages.ts';
import { TileModel } from './choose.ts';
import { dotStage } from './int8.ts';
import { unrollLoops } from './specialize.ts';
import { bodyNodes, defaultStageConfig, shaderBudget, tileable, withSharing } from './tile.ts';

export interface StageConfig {
  /** Invocations per workgroup (flattened stages). */
  readonly wg: number;
  /** Register tile: each invocation computes ta × tb elements of parallel loops a and b (loop names). */
  readonly tile?: { readonly a: string; readonly ta: number; readonly b: string; readonly tb: number };
  /** Read-only loads shared by several tile elements become `let`s (loaded once). */
  readonly hoist: boolean;
  /** Constant-extent reduction loops (names) unrolled before tiling, so taps share input loads. */
  readonly unroll?: readonly string[];
  /** Interior/border split: invocations whose window lies inside run a copy without padding tests. */
  readonly split?: boolean;
  /** An int8 QDQ reduction becomes integer sums of four products (dot4I8Packed on the device; int8.ts). */
  readonly dot4?: boolean;
  /**
   * The parallel loop that varies fastest between neighbouring invocations (a subgroup's lanes);
   * default: the innermost. Loads that do not depend on it are the same for every lane.
   */
  readonly lane?: string;
  /**
   * Subgroup sharing: hoisted loads that are the same for every lane of a subgroup are loaded once
   * per subgroup, one element per lane, and handed round with subgroupBroadcast (needs the adapter's
   * `subgroups` feature with one fixed size; DeviceProfile.subgroupSize).
   */
  readonly bcast?: boolean;
  /** Partial unrolling of a constant reduction loop by `factor` (which divides its extent). */
  readonly kunroll?: { readonly loop: string; readonly factor: number };
}

export interface WgslConfig {
  readonly version: 1;
  readonly stages: readonly StageConfig[];
}

export const WORKGROUP_SIZES = [32, 64, 128, 256] as const;

/** The default rule's config for every stage of a kernel. */
export function defaultConfig(func: PrimFunc, profile: DeviceProfile): WgslConfig {
  return { version: 1, stages: splitStages(func).stages.map((s) => defaultStageConfig(s, profile)) };
}

/** Why a config cannot be used for this kernel on this device; empty when it is valid. */
export function checkConfig(func: PrimFunc, cfg: WgslConfig, profile: DeviceProfile): string[] {
  const stages = splitStages(func).stages;
  if (cfg.version !== 1) return [`config version ${String(cfg.version)} (expected 1)`];
  if (!Array.isArray(cfg.stages) || cfg.stages.length !== stages.length) return [`${cfg.stages?.length ?? 0} stage configs for ${stages.length} stages`];
  return stages.flatMap((s, i) => checkStage(s, cfg.stages[i], profile).map((m) => `stage ${i}: ${m}`));
}

function checkStage(stage: Stage, c: StageConfig, profile: DeviceProfile, models = new Map<string, TileModel>()): string[] {
  const out: string[] = [];
  const lim = profile.limits;
  if (!Number.isInteger(c.wg) || c.wg < 1 || c.wg > lim.maxComputeInvocationsPerWorkgroup) out.push(`workgroup ${c.wg} outside 1..${lim.maxComputeInvocationsPerWorkgroup}`);
  const par = new Map(stage.parallel.map((l) => [l.loopVar.name, l]));
  const dotted = c.dot4 ? dotStage(stage) : undefined;
  if (c.dot4 && !dotted) out.push('dot4: the stage has no int8 QDQ reduction (4 | extent) to rewrite');
  const red = new Map(reductionLoops(dotted ?? stage).map((l) => [l.loopVar.name, l]));
  for (const u of c.unroll ?? []) {
    const l = red.get(u);
    if (!l) out.push(`unroll(${u}): not a constant-extent loop inside the stage`);
    else if ((l.extent as { value: number }).value > 16) out.push(`unroll(${u}): extent ${(l.extent as { value: number }).value} > 16`);
  }
  out.push(...checkNewKnobs(stage, c, profile, par, red));
  if (c.tile) {
    const { a, ta, b, tb } = c.tile;
    if (!tileable(stage)) out.push('tile: the stage has no reduction loop nest to tile');
    if (a === b) out.push(`tile: loops a and b are both ${a}`);
    for (const [n, t] of [[a, ta], [b, tb]] as const) {
      const l = par.get(n);
      if (!l) out.push(`tile: ${n} is not a parallel loop of the stage`);
      else if (!Number.isInteger(t) || t < 1 || t > maxFactor(l)) out.push(`tile: factor ${t} of ${n} outside 1..${maxFactor(l)}`);
    }
    if (out.length === 0) {
      // Shader size, estimated on the unrolled stage without building the tile (cheap enough to
      // check every config of a space); the interior/border split doubles the body.
      const key = JSON.stringify([c.unroll ?? [], c.dot4 ?? false]);
      let m = models.get(key);
      const base = dotted ?? stage;
      if (!m) { m = new TileModel(c.unroll?.length ? unrollLoops(base, c.unroll) : base); models.set(key, m); }
      const byName = (n: string) => m!.stage.parallel.find((l) => l.loopVar.name === n);
      // Large bodies (gathers, resizes) are mostly arithmetic that the load count does not see.
      const nodes = Math.max(m.estimate(byName(a), ta, byName(b), tb).nodes, bodyNodes(m.stage) > 80 ? ta * tb * bodyNodes(m.stage) : 0) * (c.split ? 2 : 1) * (c.kunroll?.factor ?? 1);
      const budget = shaderBudget(profile);
      if (nodes > budget) out.push(`tile: the shader would have about ${Math.round(nodes)} expression nodes, more than ${budget}`);
    }
  }
  const groups = Math.ceil(invocations(stage, c) / c.wg);
  const max = lim.maxComputeWorkgroupsPerDimension;
  if (groups > max * max * max) out.push(`${groups} workgroups exceed the dispatch limit`);
  return out;
}

/** The session-4 knobs: lane loop, subgroup sharing, partial unrolling of a reduction loop. */
function checkNewKnobs(stage: Stage, c: StageConfig, profile: DeviceProfile, par: ReadonlyMap<string, For>, red: ReadonlyMap<string, For>): string[] {
  const out: string[] = [];
  if (c.lane !== undefined && !par.has(c.lane)) out.push(`lane: ${c.lane} is not a parallel loop of the stage`);
  if (c.bcast) {
    const sg = profile.subgroupSize;
    if (!sg) out.push('bcast: the device has no subgroups of one fixed size');
    else if (c.wg % sg !== 0) out.push(`bcast: workgroup ${c.wg} is not a multiple of the subgroup size ${sg}`);
    // subgroupBroadcast needs every lane of the subgroup on the same path.
    if (c.split) out.push('bcast: not with the interior/border split (lanes of a subgroup may take different copies)');
    if (!c.hoist) out.push('bcast: shares hoisted loads only (hoist is off)');
    if (stage.bound.length > 0) out.push('bcast: the stage has schedule-bound thread axes');
  }
  if (c.kunroll) {
    const { loop, factor } = c.kunroll;
    const l = red.get(loop);
    const e = l ? (l.extent as { value: number }).value : 0;
    if (!l) out.push(`kunroll(${loop}): not a constant-extent loop inside the stage`);
    else if ((c.unroll ?? []).includes(loop)) out.push(`kunroll(${loop}): the loop is unrolled completely`);
    else if (!Number.isInteger(factor) || factor < 2 || factor > 16 || e % factor !== 0) out.push(`kunroll(${loop}): factor ${factor} does not divide ${e} (2..16)`);
  }
  return out;
}

/** Largest register-tile factor of a loop: the default rule (choose.ts) may round a short loop up
 * (8 for 7: one guarded tile), so a config it picks always passes this check. */
function maxFactor(l: For): number {
  return Math.min(16, 2 * (l.extent as { value: number }).value);
}

function invocations(stage: Stage, c: StageConfig): number {
  return stage.parallel.reduce((n, l) => {
    const e = (l.extent as { value: number }).value;
    const t = c.tile?.a === l.loopVar.name ? c.tile.ta : c.tile?.b === l.loopVar.name ? c.tile.tb : 1;
    return n * Math.ceil(e / t);
  }, 1);
}

/** Loops inside the parallel ones with constant bounds (the candidates for unrolling). */
export function reductionLoops(stage: Stage): For[] {
  if (stage.parallel.length === 0) return [];
  const out: For[] = [];
  forEachStmt(stage.inner, (x) => { if (x.kind === 'for' && x.extent.kind === 'const' && x.min.kind === 'const') out.push(x); });
  return out;
}

export interface WgslSpaceOptions {
  /**
   * Also the session-4 knobs: tile factor 16, the lane loop, partial unrolling of a reduction loop
   * and configs with and without subgroup sharing (`variants`). Off by default: the basic space
   * stays session 3's (with sharing wherever the default rule shares), so records of it keep
   * their meaning; the tuner's task (src/tune/wgsl/task.ts) asks for the extended one.
   */
  readonly extended?: boolean;
}

/**
 * Candidate configs of a kernel: for each stage in turn, its workgroup sizes × tile pairs and
 * factors × hoisting × unroll choices × interior split (with subgroup sharing where the device
 * allows, as the default rule does), the other stages at their default; `extended` adds the
 * session-4 knobs. Only configs that pass `checkConfig` are returned; the default comes first.
 */
export function wgslSpace(func: PrimFunc, _node: Node | undefined, profile: DeviceProfile, opts: WgslSpaceOptions = {}): WgslConfig[] {
  const base = defaultConfig(func, profile);
  const stages = splitStages(func).stages;
  const seen = new Set<string>([JSON.stringify(base)]);
  const out: WgslConfig[] = [base];
  stages.forEach((stage, i) => {
    const models = new Map<string, TileModel>();
    for (const sc of stageCandidates(stage, profile, opts.extended ?? false)) {
      const cfg: WgslConfig = { version: 1, stages: base.stages.map((d, j) => (j === i ? sc : d)) };
      const key = JSON.stringify(cfg);
      if (seen.has(key) || checkStage(stage, sc, profile, models).length > 0) continue;
      seen.add(key);
      out.push(cfg);
    }
  });
  return out;
}

const FACTORS = [1, 2, 4, 8];
const FACTORS_EXTENDED = [1, 2, 4, 8, 16];

function stageCandidates(stage: Stage, profile: DeviceProfile, extended: boolean): StageConfig[] {
  const wgs = WORKGROUP_SIZES.filter((w) => w <= profile.limits.maxComputeInvocationsPerWorkgroup);
  if (!tileable(stage)) return wgs.map((wg) => ({ wg, hoist: false }));
  const par = stage.parallel.filter((l) => (l.extent as { value: number }).value >= 2).map((l) => l.loopVar.name);
  const tiles: (StageConfig['tile'] | undefined)[] = [undefined];
  for (const a of par) for (const b of par) {
    if (a >= b) continue;
    for (const ta of extended ? FACTORS_EXTENDED : FACTORS) for (const tb of extended ? FACTORS_EXTENDED : FACTORS) if (ta * tb > 1) tiles.push({ a, ta, b, tb });
  }
  const small = reductionLoops(stage).filter((l) => (l.extent as { value: number }).value <= 4).map((l) => l.loopVar.name);
  const unrolls: string[][] = [[], ...(small.length ? [small] : [])];
  const dots = profile.int8Dot && dotStage(stage) ? [false, true] : [false];
  const out: StageConfig[] = [];
  for (const wg of wgs) for (const tile of tiles) for (const unroll of unrolls) for (const split of [false, true]) for (const dot4 of dots) {
    // Subgroup sharing goes with the tile like hoisting (as in the default rule); only the
    // extended space also lists the configs without it.
    const c = withSharing({ wg, ...(tile ? { tile } : {}), hoist: tile !== undefined, ...(unroll.length ? { unroll } : {}), ...(split ? { split } : {}), ...(dot4 ? { dot4 } : {}) }, profile);
    out.push(c, ...(extended && tile && !split ? variants(stage, c) : []));
  }
  return out;
}

/**
 * The session-4 knobs around one tiled config `c` (which shares loads when the device allows):
 * partial unrolling (×2) of the outermost reduction loop left rolled; where it shares, also the
 * config without sharing, and sharing with the lanes along either tiled loop, each with and
 * without that unrolling.
 */
function variants(stage: Stage, c: StageConfig): StageConfig[] {
  const rolled = reductionLoops(stage).find((l) => !(c.unroll ?? []).includes(l.loopVar.name) && (l.extent as { value: number }).value % 2 === 0);
  const kus = [undefined, ...(rolled ? [{ loop: rolled.loopVar.name, factor: 2 }] : [])];
  const out: StageConfig[] = kus.slice(1).map((kunroll) => ({ ...c, kunroll }));
  if (!c.bcast || !c.tile) return out;
  const { bcast: _, ...plain } = c;
  out.push(plain, ...kus.slice(1).map((kunroll) => ({ ...plain, kunroll })));
  const innermost = [...stage.parallel].reverse().find((l) => (l.extent as { value: number }).value > 1)?.loopVar.name;
  for (const lane of [c.tile.a, c.tile.b].filter((n) => n !== innermost)) for (const kunroll of kus) out.push({ ...c, lane, ...(kunroll ? { kunroll } : {}) });
  return out;
}

/** Parses a config from JSON (text or value), checking its shape; semantic checks are `checkConfig`. */
export function parseConfig(json: unknown): WgslConfig {
  const v = typeof json === 'string' ? JSON.parse(json) as unknown : json;
  const ok = typeof v === 'object' && v !== null && (v as WgslConfig).version === 1 && Array.isArray((v as WgslConfig).stages);
  if (!ok) throw new Error('wgsl config: expected { version: 1, stages: [...] }');
  return v as WgslConfig;
}
