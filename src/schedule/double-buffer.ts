// double_buffer(buffer): software pipelining of a cache tile filled at the start of every iteration
// of a loop. The tile gets a leading dim of 2; iteration k computes on half k % 2 while it fetches
// the tile of iteration k + 1 into the other half, after a prologue fetched the first. With shared
// memory under threads, one barrier at the end of each iteration separates both hazards: the
// fetch into a half and the earlier reads of that half, and the reads of a half and its fetch.
import { type Buffer, buffer } from '../ir/tensor/buffer.ts';
import { type Expr, add, floormod, int, lt, sub, variable } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { substStmt } from '../ir/tensor/simplify.ts';
import { type For, type Stmt, allocate, barrier, ifThen, seq } from '../ir/tensor/stmt.ts';
import { accessesIn, readIn, writtenIn } from './access.ts';
import { findAlloc, findBuffer, freshName, takenNames } from './find.ts';
import { type Step, illegal } from './step.ts';
import { loopsIn, pathTo, renameLoops, replaceNode, retarget, withBody } from './tree.ts';

/** The innermost loop around every access of `b`. */
function pipelineLoop(f: PrimFunc, b: Buffer, step: Step): For {
  const acc = accessesIn(f.body).filter((a) => a.buffer === b);
  if (acc.length === 0) illegal(step, `${b.name} is never accessed`);
  let common = acc[0].loops;
  for (const a of acc) common = common.filter((l) => a.loops.includes(l));
  if (common.length === 0) illegal(step, `${b.name} is not used inside a loop, so there is nothing to pipeline`);
  return common[common.length - 1];
}

/** The statements of the loop body below any allocations. */
function bodyStmts(l: For): readonly Stmt[] {
  let s = l.body;
  while (s.kind === 'allocate') s = s.body;
  return s.kind === 'seq' ? s.stmts : [s];
}

interface Plan {
  readonly loop: For;
  /** The loop body's statements (below allocations), and which fill and which read the tile. */
  readonly stmts: readonly Stmt[];
  readonly writers: readonly number[];
  /** Shared memory under threads: barriers fence the halves. */
  readonly threaded: boolean;
}

/** Checks that `b` is filled, then read, in each iteration of the innermost loop around it. */
function plan(f: PrimFunc, b: Buffer, allocAncestors: readonly Stmt[], allocNode: Stmt, step: Step): Plan {
  const l = pipelineLoop(f, b, step);
  const name = l.loopVar.name;
  if (l.loopKind !== 'serial') illegal(step, `loop ${name} is ${l.loopKind}; only a serial loop can be pipelined`);
  const inside = pathTo(l.body, allocNode);
  if (inside && inside.some((s) => s.kind !== 'allocate')) illegal(step, `${b.name} must be allocated directly in the body of loop ${name}`);
  const stmts = bodyStmts(l);
  const writers = stmts.flatMap((s, i) => (writtenIn(s).has(b) ? [i] : []));
  const readers = stmts.flatMap((s, i) => (readIn(s).has(b) ? [i] : []));
  if (writers.length === 0 || readers.length === 0) illegal(step, `${b.name} is not both filled and read in each iteration of loop ${name}`);
  if (Math.max(...writers) >= Math.min(...readers)) illegal(step, `${b.name} must be filled before it is read in each iteration of loop ${name}`);
  const loopWrites = writtenIn(l.body);
  for (const i of writers) {
    const other = [...writtenIn(stmts[i])].find((x) => x !== b);
    if (other) illegal(step, `the statement filling ${b.name} also writes ${other.name}`);
    const stale = [...readIn(stmts[i])].find((x) => x !== b && loopWrites.has(x));
    if (stale) illegal(step, `the fill of ${b.name} reads ${stale.name}, which loop ${name} writes, so it cannot run an iteration early`);
  }
  const around = [...allocAncestors, ...(pathTo(allocNode, l) ?? [])];
  const threaded = b.scope === 'shared' && around.some((s) => s.kind === 'for' && !!s.thread?.startsWith('threadIdx'));
  if (threaded && !stmts.slice(Math.max(...writers), Math.min(...readers)).some((s) => s.kind === 'barrier')) {
    illegal(step, `no barrier separates the fill of ${b.name} from its readers`);
  }
  return { loop: l, stmts, writers, threaded };
}

export function doubleBuffer(f: PrimFunc, bufName: string, step: Step): PrimFunc {
  const b = findBuffer(f, bufName, step);
  if (f.params.includes(b)) illegal(step, `${b.name} is a parameter of ${f.name}; double buffering applies to a cache allocated in a loop`);
  const site = findAlloc(f, b)!;
  const { loop: l, stmts, writers, threaded } = plan(f, b, site.ancestors, site.node, step);
  const b2 = buffer(b.name, b.dtype, [2, ...b.shape], b.scope);
  const k = l.loopVar, half = floormod(sub(k, l.min), int(2));
  const redirect = (s: Stmt) => retarget(s, b, b2, (ix) => [half, ...ix]);
  const shift = (s: Stmt, to: Expr) => substStmt(redirect(s), new Map([[k, to]]));
  const next = stmts.map((s, i) => (writers.includes(i) ? ifThen(lt(add(k, int(1)), add(l.min, l.extent)), shift(s, add(k, int(1)))) : redirect(s)));
  if (threaded && next[next.length - 1].kind !== 'barrier') next.push(barrier);
  // The prologue is a second copy of the fill: its loops need names of their own.
  const taken = takenNames(f);
  const renamed = (s: Stmt) => renameLoops(s, new Map(loopsIn(s).map((x) => [x.loopVar, variable(freshName(taken, `${x.loopVar.name}_pro`))] as const)));
  const fills = writers.map((i) => renamed(shift(stmts[i], l.min)));
  const prologue = ifThen(lt(int(0), l.extent), seq([...fills, ...(threaded ? [barrier] : [])]));
  const rebuild = (s: Stmt): Stmt => {
    if (s.kind !== 'allocate') return seq(next);
    return s.buffer === b ? rebuild(s.body) : allocate(s.buffer, rebuild(s.body));
  };
  const pipelined = seq([prologue, withBody(l, rebuild(l.body))]);
  if (pathTo(l.body, site.node)) return f.withBody(replaceNode(f.body, l, () => allocate(b2, pipelined)));
  return f.withBody(replaceNode(f.body, site.node, () => allocate(b2, replaceNode(site.node.body, l, () => pipelined))));
}
