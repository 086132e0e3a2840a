// Applying a schedule: each step in order, each followed by the simplifier (so printed results stay
// canonical and small) and the verifier. Illegal steps throw ScheduleError (code E_SCHEDULE), whose
// message starts with the step and names the loop or buffer at fault. A step that produced IR the
// verifier rejects is a bug in this folder, reported as an internal error, not a user error.
//
//   applySchedule(lowered, [{ kind: 'split', loop: 'i0', factor: 4 }, { kind: 'parallel', loop: 'i0_o' }])
//
// Loop names are the loop variables of the function after uniqueLoopNames, which applySchedule
// applies first: lowering reuses i0, i1 … across stages, and the second i0 becomes i0_1.
//
// The legality model, in short (details beside each step):
//  - dependences (deps.ts): every access to a buffer written under the loops must use one index
//    tuple; parallel/vectorize/bind need it to pin the loop, reorder must keep the relative order of
//    the loops it does not pin (so reductions are never re-associated and scheduled kernels give
//    bit-identical results);
//  - memory scopes: local is per thread, shared per block (filled cooperatively, fenced by barriers,
//    only where every thread of the block reaches them), scratchpad/accumulator one per kernel (no
//    parallel or bound loops around or inside them);
//  - a thread block runs its code once per thread, so binding must not widen a block around code
//    outside the bound loop.
//
// Golden Before/After texts of every step are in test/schedule/golden/, refreshed only by
// `UPDATE_GOLDEN=1 npx vitest run test/schedule/golden.test.ts`.
import type { PrimFunc } from '../ir/tensor/func.ts';
import { simplifyFunc } from '../ir/tensor/simplify.ts';
import { VerifyError, verifyFunc } from '../ir/tensor/verify.ts';
import { bindLoop, parallelLoop, unrollLoop, vectorizeLoop } from './annotate.ts';
import { cacheRead, cacheWrite } from './cache.ts';
import { computeAt } from './compute-at.ts';
import { doubleBuffer } from './double-buffer.ts';
import { uniqueLoopNames } from './find.ts';
import { inlineBuffer } from './inline.ts';
import { fuseLoops, reorderLoops, splitLoop, tileLoops } from './loops.ts';
import { type Step, stepText } from './step.ts';
import { tensorizeLoop } from './tensorize.ts';

export { ScheduleError } from './error.ts';
export { type Step, parseSchedule, scheduleToJson } from './step.ts';
export { stepText };
export { uniqueLoopNames } from './find.ts';

function transform(f: PrimFunc, s: Step): PrimFunc {
  switch (s.kind) {
    case 'split': return splitLoop(f, s.loop, s.factor, s);
    case 'tile': return tileLoops(f, s.loops[0], s.loops[1], s.factors[0], s.factors[1], s);
    case 'reorder': return reorderLoops(f, s.loops, s);
    case 'fuse': return fuseLoops(f, s.outer, s.inner, s);
    case 'unroll': return unrollLoop(f, s.loop, s);
    case 'vectorize': return vectorizeLoop(f, s.loop, s);
    case 'parallel': return parallelLoop(f, s.loop, s);
    case 'bind': return bindLoop(f, s.loop, s.axis, s);
    case 'cache_read': return cacheRead(f, s.buffer, s.scope, s.at, s);
    case 'cache_write': return cacheWrite(f, s.buffer, s.scope, s.at, s);
    case 'compute_at': return computeAt(f, s.buffer, s.at, s);
    case 'inline': return inlineBuffer(f, s.buffer, s);
    case 'double_buffer': return doubleBuffer(f, s.buffer, s);
    case 'tensorize': return tensorizeLoop(f, s.loop, s.intrinsic, s);
  }
}

/** One step on a function whose loop names are unique. */
export function applyStep(f: PrimFunc, step: Step): PrimFunc {
  const out = simplifyFunc(transform(f, step));
  try {
    verifyFunc(out);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    throw new Error(`internal error: ${stepText(step)} produced invalid IR: ${e.message}`);
  }
  return out;
}

/** Applies `steps` in order. The input must verify (a bad input is the caller's error, E_MODEL). */
export function applySchedule(f: PrimFunc, steps: readonly Step[]): PrimFunc {
  verifyFunc(f);
  let out = uniqueLoopNames(f);
  for (const s of steps) out = applyStep(out, s);
  return out;
}
