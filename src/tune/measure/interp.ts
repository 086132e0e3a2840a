// The Tensor IR interpreter as a measurer: each scheduled function is compiled to JavaScript by the
// interpreter (src/ir/tensor/interp) and timed on this CPU. It is a real measurement of a real
// program — loop order, tiling and unrolling change its speed — and what the tuning loop is developed
// and tested on while the hardware targets' runners land; it is not a model of any of them.
// Time is process CPU time, the median of `repeats` runs each at least `minMs` long, after a checked
// run (outputs compared with the unscheduled function) and a warm-up long enough for V8 to finish
// optimizing the program (its background compiler bills the process too). CPU time, not wall time:
// the build machines run several jobs per core, which stretches wall time by up to 5×.
import { Tensor } from '../../ir/graph/tensor.ts';
import type { PrimFunc } from '../../ir/tensor/func.ts';
import { compileFunc } from '../../ir/tensor/interp/run.ts';
import { randomTensor } from '../../runtime/random.ts';
import type { MeasureInput, MeasureResult, Measurer } from './measurer.ts';

export interface InterpMeasureOptions { readonly repeats?: number; readonly minMs?: number; readonly warmupMs?: number; readonly check?: boolean }

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

export class InterpMeasurer implements Measurer {
  readonly unit = 'ms' as const;
  readonly how: string;
  private readonly refs = new WeakMap<PrimFunc, { inputs: Tensor[]; outputs: Float64Array[] }>();

  constructor(private readonly opts: InterpMeasureOptions = {}) {
    this.how = `Tensor IR interpreter (CPU time, median of ${opts.repeats ?? 5})`;
  }

  private reference(base: PrimFunc): { inputs: Tensor[]; outputs: Float64Array[] } {
    let r = this.refs.get(base);
    if (!r) {
      // Positive inputs: variances, logs and square roots stay defined for every op.
      const inputs = base.inputs.map((b, i) => randomTensor(b.dtype, b.shape, 1234 + i, 0.1, 1));
      const outs = base.outputs.map((b) => new Tensor(b.dtype, b.shape));
      compileFunc(base).run([...inputs, ...outs].map((t) => t.data));
      r = { inputs, outputs: outs.map((t) => Float64Array.from(t.data as ArrayLike<number>)) };
      this.refs.set(base, r);
    }
    return r;
  }

  async measure(batch: readonly MeasureInput[]): Promise<MeasureResult[]> {
    return batch.map((m) => this.one(m));
  }

  private one(m: MeasureInput): MeasureResult {
    try {
      const ref = this.reference(m.base);
      const outs = m.func.outputs.map((b) => new Tensor(b.dtype, b.shape));
      const args = [...ref.inputs, ...outs].map((t) => t.data);
      const k = compileFunc(m.func);
      k.run(args);
      if (this.opts.check ?? true) {
        for (let o = 0; o < outs.length; o++) {
          const want = ref.outputs[o], got = outs[o].data as ArrayLike<number>;
          let scale = 0, err = 0;
          for (let i = 0; i < want.length; i++) {
            if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
            scale = Math.max(scale, Math.abs(want[i]));
            err = Math.max(err, Number.isNaN(got[i]) ? Infinity : Math.abs(want[i] - got[i]));
          }
          if (!(err <= 1e-4 * Math.max(scale, 1e-30)) && err !== 0) return { ok: false, cost: Infinity, error: `wrong result: max error ${err} (scale ${scale})` };
        }
      }
      // Warm-up: V8 tiers a new function up only after enough calls and loop iterations, so every
      // program gets at least 20 calls and 5 ms before it is timed (the first calls run 10-50× slower).
      const w0 = cpuMs();
      for (let n = 0; n < 20 || cpuMs() - w0 < (this.opts.warmupMs ?? 5); n++) k.run(args);
      const times: number[] = [];
      for (let r = 0; r < (this.opts.repeats ?? 5); r++) {
        let n = 0;
        const t0 = cpuMs();
        let dt = 0;
        do { k.run(args); n++; dt = cpuMs() - t0; } while (dt < (this.opts.minMs ?? 2));
        times.push(dt / n);
      }
      times.sort((a, b) => a - b);
      return { ok: true, cost: times[times.length >> 1] };
    } catch (e) {
      return { ok: false, cost: Infinity, error: (e as Error).message };
    }
  }
}
