// The seam between the compiler and its code generators. A target says what it can run and at what
// cost, chooses default schedules, turns a planned module into an artifact (files), and — where it
// has a runner — executes that artifact (WebGPU, a CPU emulation or GPU for CUDA, the NPU and PIM
// simulators). The driver (src/driver/compile.ts) owns everything around it.
import type { Graph, Node, Value } from '../src/ir/graph/graph.ts';
import type { PrimFunc } from '../src/ir/tensor/func.ts';
import type { TensorMap } from '../src/runtime/interpreter.ts';
import type { Step } from '../src/schedule/step.ts';

export type Support = { readonly ok: true; readonly precisions: readonly string[] } | { readonly ok: false; readonly reason: string };

/** One kernel launch of the compiled module. */
export interface KernelPlan {
  readonly name: string;
  /** The graph node it computes (a fused node carries its members in `body`). */
  readonly node: Node;
  /** The lowered function with its schedule applied. */
  readonly func: PrimFunc;
  readonly schedule: readonly Step[];
  /** Graph values bound to `func.inputs` / `func.outputs`, in order. */
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** The schedule came from the tuning database. */
  readonly tuned: boolean;
  /** Target-specific code generator knobs (a JSON value, e.g. WGSL's `WgslConfig` in
   *  targets/wgsl/config.ts); absent: the target's default rule chooses. */
  readonly config?: unknown;
}

export interface ModulePlan {
  readonly graph: Graph;
  readonly kernels: readonly KernelPlan[];
  /** Targets that generate code from graph nodes (lowersToTensorIR false, the NPU): tuned records of
   *  the target's own per-layer schedule from `--db`, keyed by the layer's first node name. */
  readonly layerSchedules?: Readonly<Record<string, unknown>>;
}

export interface KernelReport {
  readonly name: string;
  /** ONNX node names the kernel covers. */
  readonly ops: readonly string[];
  readonly target: string;
  readonly precision: string;
  readonly latencyMs?: number;
  readonly cycles?: number;
  readonly tuned: boolean;
}

export interface Artifact {
  readonly target: string;
  /** Relative path → content; the driver writes them under the output folder. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
  readonly kernels: readonly KernelReport[];
  readonly latencyMs?: number;
  readonly latencySource: 'simulated' | 'measured' | 'estimated';
  readonly cycles?: number;
  /** Anything the runner needs in memory (plans, binaries) besides the files. */
  readonly payload?: unknown;
  /** Heterogeneous plans: device crossings per inference (report.json `totals.transfers`, shared/DESIGN.md). */
  readonly transfers?: number;
  /** Extra top-level sections of report.json (the hetero placement, timeline and costs). */
  readonly report?: Readonly<Record<string, unknown>>;
}

export interface RunOutput {
  readonly outputs: TensorMap;
  readonly ms?: number;
  readonly cycles?: number;
  /** How it ran, e.g. "SwiftShader (Vulkan) via Dawn", "CPU emulation of the CUDA source". */
  readonly how: string;
}

export interface Target {
  /** 'cuda' | 'wgsl' | 'npu' | 'pim' */
  readonly name: string;
  /** The preset or architecture after the colon (`npu:edge16`, `cuda:sm_90`). */
  readonly variant: string;
  /** Everything that changes generated code: part of every tuning and cache key. */
  fingerprint(): string;
  supports(node: Node): Support;
  defaultSchedule(func: PrimFunc, node: Node): Step[];
  compile(plan: ModulePlan): Promise<Artifact>;
  /** False for targets that generate code from graph nodes themselves (the NPU): the driver then skips
   *  Tensor IR lowering and hands over a plan with no kernels. Default true. */
  readonly lowersToTensorIR?: boolean;
  run?(artifact: Artifact, inputs: TensorMap): Promise<RunOutput>;
}

export type TargetFactory = (variant: string | undefined) => Target;
