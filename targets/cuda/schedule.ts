// Default schedules. A reduction over a large enough output plane (matmul, convolution) gets shared-
// memory tiles (tiled.ts). Every other kernel gets its spatial loops (the perfect nest above the
// first statement that is not a loop: a reduction's init, an epilogue) spread over threads and
// blocks, so each thread computes one output element with coalesced writes along the innermost
// dimension. The result is checked by applying it;
// a step the function does not allow (a carried dependence) falls back to fewer bound loops, and at
// worst to one thread.
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { type For, type Stmt, forLoop } from '../../src/ir/tensor/stmt.ts';
import { simplifyFunc } from '../../src/ir/tensor/simplify.ts';
import { applySchedule, uniqueLoopNames, type Step } from '../../src/schedule/apply.ts';
import { BLOCK_THREADS } from './spec.ts';
import { LANES, consecutive } from './vector.ts';
import { int, variable } from '../../src/ir/tensor/expr.ts';
import { templateFor } from './templates.ts';
import { tiledSteps } from './tiled.ts';

/** The perfect nest of loops from `s` down to the first non-loop body (constant extents only). */
function spatialBand(s: Stmt): For[] {
  const band: For[] = [];
  while (s.kind === 'for' && s.loopKind === 'serial' && s.extent.kind === 'const' && s.min.kind === 'const') {
    band.push(s);
    s = s.body;
  }
  return band;
}

const MAX_GRID_YZ = 65535;
const ext = (l: For) => (l.extent as { value: number }).value;

/**
 * Threads along the innermost loop (coalesced), a second thread axis along the next loop when the
 * innermost is short, blocks over the rest: the remaining outer loops fused onto blockIdx.z.
 * Splits only where a loop is longer than its thread count (a split by the full extent would leave a
 * unit loop, which the simplifier removes).
 */
function bindSteps(band: readonly For[], withY: boolean, withZ: boolean): Step[][] {
  const steps: Step[] = [];
  const blocks: string[] = [], threads: string[] = [];
  const place = (l: For, t: number, threadAxis: 'threadIdx.x' | 'threadIdx.y', blockAxis: 'blockIdx.x' | 'blockIdx.y') => {
    const n = l.loopVar.name;
    if (ext(l) <= t) { threads.unshift(n); steps.push({ kind: 'bind', loop: n, axis: threadAxis }); return; }
    steps.push({ kind: 'split', loop: n, factor: t });
    blocks.unshift(`${n}_o`);
    threads.unshift(`${n}_i`);
    steps.push({ kind: 'bind', loop: `${n}_o`, axis: blockAxis }, { kind: 'bind', loop: `${n}_i`, axis: threadAxis });
  };
  const inner = band[band.length - 1];
  const tx = Math.min(ext(inner), BLOCK_THREADS);
  place(inner, tx, 'threadIdx.x', 'blockIdx.x');
  let rest = band.slice(0, -1);
  if (withY && rest.length > 0) {
    const next = rest[rest.length - 1];
    const ty = Math.max(1, Math.floor(BLOCK_THREADS / tx));
    if (ty > 1) place(next, ty, 'threadIdx.y', 'blockIdx.y');
    else if (ext(next) <= MAX_GRID_YZ) { blocks.unshift(next.loopVar.name); steps.push({ kind: 'bind', loop: next.loopVar.name, axis: 'blockIdx.y' }); }
    else return [steps];
    rest = rest.slice(0, -1);
  }
  if (withZ && rest.length > 0 && rest.reduce((p, l) => p * ext(l), 1) <= MAX_GRID_YZ) {
    let name = rest[0].loopVar.name;
    for (const l of rest.slice(1)) { steps.push({ kind: 'fuse', outer: name, inner: l.loopVar.name }); name = `${name}_${l.loopVar.name}_f`; }
    blocks.unshift(name);
    steps.push({ kind: 'bind', loop: name, axis: 'blockIdx.z' });
  }
  // Binds are checked in order; put every block loop above every thread loop first.
  const order = [...blocks, ...threads];
  const binds = steps.filter((s) => s.kind === 'bind');
  const other = steps.filter((s) => s.kind !== 'bind');
  return [[...other, { kind: 'reorder', loops: order }, ...binds], [...other, ...binds]];
}

function applies(f: PrimFunc, steps: readonly Step[]): boolean {
  try { applySchedule(f, steps); return true; } catch { return false; }
}

/** The default schedule of one single-stage function (see stages.ts for multi-stage ones). */
export function defaultSteps(func: PrimFunc): Step[] {
  if (templateFor(func)) return []; // written from a kernel template (templates.ts)
  const f = simplifyFunc(uniqueLoopNames(func));
  const band = spatialBand(f.body).filter((l) => ext(l) > 1);
  if (band.length === 0) return [];
  const tiled = tiledSteps(f, band, band[band.length - 1].body);
  if (tiled) return tiled;
  const vec = vectorized(band);
  for (const [pre, b] of vec ? [vec, [[], band] as const] : [[[], band] as const]) {
    for (const [y, z] of [[true, true], [true, false], [false, false]]) {
      for (const steps of bindSteps(b, y, z)) {
        const all = [...pre, ...steps];
        if (applies(func, all)) return withAccumulator(func, band, all);
      }
    }
  }
  return [];
}

/**
 * An element-wise f32 store along its innermost loop: split it by 4 and vectorize the lanes (the
 * printer loads and stores float4 where aligned, vector.ts); the band to bind then ends in the
 * outer part of the split.
 */
function vectorized(band: readonly For[]): readonly [Step[], For[]] | undefined {
  const inner = band[band.length - 1];
  const st = inner.body;
  if (st.kind !== 'store' || st.buffer.dtype !== 'f32' || ext(inner) < 2 * LANES || !consecutive(st.indices, inner.loopVar)) return undefined;
  const n = inner.loopVar.name;
  const outer = forLoop(variable(`${n}_o`), int(0), int(Math.ceil(ext(inner) / LANES)), st);
  return [[{ kind: 'split', loop: n, factor: LANES }, { kind: 'vectorize', loop: `${n}_i` }], [...band.slice(0, -1), outer]];
}

/** A reduction stage accumulates in a register (cache_write … local at the innermost thread loop). */
function withAccumulator(func: PrimFunc, band: readonly For[], steps: Step[]): Step[] {
  const body = band[band.length - 1].body;
  const init = body.kind === 'seq' ? body.stmts[0] : undefined;
  const thread = steps.find((s) => s.kind === 'bind' && s.axis === 'threadIdx.x');
  if (init?.kind !== 'store' || body.kind !== 'seq' || body.stmts[1]?.kind !== 'for' || thread?.kind !== 'bind') return steps;
  const acc: Step[] = [...steps, { kind: 'cache_write', buffer: init.buffer.name, scope: 'local', at: thread.loop }];
  return applies(func, acc) ? acc : steps;
}
