// Static validity checks on a scheduled function, against a device's limits: a config that breaks
// one is rejected before it is ever measured (the measurement would fail or lie).
import { dtypeInfo } from '../../ir/graph/dtype.ts';
import type { PrimFunc } from '../../ir/tensor/func.ts';
import type { Stmt } from '../../ir/tensor/stmt.ts';
import { stmtChildren } from '../../ir/tensor/stmt.ts';

export interface DeviceLimits {
  readonly maxThreadsPerBlock: number;
  readonly maxSharedBytes: number;
  /** Bytes of `local` (register) buffers one thread may hold. */
  readonly maxLocalBytes: number;
  /** Bytes of NPU scratchpad / accumulator memory. */
  readonly maxScratchpadBytes?: number;
  readonly maxAccumulatorBytes?: number;
}

export const CPU_LIMITS: DeviceLimits = { maxThreadsPerBlock: 1024, maxSharedBytes: Infinity, maxLocalBytes: 64 * 1024 };
/** WebGPU's guaranteed minimums (maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize). */
export const WEBGPU_LIMITS: DeviceLimits = { maxThreadsPerBlock: 256, maxSharedBytes: 16384, maxLocalBytes: 1024 };
export const CUDA_LIMITS: DeviceLimits = { maxThreadsPerBlock: 1024, maxSharedBytes: 48 * 1024, maxLocalBytes: 1024 };

export interface Usage { threadsPerBlock: number; sharedBytes: number; localBytes: number; scratchpadBytes: number; accumulatorBytes: number }

/** Peak use along any path of the statement tree. */
export function usage(f: PrimFunc): Usage {
  const u: Usage = { threadsPerBlock: 1, sharedBytes: 0, localBytes: 0, scratchpadBytes: 0, accumulatorBytes: 0 };
  const walk = (s: Stmt, threads: number, shared: number, local: number, pad: number, acc: number): void => {
    if (s.kind === 'for' && s.thread?.startsWith('threadIdx') && s.extent.kind === 'const') threads *= s.extent.value;
    if (s.kind === 'allocate') {
      const bytes = s.buffer.size * dtypeInfo(s.buffer.dtype).bytes;
      if (s.buffer.scope === 'shared') shared += bytes;
      if (s.buffer.scope === 'local') local += bytes;
      if (s.buffer.scope === 'scratchpad') pad += bytes;
      if (s.buffer.scope === 'accumulator') acc += bytes;
    }
    u.threadsPerBlock = Math.max(u.threadsPerBlock, threads);
    u.sharedBytes = Math.max(u.sharedBytes, shared);
    u.localBytes = Math.max(u.localBytes, local);
    u.scratchpadBytes = Math.max(u.scratchpadBytes, pad);
    u.accumulatorBytes = Math.max(u.accumulatorBytes, acc);
    for (const c of stmtChildren(s)) walk(c, threads, shared, local, pad, acc);
  };
  walk(f.body, 1, 0, 0, 0, 0);
  return u;
}

/** Why the scheduled function does not fit the device, or undefined when it does. */
export function violatesLimits(f: PrimFunc, l: DeviceLimits): string | undefined {
  const u = usage(f);
  if (u.threadsPerBlock > l.maxThreadsPerBlock) return `${u.threadsPerBlock} threads per block > ${l.maxThreadsPerBlock}`;
  if (u.sharedBytes > l.maxSharedBytes) return `${u.sharedBytes} bytes of shared memory > ${l.maxSharedBytes}`;
  if (u.localBytes > l.maxLocalBytes) return `${u.localBytes} bytes of local memory per thread > ${l.maxLocalBytes}`;
  if (l.maxScratchpadBytes !== undefined && u.scratchpadBytes > l.maxScratchpadBytes) return `${u.scratchpadBytes} bytes of scratchpad > ${l.maxScratchpadBytes}`;
  if (l.maxAccumulatorBytes !== undefined && u.accumulatorBytes > l.maxAccumulatorBytes) return `${u.accumulatorBytes} bytes of accumulator > ${l.maxAccumulatorBytes}`;
  return undefined;
}
