// The XGBoost cost model. Training runs in ml-xgboost (XGBoost compiled to wasm) with deterministic
// settings (subsample 1, colsample 1, exact splits); scoring walks the saved trees in TypeScript
// (trees.ts), since ml-xgboost's row-at-a-time predict is far below the 50,000 rows/s the search needs.
//
// Target: costs are normalized per workload to best/cost in (0, 1] (Ansor's choice), so records of
// different workloads share one scale and transfer; the score returned is the negated prediction.
// Objective: regression (reg:linear, the default) or rank:pairwise. ml-xgboost has no way to pass
// query groups, so rank:pairwise ranks every pair of training rows as one group: exact for one
// workload (cold start), and across workloads it compares their normalized targets, which is what
// regression fits too. bench/tuning.ts measures both (src/tune/README.md has the numbers).
import { createRequire } from 'node:module';
import type { CostModel } from './model.ts';
import { type TreeEnsemble, parseXgbModel, predictTrees } from './trees.ts';

interface Booster { train(x: number[][], y: number[]): void; toJSON(): { model: number[] }; free(): void }
type BoosterClass = new (opts: Record<string, unknown>) => Booster;

let loading: Promise<BoosterClass> | undefined;

/** Loads the wasm once per process, with its "streaming compile failed" notice silenced. */
function loadXgb(): Promise<BoosterClass> {
  loading ??= (async () => {
    const warn = console.warn, err = console.error, log = console.log;
    console.warn = console.error = console.log = () => {};
    try {
      return await (createRequire(import.meta.url)('ml-xgboost') as Promise<BoosterClass>);
    } finally { console.warn = warn; console.error = err; console.log = log; }
  })();
  return loading;
}

export type XgbObjective = 'reg:linear' | 'rank:pairwise';

export interface XgbOptions { readonly rounds?: number; readonly maxDepth?: number; readonly eta?: number; readonly objective?: XgbObjective }

export class XgbModel implements CostModel {
  readonly name = 'xgboost';
  private trees: TreeEnsemble | undefined;
  constructor(private readonly opts: XgbOptions = {}) {}

  get trained(): boolean { return this.trees !== undefined; }

  /** `y` is the training target, higher is better (e.g. best/cost within a workload). */
  async fit(x: Float32Array, y: Float64Array, dims: number): Promise<void> {
    if (y.length < 2) return;
    const XGB = await loadXgb();
    const rows: number[][] = [];
    for (let i = 0; i < y.length; i++) rows.push(Array.from(x.subarray(i * dims, (i + 1) * dims)));
    const b = new XGB({
      booster: 'gbtree', objective: this.opts.objective ?? 'reg:linear', max_depth: this.opts.maxDepth ?? 6, eta: this.opts.eta ?? 0.2,
      min_child_weight: 1, subsample: 1, colsample_bytree: 1, silent: 1, nthread: 1, iterations: this.opts.rounds ?? 60,
    });
    b.train(rows, Array.from(y));
    const bytes = Uint8Array.from(b.toJSON().model, (v) => v & 255);
    b.free();
    this.trees = parseXgbModel(bytes);
  }

  /** Lower is better: the negated predicted goodness (0 for every row before the first fit). */
  predict(x: Float32Array, dims: number): Float64Array {
    if (!this.trees) return new Float64Array(x.length / dims);
    const p = predictTrees(this.trees, x, dims);
    for (let i = 0; i < p.length; i++) p[i] = -p[i];
    return p;
  }

  /** The raw margins (for comparing with ml-xgboost's own predict in tests). */
  raw(x: Float32Array, dims: number): Float64Array {
    return this.trees ? predictTrees(this.trees, x, dims) : new Float64Array(x.length / dims);
  }
}
