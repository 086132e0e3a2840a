// The CUDA target: scheduled Tensor IR → CUDA C++ kernels, a host launch plan with a C API, and a
// Makefile calling nvcc. `cuda` / `cuda:sm_90` / `cuda:sm_80`. The runner uses a GPU when nvidia-smi
// lists one, else the CPU emulation of the same source (tscc_emu.h). See README.md in this folder.
import { readFileSync } from 'node:fs';
import { NOT_LOWERED, ruleOf } from '../../src/lower/rules/table.ts';
import type { Node } from '../../src/ir/graph/graph.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { Step } from '../../src/schedule/step.ts';
import { TargetError } from '../../src/util/errors.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import type { Artifact, KernelReport, ModulePlan, Support, Target, TargetFactory } from '../target.ts';
import { kernelsSource, makefile, modelSource } from './host.ts';
import { planLaunches } from './plan.ts';
import { runArtifact } from './runner.ts';
import { defaultSteps } from './schedule.ts';
import { ARCHS, C_TYPES, DEFAULT_ARCH, type CudaArch } from './spec.ts';
import { splitStages } from './stages.ts';

export interface CudaPayload {
  readonly arch: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

const RUNTIME_FILES = ['tscc_cuda.h', 'tscc_emu.h', 'tscc_emu_warp.h', 'tscc_model.h', 'main.cu'];
const runtimeFile = (f: string) => readFileSync(new URL(`./runtime/${f}`, import.meta.url), 'utf8');

/** Device memory bandwidth (bytes/ms) for the report's estimate. */
const BANDWIDTH: Record<string, number> = { sm_80: 1.5e9, sm_90: 3.0e9 };
const LAUNCH_MS = 0.003;

function checkNode(node: Node): string | undefined {
  for (const v of [...node.inputs, ...node.outputs]) if (v && !C_TYPES[v.type.dtype]) return `values of type ${v.type.dtype} have no CUDA type`;
  const members = node.body ? node.body.nodes : [node];
  for (const m of members) {
    if (NOT_LOWERED[m.op]) return `${m.op} is not lowered to the Tensor IR (${NOT_LOWERED[m.op]})`;
    if (!ruleOf(m.domain, m.op)) return `there is no compute rule for ${m.op}`;
    if (m !== node) { const why = checkNode(m); if (why) return why; }
  }
  return undefined;
}

class CudaTarget implements Target {
  readonly name = 'cuda';
  constructor(readonly variant: string, readonly arch: CudaArch) {}

  fingerprint(): string { return `cuda:${this.arch.sm}:v1`; }

  supports(node: Node): Support {
    const why = checkNode(node);
    return why ? { ok: false, reason: why } : { ok: true, precisions: ['f32', 'f16', 'bf16'] };
  }

  /** Multi-stage functions are left unscheduled here: compile() cuts them into stages first (stages.ts). */
  defaultSchedule(func: PrimFunc, _node: Node): Step[] {
    return splitStages(func).length > 1 ? [] : defaultSteps(func);
  }

  async compile(plan: ModulePlan): Promise<Artifact> {
    const lp = planLaunches(plan, this.arch);
    const model = plan.graph.name || 'model';
    const files = new Map<string, string | Uint8Array>([
      ['kernels.cu', kernelsSource(lp, model)],
      ['model.cu', modelSource(lp, model)],
      ['Makefile', makefile(this.arch.sm)],
      ['weights.bin', lp.weights],
    ]);
    for (const f of RUNTIME_FILES) files.set(f, runtimeFile(f));
    const bw = BANDWIDTH[this.arch.sm];
    // One report entry per launch: a multi-stage kernel (stages.ts) launches once per stage.
    const kernels: KernelReport[] = lp.launches.map((l) => {
      const kp = plan.kernels[l.of];
      const bytes = l.args.reduce((t, a) => t + a.bytes, 0);
      return {
        name: l.kernel.name, ops: kp.node.body ? kp.node.body.nodes.map((n) => n.name) : [kp.node.name],
        target: `cuda:${this.arch.sm}`, precision: kp.outputs[0]?.type.dtype ?? 'f32',
        latencyMs: LAUNCH_MS + bytes / bw, tuned: kp.tuned,
      };
    });
    const payload: CudaPayload = {
      arch: this.arch.sm, inputs: plan.graph.inputs.map((v) => v.name), outputs: plan.graph.outputs.map((v) => v.name),
    };
    return {
      target: `cuda:${this.arch.sm}`, files, kernels, payload,
      latencyMs: kernels.reduce((s, k) => s + (k.latencyMs ?? 0), 0), latencySource: 'estimated',
    };
  }

  run(artifact: Artifact, inputs: TensorMap) {
    return runArtifact(artifact, inputs);
  }
}

export const createTarget: TargetFactory = (variant) => {
  const v = variant ?? DEFAULT_ARCH;
  const arch = ARCHS[v];
  if (!arch) throw new TargetError(`unknown CUDA architecture "${v}" (known: ${Object.keys(ARCHS).join(', ')})`);
  return new CudaTarget(v, arch);
};
