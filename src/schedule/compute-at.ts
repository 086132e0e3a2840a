// compute_at(buffer, loop): move the stage that produces an intermediate buffer under a loop of its
// consumer, computing there only the region one iteration of that loop reads (softmax's row max
// under the row loop of the normalization, a conv's padded input tile under its output tile). The
// stage is recomputed per iteration, so it must be a pure function of its inputs: spatial loops
// that index the buffer (one per dim, covering it), with reductions and their init inside. The
// buffer's allocation moves under the loop too, shrunk to the region (TVM's storage shrinking), so
// the loop can later be bound to threads with its stages' buffers private to each iteration.
import type { Ranges } from '../ir/tensor/bounds.ts';
import { type Buffer, buffer } from '../ir/tensor/buffer.ts';
import { type Expr, type Var, add, int, sub } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { substStmt } from '../ir/tensor/simplify.ts';
import { type For, type Seq, type Stmt, allocate, forLoop, seq } from '../ir/tensor/stmt.ts';
import { type Access, accessesIn, readIn, sameIndices, writtenIn } from './access.ts';
import { bandFrom, isBand } from './band.ts';
import { findAlloc, findBuffer, findLoop } from './find.ts';
import { type Box, accessBox, loopRanges } from './region.ts';
import { type Step, illegal } from './step.ts';
import { enclosingLoops, pathTo, replaceNode, retarget, withBody } from './tree.ts';

interface Stage { readonly seq: Seq; readonly producer: number; readonly consumer: number }

/** The sequence, around `l`, in which an earlier statement holds every write of `b`. */
function findStage(f: PrimFunc, b: Buffer, ancestors: readonly Stmt[], l: For, step: Step): Stage {
  const writes = accessesIn(f.body).filter((a) => a.buffer === b && a.kind === 'store');
  if (writes.length === 0) illegal(step, `nothing writes ${b.name}`);
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const s = ancestors[i];
    if (s.kind !== 'seq') continue;
    const consumer = s.stmts.indexOf(ancestors[i + 1] ?? l);
    const producer = s.stmts.findIndex((x, j) => j < consumer && writes.every((w) => pathTo(x, w.stmt)));
    if (producer >= 0) return { seq: s, producer, consumer };
  }
  return illegal(step, `the stage writing ${b.name} is not a statement that runs before the nest of loop ${l.loopVar.name}`);
}

/** The spatial loops of a stage: the outer loops that index `b`, one per non-constant dim. */
function spatialLoops(p: Stmt, b: Buffer, step: Step): For[] {
  if (p.kind !== 'for') illegal(step, `the stage writing ${b.name} is not a loop nest`);
  const mine = accessesIn(p).filter((a) => a.buffer === b);
  const w = mine.find((a) => a.kind === 'store')!;
  const odd = mine.find((a) => a.lanes || !sameIndices(a.indices, w.indices));
  if (odd) illegal(step, `the stage accesses ${b.name} at more than one index, so it cannot be computed piecewise`);
  const other = [...writtenIn(p)].find((x) => x !== b);
  if (other) illegal(step, `the stage writing ${b.name} also writes ${other.name}`);
  const loops: For[] = [];
  const band = bandFrom(p);
  for (const l of band.loops) {
    if (!w.indices.includes(l.loopVar)) break;
    loops.push(l);
  }
  const upper = loops.length > 1 ? bandFrom(p, loops[loops.length - 1]) : undefined;
  if (upper && isBand(upper) && upper.guards.length > 0) illegal(step, `the spatial loops of the stage writing ${b.name} are guarded`);
  w.indices.forEach((ix, d) => {
    if (ix.kind === 'const') return;
    const l = loops.find((x) => x.loopVar === ix);
    if (!l) illegal(step, `dim ${d} of ${b.name} is not indexed by one of the stage's outer loops; compute_at needs the stage as lowered`);
    if (l.min.kind !== 'const' || l.min.value !== 0 || l.extent.kind !== 'const' || l.extent.value !== b.shape[d] || l.loopKind !== 'serial') {
      illegal(step, `loop ${l.loopVar.name} of the stage writing ${b.name} no longer sweeps dim ${d} plainly; apply compute_at before transforming it`);
    }
  });
  return loops;
}

