// Lower bounds on any placement's makespan (passes/partition/bounds.ts): hand graphs where the bound is
// known, and on random DAGs against the best makespan over every assignment (brute force).
import { describe, expect, it } from 'vitest';
import type { Flow, Problem } from '../../passes/partition/problem.ts';
import type { SystemSpec } from '../../passes/partition/system.ts';
import { criticalPath, placementBound, splitBound, splitCosts, workBound } from '../../passes/partition/bounds.ts';
import { listSchedule } from '../../passes/partition/schedule.ts';
import { rng } from '../../src/runtime/random.ts';
import { bestOverAssignments } from './brute.ts';

const TWO: SystemSpec = {
  name: 'two', devices: [{ id: 'a', target: 'npu', memoryBytes: 1e9 }, { id: 'b', target: 'pim', memoryBytes: 1e9 }],
  links: [{ between: ['a', 'b'], shared: true }],
};
const THREE: SystemSpec = {
  name: 'three', devices: [...TWO.devices, { id: 'c', target: 'cuda', memoryBytes: 1e9 }],
  links: [{ between: ['a', 'b'], shared: true }, { between: ['a', 'c'], gbps: 1, latencyUs: 5 }, { between: ['b', 'c'], gbps: 2, latencyUs: 1 }],
};

function problem(cost: number[][], edges: [number, number[]][], sys = TWO): Problem {
  const flows: Flow[] = edges.map(([from, to], k) => ({ from, to: [...to].sort((x, y) => x - y), bytes: 4096, value: `v${k}` }));
  const reads = cost.map((_, j) => flows.flatMap((f, k) => (f.to.includes(j) ? [k] : [])));
  const lastUse = cost.map((_, i) => Math.max(i, ...flows.filter((f) => f.from === i).flatMap((f) => f.to)));
  return { names: cost.map((_, i) => `n${i}`), devices: sys.devices.map((d) => d.id), cost, flows, reads, lastUse, weightBytes: cost.map(() => 0), system: sys };
}

/** The smallest list-schedule makespan over every assignment. */
const bestMakespan = (p: Problem): number => bestOverAssignments(p, (a) => listSchedule(p, a).makespan);

describe('partition bounds: hand graphs', () => {
  it('a chain is bounded by its path at the cheapest devices, and the bound is reached', () => {
    const p = problem([[1, 3], [4, 2], [5, 5]], [[0, [1]], [1, [2]]]);
    const b = placementBound(p);
    expect(b.criticalPathMs).toBe(8);
    expect(b.ms).toBe(8);
    expect(bestMakespan(p)).toBe(8);
  });

  it('independent equal nodes are bounded by the work spread over the devices', () => {
    const p = problem([[1, 1], [1, 1], [1, 1], [1, 1]], []);
    const b = placementBound(p);
    expect(b.criticalPathMs).toBe(1);
    expect(b.evenWorkMs).toBe(2);
    expect(b.ms).toBe(2);
    expect(bestMakespan(p)).toBe(2);
  });

  it('work only one device runs bounds that device (the LP, not min-work / devices)', () => {
    // Three nodes only on a, one cheap node on either: a is busy ≥ 3 whatever the placement.
    const p = problem([[1, Infinity], [1, Infinity], [1, Infinity], [0.5, 0.5]], []);
    const b = placementBound(p);
    expect(b.evenWorkMs).toBeCloseTo(1.75, 12);
    expect(b.workMs).toBeCloseTo(3, 12);
    expect(bestMakespan(p)).toBe(3);
  });

  it('the work LP with two devices is exact at its kink (each node fast on one device)', () => {
    // (1, 3) and (3, 1): λ = (½, ½) gives ½ + ½ = 1, the optimum (each node on its fast device).
    const p = problem([[1, 3], [3, 1]], []);
    expect(workBound(p)).toBeCloseTo(1, 12);
    // (2, 1) twice: the fractional optimum 4/3 (b runs 1⅓ nodes' worth, a ⅔ of a node).
    expect(workBound(problem([[2, 1], [2, 1]], []))).toBeCloseTo(4 / 3, 12);
  });

  it('ideal splitting: harmonic costs on the critical path, only over supporting devices', () => {
    const p = problem([[1, 1], [2, Infinity], [1, 3]], [[0, [1]], [1, [2]]]);
    expect(splitCosts(p)).toEqual([0.5, 2, 0.75]);
    expect(criticalPath(p, splitCosts(p))).toBeCloseTo(3.25, 12);
    const s = splitBound(p), b = placementBound(p);
    expect(s.criticalPathMs).toBeCloseTo(3.25, 12);
    expect(b.criticalPathMs).toBe(4);
    expect(s.ms).toBeLessThanOrEqual(b.ms);
  });

  it('a diamond: the longer branch is the critical path', () => {
    const p = problem([[1, 1], [5, 6], [2, 2], [1, 1]], [[0, [1, 2]], [1, [3]], [2, [3]]]);
    expect(placementBound(p).criticalPathMs).toBe(7);
    expect(bestMakespan(p)).toBe(7);
  });
});

