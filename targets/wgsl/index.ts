// The WGSL target: Tensor IR → WGSL compute shaders, a host plan (plan.json), the weights
// (weights.bin) and the ES-module runtime that executes them on any WebGPU implementation.
//
//   --target wgsl        device profile from this machine's adapter (SwiftShader here), else GPU defaults
//   --target wgsl:cpu    schedules for a CPU WebGPU (register tiles, no workgroup memory)
//   --target wgsl:gpu    schedules for a real GPU
import { readFileSync } from 'node:fs';
import type { Node } from '../../src/ir/graph/graph.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';
import { NOT_LOWERED } from '../../src/lower/lower.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import type { Step } from '../../src/schedule/step.ts';
import { InputError, TargetError } from '../../src/util/errors.ts';
import { VERSION } from '../../src/version.ts';
import type { Artifact, ModulePlan, RunOutput, Support, Target, TargetFactory } from '../target.ts';
import { type DeviceProfile, PROFILES, adapterProfile } from './limits.ts';
import { nodeGpu } from './node.ts';
import { type Built, buildPlan } from './plan.ts';
import { createSession } from './runtime.js';

const RUNTIME_JS = new URL('./runtime.js', import.meta.url);
const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);

/** Data-movement ops whose index arithmetic is costly to recompute. */
const GATHERS = new Set(['Resize', 'Upsample', 'Concat']);
const REDUCTIONS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

/**
 * A fused group where a convolution or matmul reads a Resize/Concat member: inlined, the gather is
 * recomputed for every reduction step of every output (PP-OCR det's FPN head: Resize×3 + Concat +
 * Conv 3×3 was 26 of 29 GPU seconds at 320×320). Refused, the fuse pass runs the members apart.
 */
function gatherIntoReduction(members: readonly Node[]): string | undefined {
  const inside = new Set(members);
  for (const m of members) {
    if (!REDUCTIONS.has(m.op)) continue;
    const src = m.inputs.find((v) => v?.producer && inside.has(v.producer) && GATHERS.has(v.producer.op));
    if (src) return `a fused ${m.op} reading ${src.producer!.op} would recompute the gather for every reduction step; run apart`;
  }
  return undefined;
}

export interface WgslPayload { readonly built: Built; readonly profile: DeviceProfile }

export const createTarget: TargetFactory = (variant) => {
  if (variant !== undefined && !PROFILES[variant]) {
    throw new TargetError(`wgsl: unknown variant "${variant}" (known: ${Object.keys(PROFILES).join(', ')})`);
  }
  return new WgslTarget(variant);
};

export class WgslTarget implements Target {
  readonly name = 'wgsl';
  readonly variant: string;
  constructor(private readonly requested: string | undefined) { this.variant = requested ?? 'auto'; }

  fingerprint(): string { return `wgsl:${this.variant}:tscc-${VERSION}`; }

  supports(node: Node): Support {
    // No recurrent kernel: the driver unrolls LSTM/GRU/RNN (decompose-rnn) when this refuses them.
    if (RECURRENT.has(node.op)) return { ok: false, reason: `${node.op} has no WGSL kernel; it runs unrolled into per-step MatMul and element-wise ops (decompose-rnn)` };
    const why = NOT_LOWERED[node.op];
    if (why && !node.body) return { ok: false, reason: `${node.op} is not lowered to the Tensor IR (${why})` };
    const gather = node.body && gatherIntoReduction(node.body.nodes);
    if (gather) return { ok: false, reason: gather };
    return { ok: true, precisions: ['f32'] };
  }

  /** Parallel loops and register tiles are chosen per stage at codegen (tile.ts), from the adapter. */
  defaultSchedule(_func: PrimFunc, _node: Node): Step[] { return []; }

  async profile(): Promise<DeviceProfile> {
    if (this.requested) return PROFILES[this.requested];
    try {
      const { gpu, adapter } = await nodeGpu();
      return adapterProfile(adapter, gpu as { wgslLanguageFeatures?: { has(name: string): boolean } });
    } catch {
      return PROFILES.gpu;
    }
  }

  async compile(mod: ModulePlan): Promise<Artifact> {
    const profile = await this.profile();
    const built = buildPlan(mod, profile);
    const files = new Map<string, string | Uint8Array>();
    files.set('plan.json', JSON.stringify(built.plan, null, 1) + '\n');
    files.set(built.plan.weightsFile, built.weights);
    built.plan.shaders.forEach((f, i) => files.set(f, built.shaderCode[i]));
    files.set('runtime.js', readFileSync(RUNTIME_JS, 'utf8'));
    return {
      target: 'wgsl', files, latencySource: 'estimated',
      kernels: built.plan.kernels.map((k) => ({ name: k.name, ops: k.ops, target: 'wgsl', precision: k.precision, tuned: k.tuned })),
      payload: { built, profile } satisfies WgslPayload,
    };
  }

  async run(artifact: Artifact, inputs: TensorMap): Promise<RunOutput> {
    const { built } = artifact.payload as WgslPayload;
    const { gpu, adapter } = await nodeGpu();
    const session = await createSession(gpu, built.plan, built.weights.slice().buffer, built.shaderCode);
    try {
      await session.ready;
      const given: Record<string, ArrayLike<number | bigint>> = {};
      for (const inp of built.plan.inputs) {
        const t = inputs[inp.name];
        if (!t) throw new InputError(`wgsl: missing input "${inp.name}"`);
        given[inp.name] = t.dtype === 'f16' || t.dtype === 'bf16' ? t.toF32() : t.data;
      }
      const t0 = performance.now();
      const out = await session.run(given);
      const ms = performance.now() - t0;
      const outputs: TensorMap = {};
      for (const o of built.plan.outputs) {
        const r = out[o.name];
        outputs[o.name] = o.dtype === 'f32' ? new Tensor('f32', o.shape, r.data as Float32Array) : Tensor.fromNumbers(o.dtype as DType, o.shape, r.data);
      }
      return { outputs, ms, how: `WebGPU via Dawn on ${adapterProfile(adapter).description}` };
    } finally {
      session.destroy();
    }
  }
}
