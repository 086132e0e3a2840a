// What `tscc tune --target T` measures with. `interp` is built in: the Tensor IR interpreter on this
// CPU (measure/interp.ts). Code-generating targets are measured through their runners (run.ts):
// NPU/PIM by simulated cycles, WGSL by WebGPU timings; CUDA only on a CUDA GPU, refused otherwise.
import { existsSync } from 'node:fs';
import { TargetError } from '../util/errors.ts';
import { loadTarget, splitTargetSpec } from '../driver/registry.ts';
import type { Target } from '../../targets/target.ts';
import { InterpMeasurer } from './measure/interp.ts';
import { WgslMeasurer } from './measure/wgsl.ts';
import { tuningFingerprint } from './apply.ts';
import type { DeviceProfile } from '../../targets/wgsl/limits.ts';
import type { Measurer } from './measure/measurer.ts';
import type { TuneTarget } from './tuner.ts';
import { cpus } from 'node:os';

export interface ResolvedTarget {
  readonly tune: TuneTarget;
  /** The code-generating target, when there is one (graph passes and support checks need it). */
  readonly target?: Target;
  /** Tensor IR targets: measures scheduled functions. NPU layers carry their own simulator. */
  readonly measurer?: Measurer;
  readonly how: string;
  /** WGSL: the adapter profile the code generator's space and defaults are built for. */
  readonly profile?: DeviceProfile;
}

export const INTERP_TARGET: TuneTarget = {
  name: 'interp',
  fingerprint: `interp|tensor-ir-interpreter|node ${process.versions.node}|${cpus()[0]?.model ?? 'cpu'}`,
  defaultSchedule: () => [],
};

export function hasCudaGpu(): boolean {
  return existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl');
}

export async function resolveTuneTarget(spec: string): Promise<ResolvedTarget> {
  const { name } = splitTargetSpec(spec);
  if (name === 'interp') { const m = new InterpMeasurer(); return { tune: INTERP_TARGET, measurer: m, how: m.how }; }
  if (name === 'cuda' && !hasCudaGpu()) {
    throw new TargetError('tuning for cuda measures on a CUDA GPU, and this machine has none (no /dev/nvidia0); tune on a GPU machine, or use --target interp to try the tuner');
  }
  const target = await loadTarget(spec);
  if (name === 'npu') {
    // Its default is the layer record the code generator picks (npu/task.ts), not Tensor IR steps.
    const tune: TuneTarget = { name, fingerprint: target.fingerprint(), defaultSchedule: () => [] };
    return { tune, target, how: `NPU cycle simulator (${target.variant}), one layer at a time` };
  }
  if (name === 'wgsl') {
    // Configs of the WGSL code generator (targets/wgsl/config.ts), timed on this process's adapter.
    // Clock: GPU timestamp queries around the compute passes, on every adapter. (Process CPU time
    // was tried for SwiftShader on this loaded machine: it is dominated by the host side of a run —
    // ~3.7 ms of Dawn polling and copies for a kernel of a few µs — so it cannot rank configs.)
    // Paired: each timed run alternates with the kernel's default program and the cost is the
    // median ratio (× the default's time): ~4× steadier under other jobs' load (src/tune/README.md).
    const profile = await (target as unknown as { profile(): Promise<DeviceProfile> }).profile();
    const m = new WgslMeasurer(target, { clock: 'gpu', paired: true });
    const tune: TuneTarget = { name, fingerprint: await tuningFingerprint(target), defaultSchedule: () => [] };
    return { tune, target, measurer: m, profile, how: `${m.how} on ${profile.description}` };
  }
  if (name === 'pim') {
    // The PIM code generator's layout and command order (src/tune/pim/task.ts), costed in simulated cycles.
    const tune: TuneTarget = { name, fingerprint: await tuningFingerprint(target), defaultSchedule: () => [] };
    return { tune, target, how: `PIM command-stream timing simulator (${target.variant}), one kernel at a time` };
  }
  throw new TargetError(`measuring kernels of target "${spec}" for tuning is not wired yet (see src/tune/README.md); tune with --target npu, wgsl, pim or interp`);
}
