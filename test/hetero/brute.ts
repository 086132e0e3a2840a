// Exhaustive search over every device assignment of a small placement problem: the ground truth the
// partition tests compare the DP and the lower bounds against.
import type { Problem } from '../../passes/partition/problem.ts';

/** The smallest `objective` over all assignments that put every node on a device supporting it. */
export function bestOverAssignments(p: Problem, objective: (assign: readonly number[]) => number): number {
  const n = p.names.length, k = p.devices.length;
  let best = Infinity;
  const a = new Array<number>(n).fill(0);
  for (let code = 0; code < k ** n; code++) {
    let x = code;
    for (let i = 0; i < n; i++) { a[i] = x % k; x = Math.floor(x / k); }
    if (a.some((d, i) => !Number.isFinite(p.cost[i][d]))) continue;
    best = Math.min(best, objective(a));
  }
  return best;
}