/** The same problem with a shared memory over devices a and b: a (NPU-like) is busy `frac` of its
 *  cost, b (PIM-like) all of it. */
function withHbm(p: Problem, frac = 0.5): Problem {
  return { ...p, hbm: { devices: [0, 1], occupancy: p.cost.map((c) => c.map((x, d) => (d === 0 ? x * frac : d === 1 ? x : 0))) } };
}

describe('shared memory (NPU and PIM on one HBM)', () => {
  it('the schedule serializes memory busy times, and the bound counts them', () => {
    // One node only on a (busy 0.5 of its 1), one only on b (busy all its 1): no longer 1 in parallel.
    const p = problem([[1, Infinity], [Infinity, 1]], []);
    expect(listSchedule(p, [0, 1]).makespan).toBe(1);
    const q = withHbm(p);
    expect(listSchedule(q, [0, 1]).makespan).toBe(1.5);
    expect(placementBound(q).hbmMs).toBe(1.5);
    expect(placementBound(q).ms).toBe(1.5);
    expect(placementBound(p).hbmMs).toBe(0);
  });

  it('a split node still keeps the memory busy: harmonic cost or least memory time, whichever is more', () => {
    const p = problem([[4, 1]], []);
    expect(splitBound(p).criticalPathMs).toBeCloseTo(0.8, 12);
    expect(splitBound(withHbm(p, 0.75)).criticalPathMs).toBeCloseTo(1, 12); // min(3, 1)
  });
});

describe('partition bounds: never above the best placement (brute force)', () => {
  function randomProblem(seed: number, n: number, sys: SystemSpec): Problem {
    const r = rng(seed);
    const k = sys.devices.length;
    const cost = Array.from({ length: n }, () => Array.from({ length: k }, () => (r() < 0.2 ? Infinity : 0.001 + r() * 0.05)));
    for (const c of cost) if (c.every((x) => !Number.isFinite(x))) c[0] = 0.01;
    const edges: [number, number[]][] = [];
    for (let i = 0; i < n - 1; i++) {
      if (r() < 0.3) continue; // some independent pieces, so the work bound matters
      const to = new Set<number>([i + 1]);
      if (r() < 0.5 && i + 3 < n) to.add(i + 2 + Math.floor(r() * (n - i - 2)));
      edges.push([i, [...to]]);
    }
    return problem(cost, edges, sys);
  }

  it('two and three devices, 16 random DAGs of 7 nodes', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const p = randomProblem(seed, 7, seed % 2 ? TWO : THREE);
      const best = bestMakespan(p);
      const b = placementBound(p), s = splitBound(p);
      expect(b.ms).toBeLessThanOrEqual(best + 1e-12);
      expect(s.ms).toBeLessThanOrEqual(b.ms + 1e-12);
      expect(b.ms).toBeGreaterThan(0);
    }
  });

  it('with a shared memory, 12 random DAGs of 7 nodes', () => {
    for (let seed = 40; seed < 52; seed++) {
      const p = withHbm(randomProblem(seed, 7, seed % 2 ? TWO : THREE), 0.3 + (seed % 5) * 0.15);
      const best = bestMakespan(p);
      expect(placementBound(p).ms).toBeLessThanOrEqual(best + 1e-12);
      expect(splitBound(p).ms).toBeLessThanOrEqual(placementBound(p).ms + 1e-12);
    }
  });
});
