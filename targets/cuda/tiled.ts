// The default schedule of a reduction stage whose two innermost spatial loops are long enough
// (matmul, the spatial plane of a convolution): 16×16 output tiles per block, one output per thread
// accumulated in a register (cache_write … local), the reduction split by 16 with the operands each
// step reads staged in shared memory (cache_read … shared: cooperative copies between barriers).
// Outer spatial loops (batch, output channels) are fused onto blockIdx.z. Operands whose staging the
// region analysis refuses, or that would not fit in shared memory, are read from global memory.
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { dtypeInfo } from '../../src/ir/graph/dtype.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { For, Stmt } from '../../src/ir/tensor/stmt.ts';
import { readIn } from '../../src/schedule/access.ts';
import { applySchedule, type Step } from '../../src/schedule/apply.ts';
import { walkStmt } from '../../src/schedule/tree.ts';
import { ARCHS, DEFAULT_ARCH } from './spec.ts';

const TILE = 16;
const K_TILE = 16;
const MAX_GRID_YZ = 65535;
const ext = (l: For) => (l.extent as { value: number }).value;

function sharedBytes(f: PrimFunc): number {
  let n = 0;
  walkStmt(f.body, (s) => { if (s.kind === 'allocate' && s.buffer.scope === 'shared') n += s.buffer.size * dtypeInfo(s.buffer.dtype).bytes; });
  return n;
}

function tryApply(f: PrimFunc, steps: readonly Step[]): PrimFunc | undefined {
  try { return applySchedule(f, steps); } catch { return undefined; }
}

/**
 * The tile side for a loop: the largest divisor of its extent in [4, 16] (a guard around the thread
 * loops would put the barriers of the shared-memory copies under a condition), else 16 when the loop
 * is long (guarded, without shared staging), else none.
 */
function tileOf(n: number): number | undefined {
  for (let d = TILE; d >= 4; d--) if (n % d === 0) return d;
  return n >= 4 * TILE ? TILE : undefined;
}

/** Init store, reduction loop: the shape build.ts gives a reduction stage under its spatial loops. */
function reductionParts(body: Stmt): { out: Buffer; red: For } | undefined {
  if (body.kind !== 'seq' || body.stmts.length < 2) return undefined;
  const [init, red] = body.stmts;
  if (init.kind !== 'store' || red.kind !== 'for' || red.loopKind !== 'serial' || red.extent.kind !== 'const') return undefined;
  return { out: init.buffer, red };
}

/**
 * Steps for `f` (loop names already unique, unit loops simplified away), given its spatial band and
 * the body under it; undefined when the stage is not a tileable reduction.
 */
export function tiledSteps(f: PrimFunc, band: readonly For[], body: Stmt): Step[] | undefined {
  const parts = reductionParts(body);
  if (!parts || band.length < 2) return undefined;
  const p = band[band.length - 2], q = band[band.length - 1], outer = band.slice(0, -2);
  const tp = tileOf(ext(p)), tq = tileOf(ext(q));
  if (!tp || !tq) return undefined;
  if (outer.reduce((n, l) => n * ext(l), 1) > MAX_GRID_YZ) return undefined;
  const [pn, qn] = [p.loopVar.name, q.loopVar.name];
  const steps: Step[] = [{ kind: 'tile', loops: [pn, qn], factors: [tp, tq] }];
  if (outer.length > 0) {
    let name = outer[0].loopVar.name;
    for (const l of outer.slice(1)) { steps.push({ kind: 'fuse', outer: name, inner: l.loopVar.name }); name = `${name}_${l.loopVar.name}_f`; }
    steps.push({ kind: 'bind', loop: name, axis: 'blockIdx.z' });
  }
  steps.push(
    { kind: 'bind', loop: `${pn}_o`, axis: 'blockIdx.y' }, { kind: 'bind', loop: `${qn}_o`, axis: 'blockIdx.x' },
    { kind: 'bind', loop: `${pn}_i`, axis: 'threadIdx.y' }, { kind: 'bind', loop: `${qn}_i`, axis: 'threadIdx.x' },
  );
  let f1 = tryApply(f, steps);
  if (!f1) return undefined;
  const acc: Step = { kind: 'cache_write', buffer: parts.out.name, scope: 'local', at: `${qn}_i` };
  const f2 = tryApply(f1, [acc]);
  if (f2) { steps.push(acc); f1 = f2; }
  const rn = parts.red.loopVar.name;
  if (ext(parts.red) < 2 * K_TILE) return steps;
  const split: Step = { kind: 'split', loop: rn, factor: K_TILE };
  const f3 = tryApply(f1, [split]);
  if (!f3) return steps;
  steps.push(split);
  f1 = f3;
  const limit = ARCHS[DEFAULT_ARCH].sharedBytes;
  for (const b of [...readIn(parts.red)].filter((x) => f.inputs.includes(x))) {
    const stage: Step = { kind: 'cache_read', buffer: b.name, scope: 'shared', at: `${rn}_o` };
    const f4 = tryApply(f1, [stage]);
    if (f4 && sharedBytes(f4) <= limit) { steps.push(stage); f1 = f4; }
  }
  // The inner reduction loop over the staged tile: unrolled, its shared-memory reads become
  // independent loads the scheduler can overlap.
  const unroll: Step = { kind: 'unroll', loop: `${rn}_i` };
  if (tryApply(f1, [unroll])) steps.push(unroll);
  return steps;
}
