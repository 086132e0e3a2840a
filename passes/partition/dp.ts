// Placement by dynamic programming over the topological order, minimizing the serial objective
//   Σ node cost on its device + Σ transfers (a value pays once per device it is copied to).
// The DP state is the device of every *live* producer (a node whose value some later node still
// reads) plus, per live value, the set of devices it was already copied to. Branches are handled
// exactly: a residual or a K/V value that stays live across many nodes stays in the state. With all
// states kept the result is optimal; when the frontier grows past `maxStates` the worst states are
// dropped (a beam) and the result is a heuristic — `lowerBound` then bounds its gap.
import type { Problem } from './problem.ts';
import { transferMs } from './system.ts';

export interface DpResult {
  /** Device index per node. */
  readonly assign: readonly number[];
  readonly cost: number;
  /** No state was ever dropped: `cost` is the optimum of the serial objective. */
  readonly exact: boolean;
  readonly states: number;
}

interface Chain { readonly dev: number; readonly prev: Chain | null }
interface State { cost: number; ldev: number[]; lmask: number[]; chain: Chain | null }

/** Live producers and live values before each step j. */
function frontiers(p: Problem): { live: number[][]; liveFlows: number[][] } {
  const n = p.names.length;
  const live: number[][] = [], liveFlows: number[][] = [];
  for (let j = 0; j <= n; j++) {
    const L: number[] = [];
    for (let i = 0; i < j; i++) if (p.lastUse[i] >= j && p.lastUse[i] > i) L.push(i);
    live.push(L);
    liveFlows.push(p.flows.map((f, k) => [f, k] as const).filter(([f]) => f.from < j && f.to[f.to.length - 1] >= j).map(([, k]) => k));
  }
  return { live, liveFlows };
}

/** Cost of moving flow `f` from device `a` to `b` (device indices). */
export function flowMs(p: Problem, f: number, a: number, b: number): number {
  return transferMs(p.system, p.devices[a], p.devices[b], p.flows[f].bytes);
}

export interface DpOptions {
  readonly maxStates?: number;
  /** Devices a node may not use (memory repair): allowed[i][d] false. */
  readonly forbid?: ReadonlySet<string>;
}

export function placeDp(p: Problem, o: DpOptions = {}): DpResult {
  const n = p.names.length, k = p.devices.length, cap = o.maxStates ?? 4096;
  const { live, liveFlows } = frontiers(p);
  let states: State[] = [{ cost: 0, ldev: [], lmask: [], chain: null }];
  let exact = true, peak = 1;
  for (let j = 0; j < n; j++) {
    const posL = new Map(live[j].map((i, x) => [i, x]));
    const posF = new Map(liveFlows[j].map((f, x) => [f, x]));
    const next = new Map<string, State>();
    for (const s of states) {
      for (let d = 0; d < k; d++) {
        let c = p.cost[j][d];
        if (!Number.isFinite(c) || o.forbid?.has(`${j}:${d}`)) continue;
        const mask = s.lmask.slice();
        for (const f of p.reads[j]) {
          const a = s.ldev[posL.get(p.flows[f].from)!];
          const x = posF.get(f)!;
          if (a !== d && !(mask[x] & (1 << d))) { c += flowMs(p, f, a, d); mask[x] |= 1 << d; }
        }
        if (!Number.isFinite(c)) continue;
        const ns = advance(s, j, d, c, mask, live, liveFlows, posL, posF);
        const key = ns.ldev.join(',') + '|' + ns.lmask.join(',');
        const old = next.get(key);
        if (!old || ns.cost < old.cost) next.set(key, ns);
      }
    }
    states = [...next.values()];
    if (states.length === 0) throw new Error(`partition: node "${p.names[j]}" has no device that can run it with its inputs`);
    peak = Math.max(peak, states.length);
    if (states.length > cap) {
      exact = false;
      states.sort((a, b) => a.cost - b.cost);
      states.length = cap;
    }
  }
  const best = states.reduce((a, b) => (b.cost < a.cost ? b : a));
  const assign = new Array<number>(n);
  let ch = best.chain;
  for (let j = n - 1; j >= 0; j--) { assign[j] = ch!.dev; ch = ch!.prev; }
  return { assign, cost: best.cost, exact, states: peak };
}

function advance(s: State, j: number, d: number, cost: number, mask: number[], live: number[][], liveFlows: number[][],
  posL: Map<number, number>, posF: Map<number, number>): State {
  const ldev = live[j + 1].map((i) => (i === j ? d : s.ldev[posL.get(i)!]));
  const lmask = liveFlows[j + 1].map((f) => mask[posF.get(f)!] ?? 0);
  return { cost: s.cost + cost, ldev, lmask, chain: { dev: d, prev: s.chain } };
}

/**
 * A lower bound on the serial objective, for the gap of a beam result: the same DP, but producers
 * older than the `width` most recent are forgotten (merging states by their minimum) and a value's
 * copies are charged per reader, each reader paying 1/readers of the copy. Both only lower costs, so
 * the minimum is ≤ the optimum.
 */
export function lowerBoundDp(p: Problem, width = 6): number {
  const n = p.names.length, k = p.devices.length;
  const { live } = frontiers(p);
  let states = new Map<string, { cost: number; dev: Map<number, number> }>([['', { cost: 0, dev: new Map() }]]);
  for (let j = 0; j < n; j++) {
    const keep = live[j + 1].slice(-width);
    const next = new Map<string, { cost: number; dev: Map<number, number> }>();
    for (const s of states.values()) {
      for (let d = 0; d < k; d++) {
        let c = p.cost[j][d];
        if (!Number.isFinite(c)) continue;
        for (const f of p.reads[j]) {
          const a = s.dev.get(p.flows[f].from);
          if (a !== undefined && a !== d) c += flowMs(p, f, a, d) / p.flows[f].to.length;
        }
        const dev = new Map<number, number>();
        for (const i of keep) { const v = i === j ? d : s.dev.get(i); if (v !== undefined) dev.set(i, v); }
        const key = [...dev].map(([i, v]) => `${i}:${v}`).join(',');
        const old = next.get(key);
        if (!old || s.cost + c < old.cost) next.set(key, { cost: s.cost + c, dev });
      }
    }
    states = next;
  }
  return Math.min(...[...states.values()].map((s) => s.cost));
}
