// The placement algorithms on hand-made problems: the DP against brute force, the beam against its
// lower bound, list scheduling overlapping branches, memory capacity, greedy-by-support.
import { describe, expect, it } from 'vitest';
import type { Flow, Problem } from '../../passes/partition/problem.ts';
import type { SystemSpec } from '../../passes/partition/system.ts';
import { fromAssignment, greedyBySupport, serialMs } from '../../passes/partition/index.ts';
import { lowerBoundDp, placeDp } from '../../passes/partition/dp.ts';
import { listSchedule } from '../../passes/partition/schedule.ts';
import { rng } from '../../src/runtime/random.ts';
import { bestOverAssignments } from './brute.ts';

const SYS: SystemSpec = {
  name: 'test',
  devices: [{ id: 'a', target: 'npu', memoryBytes: 1e9 }, { id: 'b', target: 'pim', memoryBytes: 1e9 }, { id: 'c', target: 'cuda', memoryBytes: 1e9 }],
  links: [{ between: ['a', 'b'], shared: true }, { between: ['a', 'c'], gbps: 1, latencyUs: 5 }, { between: ['b', 'c'], gbps: 2, latencyUs: 1 }],
};

/** A problem from edges (producer → consumers) and a cost matrix. */
function problem(cost: number[][], edges: [number, number[], number][], sys = SYS): Problem {
  const flows: Flow[] = edges.map(([from, to, bytes], k) => ({ from, to: [...to].sort((x, y) => x - y), bytes, value: `v${k}` }));
  const reads = cost.map((_, j) => flows.flatMap((f, k) => (f.to.includes(j) ? [k] : [])));
  const lastUse = cost.map((_, i) => Math.max(i, ...flows.filter((f) => f.from === i).flatMap((f) => f.to)));
  return { names: cost.map((_, i) => `n${i}`), devices: sys.devices.map((d) => d.id), cost, flows, reads, lastUse, weightBytes: cost.map(() => 1000), system: sys };
}

/** A random DAG: each node reads one or two earlier nodes; some costs are unsupported. */
function randomProblem(seed: number, n: number): Problem {
  const r = rng(seed);
  const cost = Array.from({ length: n }, () => [0, 1, 2].map(() => (r() < 0.2 ? Infinity : 0.001 + r() * 0.05)));
  for (const c of cost) if (c.every((x) => !Number.isFinite(x))) c[0] = 0.01;
  const edges: [number, number[], number][] = [];
  for (let i = 0; i < n - 1; i++) {
    const to = new Set<number>([i + 1]);
    if (r() < 0.5 && i + 3 < n) to.add(i + 2 + Math.floor(r() * (n - i - 2)));
    edges.push([i, [...to], Math.floor(r() * 40000)]);
  }
  return problem(cost, edges);
}

const bruteForce = (p: Problem): number => bestOverAssignments(p, (a) => serialMs(p, a));

describe('partition: dynamic program', () => {
  it('finds the optimum of the serial objective (brute force over 3^8 assignments, 12 random DAGs)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const p = randomProblem(seed, 8);
      const dp = placeDp(p);
      expect(dp.exact).toBe(true);
      expect(serialMs(p, dp.assign)).toBeCloseTo(dp.cost, 12);
      expect(dp.cost).toBeCloseTo(bruteForce(p), 12);
    }
  });

  it('a cut beam gives an upper bound, and the relaxation a lower bound, around the optimum', () => {
    for (let seed = 20; seed < 26; seed++) {
      const p = randomProblem(seed, 9);
      const opt = placeDp(p).cost;
      const beam = placeDp(p, { maxStates: 2 });
      const lb = lowerBoundDp(p, 1);
      expect(beam.cost).toBeGreaterThanOrEqual(opt - 1e-12);
      expect(lb).toBeLessThanOrEqual(opt + 1e-12);
    }
  });

  it('pays a copy once per destination device, not per reader', () => {
    // n0 on c (only there), read by n1 and n2, both only on a: one copy c→a.
    const p = problem([[Infinity, Infinity, 0.01], [0.01, Infinity, Infinity], [0.01, Infinity, Infinity]], [[0, [1, 2], 1e6]]);
    const dp = placeDp(p);
    expect(dp.cost).toBeCloseTo(0.03 + 0.005 + 1e6 / 1e9 * 1e3, 12);
  });
});

describe('partition: schedule', () => {
  it('overlaps independent branches on different devices', () => {
    // n0 → (n1, n2) → n3; n1 and n2 cost 1 ms on a and b; the shared a–b link makes copies free.
    const p = problem([[0.1, 0.1, Infinity], [1, 1, Infinity], [1, 1, Infinity], [0.1, 0.1, Infinity]], [[0, [1, 2], 100], [1, [3], 100], [2, [3], 100]]);
    const same = listSchedule(p, [0, 0, 0, 0]);
    const split = listSchedule(p, [0, 0, 1, 0]);
    expect(same.makespan).toBeCloseTo(2.2, 9);
    expect(split.makespan).toBeCloseTo(1.2, 9);
    const e1 = split.events.find((e) => e.name === 'n1')!, e2 = split.events.find((e) => e.name === 'n2')!;
    expect(Math.max(e1.start, e2.start)).toBeLessThan(Math.min(e1.end, e2.end));
    expect(split.crossings).toBe(2);
    expect(split.transfers).toBe(0); // shared memory: no copy events
  });

  it('puts copies on the link as timed events', () => {
    const p = problem([[0.1, Infinity, Infinity], [Infinity, Infinity, 0.1]], [[0, [1], 1e6]]);
    const s = listSchedule(p, [0, 2]);
    const t = s.events.find((e) => e.kind === 'transfer')!;
    expect(t.lane).toBe('a↔c');
    expect(t.end - t.start).toBeCloseTo(0.005 + 1, 9);
    expect(s.makespan).toBeCloseTo(0.1 + 1.005 + 0.1, 9);
    expect(s.transferBytes).toBe(1e6);
  });
});

describe('partition: baselines and fixed assignments', () => {
  it('greedy-by-support takes the first device in the list that runs each node', () => {
    const p = problem([[Infinity, 5, 1], [3, 9, 1], [Infinity, Infinity, 1]], [[0, [1], 10], [1, [2], 10]]);
    expect(greedyBySupport(p).assign).toEqual([1, 0, 2]);
  });

  it('a fixed assignment on a device that cannot run a node is refused', () => {
    const p = problem([[Infinity, 1, 1]], []);
    expect(() => fromAssignment(p, [0], 'x')).toThrow(/cannot run/);
  });
});
