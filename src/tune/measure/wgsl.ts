// WebGPU as a measurer: each scheduled kernel becomes a one-kernel module plan, compiled by the WGSL
// target (target.compile, the same code path as `tscc compile`) and run through the target's runtime
// (runtime.js createSession) on this process's adapter — Dawn on SwiftShader here, a GPU elsewhere.
// Per config: one checked run (outputs against the Tensor IR interpreter on the unscheduled
// function), a warm-up, then `repeats` timed runs; the cost is their median in milliseconds. With the
// timestamp-query feature the time is the GPU passes themselves; without it, the wall time of a run.
// A compile, validation, run or wrong-result failure is a recorded result, never a crash.
import { Graph } from '../../ir/graph/graph.ts';
import { Tensor } from '../../ir/graph/tensor.ts';
import type { Buffer } from '../../ir/tensor/buffer.ts';
import type { PrimFunc } from '../../ir/tensor/func.ts';
import { compileFunc } from '../../ir/tensor/interp/run.ts';
import { randomTensor } from '../../runtime/random.ts';
import type { Step } from '../../schedule/step.ts';
import type { ModulePlan, Target } from '../../../targets/target.ts';
import type { WgslPayload } from '../../../targets/wgsl/index.ts';
import { nodeGpu } from '../../../targets/wgsl/node.ts';
import { createSession } from '../../../targets/wgsl/runtime.js';
import type { MeasureInput, MeasureResult, Measurer } from './measurer.ts';

export interface WgslMeasureOptions {
  /** Timed runs per config (median). */
  readonly repeats?: number;
  /** Untimed runs after the checked one. */
  readonly warmup?: number;
  /** Compare the first run's outputs with the interpreter (default true). */
  readonly check?: boolean;
  /**
   * 'gpu' (default): timestamp queries around the compute passes (wall time of a run without the
   * feature). 'cpu': process CPU time of a run — a CPU WebGPU (SwiftShader) executes the passes
   * on this process's threads, so this is its work, unstretched by other jobs on a shared machine,
   * but blind to how well a config fills the cores.
   */
  readonly clock?: 'gpu' | 'cpu';
  /** CPU clock: the least CPU time one sample spans (runs repeated until then; default 40 ms). */
  readonly minCpuMs?: number;
}

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** A plan with one kernel: every parameter of `func` is a graph input or output (random data). */
export function oneKernelPlan(func: PrimFunc, steps: readonly Step[] = [], config?: unknown): ModulePlan {
  const io = (b: Buffer) => ({ name: b.name, type: { dtype: b.dtype, shape: [...b.shape] } });
  const graph = Graph.build({
    name: func.name, opsets: { '': 17 }, constants: [],
    inputs: func.inputs.map(io),
    nodes: [{ name: func.name, op: 'Kernel', inputs: func.inputs.map((b) => b.name), outputs: func.outputs.map((b) => b.name) }],
    outputs: func.outputs.map((b) => b.name),
    types: new Map(func.outputs.map((b) => [b.name, io(b).type])),
  });
  const node = graph.nodes[0];
  const kernel = { name: func.name, node, func, schedule: steps, inputs: node.inputs.map((v) => v!), outputs: node.outputs, tuned: false, ...(config !== undefined ? { config } : {}) };
  return { graph, kernels: [kernel] };
}

interface Reference { readonly inputs: Record<string, Tensor>; readonly outputs: Map<string, Float64Array> }

export class WgslMeasurer implements Measurer {
  readonly unit = 'ms' as const;
  readonly how: string;
  private readonly refs = new WeakMap<PrimFunc, Reference>();

  constructor(private readonly target: Target, private readonly opts: WgslMeasureOptions = {}) {
    const clock = opts.clock === 'cpu' ? 'process CPU time' : 'GPU time';
    this.how = `WebGPU (${target.fingerprint()}): ${clock} of each kernel, median of ${opts.repeats ?? 5} runs after ${opts.warmup ?? 2} warm-up`;
  }