export function computeAt(f: PrimFunc, bufName: string, at: string, step: Step): PrimFunc {
  const b = findBuffer(f, bufName, step);
  if (f.params.includes(b)) illegal(step, `${b.name} is a parameter of ${f.name}; only an intermediate (allocated) stage can move`);
  const { node: l, ancestors } = findLoop(f, at, step);
  const stage = findStage(f, b, ancestors, l, step);
  const p = stage.seq.stmts[stage.producer], c = stage.seq.stmts[stage.consumer];
  const spatial = spatialLoops(p, b, step);
  const reads = readIn(p);
  reads.delete(b);
  for (const s of stage.seq.stmts.slice(stage.producer + 1, stage.consumer)) {
    if (accessesIn(s).some((a) => a.buffer === b)) illegal(step, `a statement between the stage and loop ${at} reads ${b.name}; move that one first`);
    const clash = [...writtenIn(s)].find((x) => reads.has(x));
    if (clash) illegal(step, `a statement between the stage and loop ${at} writes ${clash.name}, which the stage reads`);
  }
  const clash = [...writtenIn(c)].find((x) => reads.has(x));
  if (clash) illegal(step, `the nest of loop ${at} writes ${clash.name}, which the stage reads`);
  const loads = accessesIn(f.body).filter((a) => a.buffer === b && a.kind === 'load' && !pathTo(p, a.stmt));
  const outside = loads.find((a) => !pathTo(l.body, a.stmt));
  if (outside) illegal(step, `${b.name} is also read outside loop ${at}`);
  const box = stageBox(b, p, accessesIn(l.body).filter((a) => a.buffer === b), loopRanges([...enclosingLoops(ancestors), l]));
  // The buffer shrinks to the box and moves under the loop, each iteration holding its own tile.
  const tile = buffer(b.name, b.dtype, box.extents, b.scope);
  const shift = (ix: readonly Expr[]) => ix.map((x, d) => sub(x, box.offsets[d]));
  const moved = restrict(p, spatial, b, box.offsets, box.extents);
  const next = stage.seq.stmts.flatMap((s, i) => {
    if (i === stage.producer) return [];
    if (i === stage.consumer) return [replaceNode(s, l, () => withBody(l, allocate(tile, retarget(seq([moved, l.body]), b, tile, shift))))];
    return [s];
  });
  const alloc = findAlloc(f, b)!.node;
  return f.withBody(replaceNode(f.body, alloc, () => replaceNode(alloc.body, stage.seq, () => seq(next))));
}

/** The region of `b` the consumer reads; dims the stage writes at a constant stay at that constant. */
function stageBox(b: Buffer, p: Stmt, loads: readonly Access[], outer: Ranges): Box {
  const box = accessBox(b, loads, new Map(), outer);
  const w = accessesIn(p).find((a) => a.buffer === b && a.kind === 'store')!;
  return {
    offsets: box.offsets.map((o, d) => (w.indices[d].kind === 'const' ? w.indices[d] : o)),
    extents: box.extents.map((n, d) => (w.indices[d].kind === 'const' ? 1 : n)),
  };
}

/** The stage's spatial loops narrowed to offset + [0, extent) of the dims they index. */
function restrict(p: Stmt, spatial: readonly For[], b: Buffer, offsets: readonly Expr[], extents: readonly number[]): Stmt {
  if (spatial.length === 0) return p;
  const store = accessesIn(p).find((a) => a.buffer === b && a.kind === 'store')!;
  const dimOf = (v: Var) => store.indices.indexOf(v);
  const map = new Map(spatial.map((l) => [l.loopVar, add(offsets[dimOf(l.loopVar)], l.loopVar)] as const));
  let s = substStmt(spatial[spatial.length - 1].body, map);
  for (let i = spatial.length - 1; i >= 0; i--) {
    const l = spatial[i];
    s = forLoop(l.loopVar, int(0), int(extents[dimOf(l.loopVar)]), s, l.loopKind, l.thread);
  }
  return s;
}

