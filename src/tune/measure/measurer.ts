// Measurement behind one small interface: a Measurer turns scheduled kernels into costs (lower is
// better) for one target. A failed measurement is a result too (recorded, never retried).
import type { PrimFunc } from '../../ir/tensor/func.ts';
import type { Step } from '../../schedule/step.ts';
import type { Config } from '../keys.ts';

export interface MeasureInput {
  /** The unscheduled function (unique loop names), the reference for correctness checks. */
  readonly base: PrimFunc;
  /** The function with `steps` applied. */
  readonly func: PrimFunc;
  readonly steps: readonly Step[];
  readonly config: Config;
  /** The code generator's own config for this kernel (KernelPlan.config; WGSL), when the target has one. */
  readonly codegen?: unknown;
}

export interface MeasureResult { readonly ok: boolean; readonly cost: number; readonly error?: string }

export interface Measurer {
  /** What the cost is: 'ms' (timed) or 'cycles' (simulated). */
  readonly unit: 'ms' | 'cycles';
  /** What measures, for the log: "Tensor IR interpreter (CPU time, median of 3)". */
  readonly how: string;
  measure(batch: readonly MeasureInput[]): Promise<MeasureResult[]>;
  /** Default-relative measurers: costs of `base` are ratios to its default times `cost` (the recorded default's). */
  anchor?(base: PrimFunc, cost: number): void;
  /** Releases what the measurer keeps loaded between batches. */
  dispose?(): void;
}
