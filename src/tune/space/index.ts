// The search space of one kernel on one target. NPU tile shapes/dataflow and PIM layout/command
// order are to come from those targets' own schedule records (see docs in src/tune/README.md); until
// they exist, NPU and PIM kernels get the loop-nest space.
import type { PrimFunc } from '../../ir/tensor/func.ts';
import { cpuSpace } from './cpu.ts';
import { gpuSpace } from './gpu.ts';
import { CPU_LIMITS, CUDA_LIMITS, WEBGPU_LIMITS } from './limits.ts';
import { analyzeNest } from './nest.ts';
import type { SearchSpace } from './space.ts';

export { SearchSpace, type Knob, type Checked } from './space.ts';
export { analyzeNest, type Nest } from './nest.ts';

export function buildSpace(func: PrimFunc, targetName: string): SearchSpace {
  const nest = analyzeNest(func);
  switch (targetName) {
    case 'wgsl': return gpuSpace(nest, WEBGPU_LIMITS);
    case 'cuda': return gpuSpace(nest, CUDA_LIMITS);
    default: return cpuSpace(nest, CPU_LIMITS);
  }
}
