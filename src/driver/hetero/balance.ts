// Balanced operator splitting (`split: 'balanced'`, bench/partition.ts --split balanced): a weight
// MatMul whose two fastest devices could finish it sooner together is cut into two column blocks
// sized so both finish at once — fraction f on device A, 1 − f on B minimizing
//   max(f·c_A, (1 − f)·c_B[, f·m_A + (1 − f)·m_B])
// from the unsplit node's costs c and, with the shared-HBM model, its memory busy times m (the HBM
// serves one at a time, so a split of two memory-bound parts gains nothing). Equal blocks (`split: N`)
// cannot do this: at batch 1 PIM is ~5× faster than the NPU on a GEMV and at batch 8 the NPU ~1.2× on
// the LM head, and N must divide the width (GPT-2's vocabulary, 50,257, is prime-sized).
// Returns the blocks' widths per MatMul (original node name) and the device each block is meant for;
// the placement starts from those devices and keeps them only where the makespan improves.
import type { Graph, Node } from '../../ir/graph/graph.ts';
import type { CostTable } from '../../../passes/partition/index.ts';
import { splittable } from '../../../passes/partition/split.ts';
import type { Hbm } from './hbm.ts';

export interface Balanced {
  /** MatMul node name → column widths (sum = N). */
  readonly widths: Map<string, number[]>;
  /** Block node name (`<MatMul>__part<k>`) → device id it was sized for. */
  readonly prefer: Map<string, string>;
}

export interface BalanceOptions {
  /** Split only where the balanced time is below this fraction of the best device's (default 0.9). */
  readonly minGain?: number;
  /** Block widths are multiples of this many columns (default 64). */
  readonly quantum?: number;
  readonly minWeightBytes?: number;
}

/** The weight MatMul a placed node is (or holds, for a Fused MatMul+epilogue), with its weight. */
function weightMatMul(n: Node): { name: string; N: number; bytes: number } | undefined {
  const m = n.body ? n.body.nodes.filter((b) => b.op === 'MatMul') : [n];
  if (m.length !== 1) return undefined;
  const wName = m[0].inputs[1]?.name;
  const outer = n.body ? n.inputs.find((v) => v?.name === wName) : n.inputs[1];
  if (!outer?.constant) return undefined;
  const w = splittable({ op: 'MatMul', inputs: [null, outer], outputs: m[0].outputs });
  return w ? { name: m[0].name, N: w.shape[1], bytes: w.byteLength } : undefined;
}

/** The best fraction on device a and the time it gives. */
function bestFraction(ca: number, cb: number, ma: number | undefined, mb: number | undefined): { f: number; ms: number } {
  let best = { f: 1, ms: ca };
  for (let k = 0; k <= 256; k++) {
    const f = k / 256;
    const ms = Math.max(f * ca, (1 - f) * cb, ma === undefined || mb === undefined ? 0 : f * ma + (1 - f) * mb);
    if (ms < best.ms) best = { f, ms };
  }
  return best;
}

export function balancedSplits(graph: Graph, costs: CostTable, devices: readonly string[], hbm?: Hbm, o: BalanceOptions = {}): Balanced {
  const widths = new Map<string, number[]>(), prefer = new Map<string, string>();
  const q = o.quantum ?? 64, minGain = o.minGain ?? 0.9, minBytes = o.minWeightBytes ?? 1 << 20;
  for (const n of graph.nodes) {
    const mm = weightMatMul(n);
    if (!mm || mm.bytes < minBytes) continue;
    const row = costs.get(n.name)!;
    const ranked = devices.filter((d) => Number.isFinite(row.get(d)?.ms)).sort((a, b) => row.get(a)!.ms - row.get(b)!.ms);
    if (ranked.length < 2) continue;
    const [a, b] = ranked;
    const occ = (d: string) => (hbm?.devices.includes(d) ? hbm.occupancy.get(n.name)?.get(d) ?? 0 : hbm ? 0 : undefined);
    const { f, ms } = bestFraction(row.get(a)!.ms, row.get(b)!.ms, occ(a), occ(b));
    const wa = Math.round((f * mm.N) / q) * q;
    if (ms >= minGain * row.get(a)!.ms || wa <= 0 || wa >= mm.N) continue;
    widths.set(mm.name, [wa, mm.N - wa]);
    prefer.set(`${mm.name}__part0`, a);
    prefer.set(`${mm.name}__part1`, b);
  }
  return { widths, prefer };
}
