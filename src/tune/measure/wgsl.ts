// WebGPU as a measurer: each scheduled kernel becomes a one-kernel module plan, compiled by the WGSL
// target (target.compile, the same code path as `tscc compile`) and run through the target's runtime
// (runtime.js createSession) on this process's adapter — Dawn on SwiftShader here, a GPU elsewhere.
// Per config: one checked run (outputs against the Tensor IR interpreter on the unscheduled
// function), a warm-up, then timed runs; the cost is in milliseconds. With the timestamp-query
// feature the time is the GPU passes themselves; without it, the wall time of a run.
// Paired (default-relative) timing, the `paired` option: the kernel's default program (compiled
// with no config) stays loaded, and the config's timed runs alternate with runs of it. The cost is
// the median of the per-pair ratios config/default times the default's time when it was first
// loaded (or the recorded default cost the tuner anchors it to, so a resumed run keeps the scale).
// On a shared machine a CPU adapter's timings stretch 2-5× with other jobs; both programs of a pair
// are stretched alike, so the ratio is ~4× steadier (run-to-run CV of one config, measured in
// src/tune/README.md).
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
import { median } from '../../util/stats.ts';

export interface WgslMeasureOptions {
  /** Timed runs per config (median); with `paired`, pairs of runs (default 5; paired 20). */
  readonly repeats?: number;
  /** Stop timing a config after this many milliseconds of timed runs, once 5 are done (default 1500). */
  readonly maxMs?: number;
  /** Alternate each timed run with a run of the kernel's default program (see the file comment). */
  readonly paired?: boolean;
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

type Session = Awaited<ReturnType<typeof createSession>>;

/** The default program of the kernel being measured (paired timing) and the scale of its ratios. */
interface Baseline { readonly base: PrimFunc; readonly session: Session; scale: number }

export class WgslMeasurer implements Measurer {
  readonly unit = 'ms' as const;
  readonly how: string;
  private readonly refs = new WeakMap<PrimFunc, Reference>();
  /** Paired timing: one default program is kept loaded, for the kernel measured last. */
  private baseline: Baseline | undefined;
  /** Scales the tuner anchored (the recorded cost of the default), per unscheduled function. */
  private readonly anchors = new WeakMap<PrimFunc, number>();

  constructor(private readonly target: Target, private readonly opts: WgslMeasureOptions = {}) {
    const clock = opts.clock === 'cpu' ? 'process CPU time' : 'GPU time';
    this.how = opts.paired
      ? `WebGPU (${target.fingerprint()}): ${clock} of each kernel relative to its default program, median ratio of up to ${opts.repeats ?? 20} alternating pairs (≤ ${opts.maxMs ?? 1500} ms) after ${opts.warmup ?? 2} warm-up`
      : `WebGPU (${target.fingerprint()}): ${clock} of each kernel, median of ${opts.repeats ?? 5} runs after ${opts.warmup ?? 2} warm-up`;
  }

  /** Paired timing: costs of `base` are ratios to its default program times `ms` (the recorded default cost). */
  anchor(base: PrimFunc, ms: number): void {
    if (ms > 0 && Number.isFinite(ms)) this.anchors.set(base, ms);
    if (this.baseline?.base === base) this.baseline.scale = this.anchors.get(base) ?? this.baseline.scale;
  }

  /** Releases the default program kept loaded for paired timing. */
  dispose(): void {
    this.baseline?.session.destroy();
    this.baseline = undefined;
  }

  private async load(func: PrimFunc, steps: readonly Step[], config: unknown): Promise<Session> {
    const art = await this.target.compile(oneKernelPlan(func, steps, config));
    const { built } = art.payload as WgslPayload;
    const { gpu } = await nodeGpu();
    const s = await createSession(gpu, built.plan, built.weights.slice().buffer, built.shaderCode);
    try { await s.ready; } catch (e) { s.destroy(); throw e; }
    return s;
  }

  /** One timed run of a session on the chosen clock, in ms. */
  private async time(s: Session, inputs: Record<string, ArrayLike<number>>): Promise<number> {
    if (this.opts.clock === 'cpu') {
      // Threads' CPU time is accounted in scheduler ticks here (4 ms steps were measured for
      // one run of a short kernel), so each sample repeats the run until it spans ≥ minCpuMs.
      const c0 = cpuMs();
      let n = 0;
      do { await s.run(inputs); n++; } while (cpuMs() - c0 < (this.opts.minCpuMs ?? 40) && n < 1000);
      return (cpuMs() - c0) / n;
    }
    const t0 = performance.now();
    await s.run(inputs, { timing: true });
    return s.lastTiming?.totalMs ?? performance.now() - t0;
  }

  /** The default program of `base` (compiled with no config), loaded once per kernel, with its scale. */
  private async defaultProgram(base: PrimFunc, inputs: Record<string, ArrayLike<number>>): Promise<Baseline> {
    if (this.baseline?.base === base) return this.baseline;
    this.dispose();
    const session = await this.load(base, [], undefined);
    for (let i = 0; i < (this.opts.warmup ?? 2); i++) await session.run(inputs);
    const ts: number[] = [];
    for (let i = 0; i < 9; i++) ts.push(await this.time(session, inputs));
    this.baseline = { base, session, scale: this.anchors.get(base) ?? median(ts) };
    return this.baseline;
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
    let session: Session | undefined;
    try {
      const ref = await this.reference(m.base);
      session = await this.load(m.func, m.steps, m.codegen);
      // Parameters are matched by position: the scheduled function keeps the base's parameters.
      const inputs = Object.fromEntries(m.func.inputs.map((b, i) => [b.name, ref.inputs[m.base.inputs[i].name].data as ArrayLike<number>]));
      const first = await session.run(inputs);
      if (this.opts.check ?? true) {
        const bad = compare(m, ref, first);
        if (bad) return { ok: false, cost: Infinity, error: bad };
      }
      for (let i = 0; i < (this.opts.warmup ?? 2); i++) await session.run(inputs);
      const baseInputs = Object.fromEntries(m.base.inputs.map((b) => [b.name, ref.inputs[b.name].data as ArrayLike<number>]));
      const dflt = this.opts.paired ? await this.defaultProgram(m.base, baseInputs) : undefined;
      const samples: number[] = [];
      const n = this.opts.repeats ?? (dflt ? 20 : 5), t0 = performance.now();
      for (let r = 0; r < n && (r < 5 || performance.now() - t0 < (this.opts.maxMs ?? 1500)); r++) {
        if (!dflt) { samples.push(await this.time(session, inputs)); continue; }
        // Which of the pair runs first alternates, so neither is always the one after a pause.
        let tx: number, td: number;
        if (r % 2) { td = await this.time(dflt.session, baseInputs); tx = await this.time(session, inputs); }
        else { tx = await this.time(session, inputs); td = await this.time(dflt.session, baseInputs); }
        samples.push(tx / td);
      }
      return { ok: true, cost: median(samples) * (dflt?.scale ?? 1) };
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
