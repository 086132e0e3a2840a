// Lower bounds on the makespan of ANY placement of a problem under its cost model (per-node costs,
// list-scheduled devices), so a bench can say how far greedy or tscc is from what is reachable at all:
//
//   placement bound = max(critical path with every node at its cheapest device and free copies,
//                         work bound)
//   split bound     = the same with ideal operator splitting: a node may run on all its devices at
//                     once, in time 1 / Σ_d 1/c[i][d] (the harmonic cost) on the critical path.
//
// The work bound is the LP relaxation of unrelated-machines scheduling: fractions x[i][d] of each node
// on each device, every device busy at most T. Its dual says T ≥ Σ_i min_d λ_d·c[i][d] for every λ in
// the simplex; λ uniform gives the "total min-work / number of devices" bound, λ = one device gives
// the work that only that device can run. Every λ gives a valid bound, so a grid over the simplex
// (plus the exact breakpoints with two devices) is safe even where it misses the maximum. Splitting
// does not lower the work bound: a node split in fractions still costs Σ x_d·c_d ≥ min_d c_d device-time.
//
// With a shared memory (problem.hbm: NPU and PIM on one HBM, one kernel's traffic at a time) two more
// terms hold: the memory is busy Σ_i min_d occupancy[i][d] in total (0 on a device off that memory),
// and a split node still keeps it busy min_d occupancy[i][d] within its own span, so its weight on the
// critical path is max(harmonic cost, that).
import type { Problem } from './problem.ts';

export interface Bound {
  /** Longest path through the DAG with the node costs used (cheapest, or harmonic when split). */
  readonly criticalPathMs: number;
  /** max over λ of Σ_i min_d λ_d c[i][d] (≥ total min-work / number of devices). */
  readonly workMs: number;
  /** Total min-work / number of devices (the simplest work bound, for the report). */
  readonly evenWorkMs: number;
  /** Shared-memory busy time every placement needs (0 without problem.hbm). */
  readonly hbmMs: number;
  readonly ms: number;
}

/** Cheapest supported cost per node. */
export function minCosts(p: Problem): number[] {
  return p.cost.map((c) => Math.min(...c));
}

/** Ideal split cost per node: all supporting devices at once, 1 / Σ_d 1/c_d. */
export function splitCosts(p: Problem): number[] {
  // A device's rate is 1/cost: 0 where it cannot run the node, unbounded where the node is free.
  const rate = (x: number) => (x === 0 ? Infinity : Number.isFinite(x) ? 1 / x : 0);
  return p.cost.map((c) => 1 / c.reduce((s, x) => s + rate(x), 0));
}

/** Least shared-memory busy time of each node over the devices that run it (0 off the memory). */
export function minOccupancy(p: Problem): number[] {
  const on = new Set(p.hbm?.devices ?? []);
  return p.cost.map((c, i) => (p.hbm ? Math.min(...c.map((x, d) => (!Number.isFinite(x) ? Infinity : on.has(d) ? p.hbm!.occupancy[i][d] : 0))) : 0));
}

/** Longest path (sum of node weights) through the problem's DAG; copies are free. */
export function criticalPath(p: Problem, w: readonly number[]): number {
  const finish = new Array<number>(w.length).fill(0);
  for (let j = 0; j < w.length; j++) {
    let start = 0;
    for (const f of p.reads[j]) start = Math.max(start, finish[p.flows[f].from]);
    finish[j] = start + w[j];
  }
  return Math.max(0, ...finish);
}

/** Σ_i min over supported d of λ_d c[i][d]. */
function dualValue(p: Problem, lambda: readonly number[]): number {
  let s = 0;
  for (const c of p.cost) {
    let m = Infinity;
    for (let d = 0; d < c.length; d++) if (Number.isFinite(c[d])) m = Math.min(m, lambda[d] * c[d]);
    s += m;
  }
  return s;
}

/** Points λ of the simplex with coordinates in steps of 1/n. */
function simplexGrid(k: number, n: number): number[][] {
  // Integer compositions of n into k parts, then scaled.
  const parts = (k: number, n: number): number[][] =>
    k === 1 ? [[n]] : Array.from({ length: n + 1 }, (_, a) => parts(k - 1, n - a).map((r) => [a, ...r])).flat();
  return parts(k, n).map((c) => c.map((x) => x / n));
}

/** The LP work bound (see the header): the best λ found on a grid, exact with two devices. */
export function workBound(p: Problem): number {
  const k = p.devices.length;
  const steps = k <= 2 ? 240 : k === 3 ? 60 : k === 4 ? 24 : 12;
  const cands = simplexGrid(k, steps);
  if (k === 2) {
    // The dual is concave and piecewise linear in λ_0; its kinks are where λ c_0 = (1 − λ) c_1.
    for (const [a, b] of p.cost) if (Number.isFinite(a) && Number.isFinite(b) && a + b > 0) cands.push([b / (a + b), a / (a + b)]);
  }
  return Math.max(0, ...cands.map((l) => dualValue(p, l)));
}

function bound(p: Problem, pathCosts: readonly number[]): Bound {
  const min = minCosts(p);
  const criticalPathMs = criticalPath(p, pathCosts);
  const evenWorkMs = min.reduce((s, x) => s + x, 0) / p.devices.length;
  const workMs = Math.max(evenWorkMs, workBound(p));
  const hbmMs = minOccupancy(p).reduce((s, x) => s + x, 0);
  return { criticalPathMs, workMs, evenWorkMs, hbmMs, ms: Math.max(criticalPathMs, workMs, hbmMs) };
}

/** No placement (one device per node) has a smaller makespan under the problem's costs. */
export function placementBound(p: Problem): Bound {
  return bound(p, minCosts(p));
}

/** No placement with any operator splitting has a smaller makespan under the problem's costs. */
export function splitBound(p: Problem): Bound {
  const occ = minOccupancy(p);
  return bound(p, splitCosts(p).map((h, i) => Math.max(h, occ[i])));
}
