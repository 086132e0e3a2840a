// The schedule golden cases: a kernel (text), a schedule, and the file in golden/ holding the
// expected Before/After text (or the expected error). Every step kind has at least one case that
// applies and, where a step has a legality rule, one that is refused.
import type { Step } from '../../src/schedule/step.ts';
import { ADD, CONV, DOT, MATMUL, MATMUL_64, MATMUL_BT, MATMUL_SPLIT_INIT, ROWS, SCALE_ADD, SOFTMAX } from './kernels.tir.ts';

export interface GoldenCase {
  readonly name: string;
  readonly before: string;
  readonly steps: readonly Step[];
}

const gpuTiles: Step[] = [
  { kind: 'tile', loops: ['i', 'j'], factors: [4, 4] },
  { kind: 'bind', loop: 'i_o', axis: 'blockIdx.y' },
  { kind: 'bind', loop: 'j_o', axis: 'blockIdx.x' },
  { kind: 'bind', loop: 'i_i', axis: 'threadIdx.y' },
  { kind: 'bind', loop: 'j_i', axis: 'threadIdx.x' },
  { kind: 'split', loop: 'k', factor: 4 },
];

export const CASES: readonly GoldenCase[] = [
  { name: 'split-exact', before: MATMUL, steps: [{ kind: 'split', loop: 'i', factor: 4 }] },
  { name: 'split-guard', before: ADD, steps: [{ kind: 'split', loop: 'j', factor: 4 }] },
  { name: 'split-bound', before: ADD, steps: [{ kind: 'bind', loop: 'j', axis: 'threadIdx.x' }, { kind: 'split', loop: 'j', factor: 2 }] },
  { name: 'split-unknown-loop', before: ADD, steps: [{ kind: 'split', loop: 'x', factor: 2 }] },
  { name: 'tile', before: MATMUL, steps: [{ kind: 'tile', loops: ['i', 'j'], factors: [4, 3] }] },
  { name: 'tile-guarded', before: ADD, steps: [{ kind: 'tile', loops: ['i', 'j'], factors: [4, 4] }] },
  { name: 'reorder', before: ADD, steps: [{ kind: 'split', loop: 'j', factor: 5 }, { kind: 'reorder', loops: ['j_o', 'i', 'j_i'] }] },
  { name: 'reorder-reduction-outer', before: MATMUL_SPLIT_INIT, steps: [{ kind: 'reorder', loops: ['k', 'i2'] }] },
  { name: 'reorder-split-reduction', before: MATMUL_SPLIT_INIT, steps: [{ kind: 'split', loop: 'k', factor: 3 }, { kind: 'reorder', loops: ['k_o', 'i2', 'j2', 'k_i'] }] },
  { name: 'reorder-not-perfect', before: MATMUL, steps: [{ kind: 'reorder', loops: ['k', 'i'] }] },
  { name: 'reorder-reduction-order', before: MATMUL, steps: [{ kind: 'split', loop: 'k', factor: 2 }, { kind: 'reorder', loops: ['k_i', 'k_o'] }] },
  { name: 'fuse', before: ADD, steps: [{ kind: 'fuse', outer: 'i', inner: 'j' }] },
  { name: 'fuse-not-adjacent', before: MATMUL, steps: [{ kind: 'fuse', outer: 'i', inner: 'k' }] },
  { name: 'unroll', before: MATMUL, steps: [{ kind: 'unroll', loop: 'k' }] },
  { name: 'vectorize', before: ADD, steps: [{ kind: 'vectorize', loop: 'j' }] },
  { name: 'vectorize-not-innermost', before: ADD, steps: [{ kind: 'vectorize', loop: 'i' }] },
  { name: 'vectorize-reduction', before: MATMUL, steps: [{ kind: 'vectorize', loop: 'k' }] },
  { name: 'parallel', before: MATMUL, steps: [{ kind: 'fuse', outer: 'i', inner: 'j' }, { kind: 'parallel', loop: 'i_j_f' }] },
  { name: 'parallel-reduction', before: MATMUL, steps: [{ kind: 'parallel', loop: 'k' }] },
  { name: 'bind', before: MATMUL, steps: gpuTiles.slice(0, 5) },
  { name: 'bind-twice', before: MATMUL, steps: [{ kind: 'bind', loop: 'i', axis: 'blockIdx.x' }, { kind: 'bind', loop: 'j', axis: 'blockIdx.x' }] },
  { name: 'bind-widens-block', before: ROWS, steps: [{ kind: 'bind', loop: 'i', axis: 'blockIdx.x' }, { kind: 'bind', loop: 'j', axis: 'threadIdx.x' }] },
  { name: 'bind-block-in-thread', before: MATMUL, steps: [{ kind: 'bind', loop: 'i', axis: 'threadIdx.x' }, { kind: 'bind', loop: 'j', axis: 'blockIdx.x' }] },
  { name: 'cache_read-local', before: MATMUL, steps: [{ kind: 'split', loop: 'k', factor: 3 }, { kind: 'cache_read', buffer: 'A', scope: 'local', at: 'k_o' }] },
  { name: 'cache_read-shared', before: MATMUL_64, steps: [...gpuTiles, { kind: 'cache_read', buffer: 'A', scope: 'shared', at: 'k_o' }, { kind: 'cache_read', buffer: 'B', scope: 'shared', at: 'k_o' }] },
  { name: 'cache_read-padded-conv', before: CONV, steps: [{ kind: 'cache_read', buffer: 'X', scope: 'scratchpad', at: 'oh' }] },
  { name: 'cache_read-written', before: MATMUL, steps: [{ kind: 'cache_read', buffer: 'C', scope: 'local', at: 'j' }] },
  { name: 'cache_read-shared-no-block', before: MATMUL, steps: [{ kind: 'cache_read', buffer: 'A', scope: 'shared', at: 'k' }] },
  { name: 'cache_write-local', before: MATMUL, steps: [{ kind: 'cache_write', buffer: 'C', scope: 'local', at: 'j' }] },
  { name: 'cache_write-accumulator', before: MATMUL, steps: [{ kind: 'tile', loops: ['i', 'j'], factors: [4, 4] }, { kind: 'cache_write', buffer: 'C', scope: 'accumulator', at: 'j_o' }] },
  { name: 'compute_at', before: SOFTMAX, steps: [{ kind: 'compute_at', buffer: 'row_sum', at: 'i3' }, { kind: 'compute_at', buffer: 'row_max', at: 'i3' }] },
  { name: 'compute_at-order', before: SOFTMAX, steps: [{ kind: 'compute_at', buffer: 'row_max', at: 'i3' }] },
  { name: 'inline', before: SCALE_ADD, steps: [{ kind: 'inline', buffer: 'T' }] },
  { name: 'inline-reduction', before: SOFTMAX, steps: [{ kind: 'inline', buffer: 'row_max' }] },
  { name: 'double_buffer-local', before: MATMUL, steps: [{ kind: 'split', loop: 'k', factor: 3 }, { kind: 'cache_read', buffer: 'A', scope: 'local', at: 'k_o' }, { kind: 'double_buffer', buffer: 'A.local' }] },
  { name: 'double_buffer-shared', before: MATMUL_64, steps: [...gpuTiles, { kind: 'cache_read', buffer: 'A', scope: 'shared', at: 'k_o' }, { kind: 'double_buffer', buffer: 'A.shared' }] },
  { name: 'double_buffer-param', before: MATMUL, steps: [{ kind: 'double_buffer', buffer: 'A' }] },
  { name: 'tensorize-matmul_tile', before: MATMUL, steps: [{ kind: 'tile', loops: ['i', 'j'], factors: [4, 4] }, { kind: 'tensorize', loop: 'i_i', intrinsic: 'matmul_tile' }] },
  { name: 'tensorize-mac', before: DOT, steps: [{ kind: 'tensorize', loop: 'l2', intrinsic: 'mac' }] },
  {
    name: 'tensorize-npu-flow', before: MATMUL_64, steps: [
      { kind: 'tile', loops: ['i', 'j'], factors: [8, 8] },
      { kind: 'cache_write', buffer: 'C', scope: 'accumulator', at: 'j_o' },
      { kind: 'cache_read', buffer: 'A', scope: 'scratchpad', at: 'j_o' },
      { kind: 'cache_read', buffer: 'B', scope: 'scratchpad', at: 'j_o' },
      { kind: 'tensorize', loop: 'i_i', intrinsic: 'matmul_tile' },
    ],
  },
  {
    name: 'double_buffer-intrinsic', before: MATMUL_SPLIT_INIT, steps: [
      { kind: 'split', loop: 'k', factor: 3 },
      { kind: 'reorder', loops: ['k_o', 'i2', 'j2', 'k_i'] },
      { kind: 'cache_read', buffer: 'A', scope: 'scratchpad', at: 'k_o' },
      { kind: 'tensorize', loop: 'i2', intrinsic: 'matmul_tile' },
      { kind: 'double_buffer', buffer: 'A.scratchpad' },
    ],
  },
  { name: 'tensorize-any-loop-order', before: MATMUL, steps: [{ kind: 'reorder', loops: ['j', 'i'] }, { kind: 'tensorize', loop: 'j', intrinsic: 'matmul_tile' }] },
  { name: 'tensorize-transposed', before: MATMUL_BT, steps: [{ kind: 'tensorize', loop: 'i', intrinsic: 'matmul_tile' }] },
  { name: 'tensorize-mismatch', before: DOT, steps: [{ kind: 'tensorize', loop: 'l3', intrinsic: 'mac' }] },
];
