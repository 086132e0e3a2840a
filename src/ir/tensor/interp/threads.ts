// Lock-step execution of the threads of one block. Each thread is a generator that yields the id of
// the barrier it reached; a phase runs every thread (in linear thread order, x fastest) up to its
// next barrier, and the next phase starts only when all of them got there. Shared memory written in
// one phase is therefore seen by later threads of the same phase but not by earlier ones, so a
// missing barrier produces a wrong answer (a race), as on real hardware, instead of a pass.
import { KernelError } from './runtime.ts';

/** The id a thread "yields" when it has finished its program. */
const DONE = -1;

export interface BlockInfo {
  readonly kernel: string;
  /** Block coordinates, for messages. */
  readonly block: string;
  /** Thread dims [x, y, z]. */
  readonly dims: readonly [number, number, number];
}

function threadName(i: number, dims: readonly [number, number, number]): string {
  const x = i % dims[0], y = Math.floor(i / dims[0]) % dims[1], z = Math.floor(i / (dims[0] * dims[1]));
  return `(${x}, ${y}, ${z})`;
}

function where(site: number): string { return site === DONE ? 'the end of the kernel' : `barrier #${site}`; }

/** Runs all threads of a block to completion, phase by phase. */
export function runLockstep(threads: readonly Generator<number, void, void>[], info: BlockInfo): void {
  if (threads.length === 0) return;
  for (;;) {
    let site = DONE;
    for (let t = 0; t < threads.length; t++) {
      const r = threads[t].next();
      const at = r.done ? DONE : r.value;
      if (t === 0) site = at;
      else if (at !== site) {
        throw new KernelError(`kernel ${info.kernel}: barrier divergence in block ${info.block}: thread ` +
          `${threadName(0, info.dims)} reached ${where(site)} but thread ${threadName(t, info.dims)} reached ${where(at)}`);
      }
    }
    if (site === DONE) return;
  }
}
