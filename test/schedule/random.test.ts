// Property test: random schedules never change what a kernel computes. For every kernel (lowered
// matmul, convolutions with stride/pad/dilation/groups, depthwise conv, pools, softmax, layernorm)
// we apply seeded random step sequences and GPU-style schedules (blocks, threads, shared-memory
// tiles with barriers) and require the interpreter's outputs to be bit-identical to the unscheduled
// kernel's, and the scheduled text to parse back to itself. Schedules never re-associate a sum
// (deps.ts), so exact equality is the right bar.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { stepText } from '../../src/schedule/step.ts';
import { scheduleKernels } from './kernels.ts';
import { type Attempt, type RandomRun, gpuSchedule, randomSchedule } from './random.ts';

const RANDOM_PER_KERNEL = 44;
const GPU_PER_KERNEL = 8;
const STEPS = 7;

function same(got: readonly Tensor[], want: readonly Tensor[]): boolean {
  return got.every((t, k) => {
    const a = t.data as Float32Array, b = want[k].data as Float32Array;
    return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  });
}

describe('random schedules keep results', () => {
  const log: Attempt[] = [];
  let schedules = 0;

  for (const k of scheduleKernels()) {
    it(k.name, () => {
      const inputs = k.func.inputs.map((b, i) => randomTensor(b.dtype, b.shape, 7 + i, -2, 2));
      const want = runFunc(k.func, inputs);
      const runs: [string, RandomRun][] = [];
      for (let s = 0; s < RANDOM_PER_KERNEL; s++) runs.push([`random seed ${s}`, randomSchedule(k.func, 1000 * s + k.name.length, STEPS)]);
      for (let s = 0; s < GPU_PER_KERNEL; s++) runs.push([`gpu seed ${s}`, gpuSchedule(k.func, 5000 + s, 2)]);
      for (const [label, run] of runs) {
        const applied = run.attempts.filter((a) => a.applied).map((a) => stepText(a.step));
        const text = printFunc(run.func);
        const where = `${k.name}, ${label}: ${applied.join('; ')}\n${text}`;
        expect(same(runFunc(run.func, inputs), want), where).toBe(true);
        expect(printFunc(parseFunc(text)), where).toBe(text);
        log.push(...run.attempts);
        schedules++;
      }
    });
  }

  it('ran enough schedules, most picks applied, every step kind applied', () => {
    expect(schedules).toBeGreaterThanOrEqual(500);
    const applied = log.filter((a) => a.applied);
    expect(applied.length / log.length).toBeGreaterThanOrEqual(0.5);
    const kinds = new Set(applied.map((a) => a.step.kind));
    for (const k of ['split', 'tile', 'reorder', 'fuse', 'unroll', 'vectorize', 'parallel', 'bind', 'cache_read', 'cache_write',
      'compute_at', 'inline', 'double_buffer', 'tensorize'] as const) {
      expect(kinds.has(k), `no ${k} step applied in any random schedule`).toBe(true);
    }
    // Shared-memory tiles with barriers must be among them.
    expect(applied.some((a) => a.step.kind === 'cache_read' && a.step.scope === 'shared')).toBe(true);
  });
});