  private async reference(base: PrimFunc): Promise<Reference> {
    let r = this.refs.get(base);
    if (!r) {
      const ins = base.inputs.map((b, i) => randomTensor(b.dtype, b.shape, 4321 + i, 0.1, 1));
      const outs = base.outputs.map((b) => new Tensor(b.dtype, b.shape));
      compileFunc(base).run([...ins, ...outs].map((t) => t.data));
      r = {
        inputs: Object.fromEntries(base.inputs.map((b, i) => [b.name, ins[i]])),
        outputs: new Map(base.outputs.map((b, i) => [b.name, Float64Array.from(outs[i].data as ArrayLike<number>)])),
      };
      this.refs.set(base, r);
      // V8 optimizes the interpreter's code on background threads, which the process CPU clock
      // bills: let that finish, or the first config timed (trial 0, the default) pays for it.
      await new Promise((res) => setTimeout(res, 200));
    }
    return r;
  }

  async measure(batch: readonly MeasureInput[]): Promise<MeasureResult[]> {
    const out: MeasureResult[] = [];
    for (const m of batch) out.push(await this.one(m));
    return out;
  }

  private async one(m: MeasureInput): Promise<MeasureResult> {
    let session: Awaited<ReturnType<typeof createSession>> | undefined;
    try {
      const ref = await this.reference(m.base);
      const art = await this.target.compile(oneKernelPlan(m.func, m.steps, m.codegen));
      const { built } = art.payload as WgslPayload;
      const { gpu } = await nodeGpu();
      session = await createSession(gpu, built.plan, built.weights.slice().buffer, built.shaderCode);
      await session.ready;
      // Parameters are matched by position: the scheduled function keeps the base's parameters.
      const inputs = Object.fromEntries(m.func.inputs.map((b, i) => [b.name, ref.inputs[m.base.inputs[i].name].data as ArrayLike<number>]));
      const first = await session.run(inputs);
      if (this.opts.check ?? true) {
        const bad = compare(m, ref, first);
        if (bad) return { ok: false, cost: Infinity, error: bad };
      }
      for (let i = 0; i < (this.opts.warmup ?? 2); i++) await session.run(inputs);
      const times: number[] = [];
      for (let r = 0; r < (this.opts.repeats ?? 5); r++) {
        if (this.opts.clock === 'cpu') {
          // Threads' CPU time is accounted in scheduler ticks here (4 ms steps were measured for
          // one run of a short kernel), so each sample repeats the run until it spans ≥ minCpuMs.
          const c0 = cpuMs();
          let n = 0;
          do { await session.run(inputs); n++; } while (cpuMs() - c0 < (this.opts.minCpuMs ?? 40) && n < 1000);
          times.push((cpuMs() - c0) / n);
          continue;
        }
        const t0 = performance.now();
        await session.run(inputs, { timing: true });
        times.push(session.lastTiming?.totalMs ?? performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { ok: true, cost: times[times.length >> 1] };
    } catch (e) {
      return { ok: false, cost: Infinity, error: (e as Error).message.split('\n')[0].slice(0, 300) };
    } finally {
      session?.destroy();
    }
  }
}

/** Why the outputs differ from the reference (max error > 1e-4 of the output's magnitude), or undefined. */
function compare(m: MeasureInput, ref: Reference, got: Record<string, { data: ArrayLike<number> }>): string | undefined {
  for (let o = 0; o < m.func.outputs.length; o++) {
    const want = ref.outputs.get(m.base.outputs[o].name)!, data = got[m.func.outputs[o].name].data;
    let scale = 0, err = 0;
    for (let i = 0; i < want.length; i++) {
      scale = Math.max(scale, Math.abs(want[i]));
      err = Math.max(err, Number.isNaN(data[i]) ? Infinity : Math.abs(want[i] - data[i]));
    }
    if (err > 1e-4 * Math.max(scale, 1e-30)) return `wrong result: max error ${err} (scale ${scale})`;
  }
  return undefined;
}
