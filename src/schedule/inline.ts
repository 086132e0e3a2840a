// inline(buffer): an intermediate written by one plain store, T[i, j] = e(i, j), in a nest of loops
// that index it, disappears: every load T[x, y] becomes e(x, y) and the producer and the allocation
// go. Legal when e reads nothing that changes between the producer and the consumers, and the
// consumers sit inside the loops whose variables e mentions besides the indices.
import { isPackedFloat } from '../ir/graph/dtype.ts';
import { type Expr, type Var, Var as VarClass, freeVars, substitute } from '../ir/tensor/expr.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { type For, type Stmt, type Store, seq } from '../ir/tensor/stmt.ts';
import { type Access, accessesIn } from './access.ts';
import { findAlloc, findBuffer } from './find.ts';
import { type Step, illegal } from './step.ts';
import { enclosingLoops, loadsOf, mapLoads, pathTo, replaceNode, walkStmt } from './tree.ts';

/** The producer: the store and the loops directly around it that index the buffer. */
function producer(w: Access, step: Step): { top: Stmt; loops: For[]; store: Store } {
  const st = w.stmt as Store;
  const chain = [...w.path, st];
  let j = chain.length - 1;
  while (j > 0 && chain[j - 1].kind === 'for') j--;
  if (j > 0 && chain[j - 1].kind === 'if') illegal(step, `the store to ${st.buffer.name} is guarded by an if`);
  const loops = chain.slice(j, -1) as For[];
  st.indices.forEach((ix, d) => {
    if (ix.kind === 'const' && st.buffer.shape[d] === 1) return;
    const l = loops.find((x) => x.loopVar === ix);
    if (!l || l.min.kind !== 'const' || l.min.value !== 0 || l.extent.kind !== 'const' || l.extent.value !== st.buffer.shape[d]) {
      illegal(step, `dim ${d} of ${st.buffer.name} is not swept by a plain loop of its producer`);
    }
  });
  const spare = loops.find((l) => !st.indices.includes(l.loopVar));
  if (spare) illegal(step, `loop ${spare.loopVar.name} around the store to ${st.buffer.name} does not index it`);
  return { top: chain[j], loops, store: st };
}

/** Pre-order positions of every node, to tell what runs after what. */
function positions(root: Stmt): Map<Stmt, number> {
  const out = new Map<Stmt, number>();
  walkStmt(root, (s) => { out.set(s, out.size); });
  return out;
}

function lastPosition(s: Stmt, pos: Map<Stmt, number>): number {
  let last = pos.get(s)!;
  walkStmt(s, (x) => { last = Math.max(last, pos.get(x)!); });
  return last;
}

export function inlineBuffer(f: PrimFunc, bufName: string, step: Step): PrimFunc {
  const b = findBuffer(f, bufName, step);
  if (f.params.includes(b)) illegal(step, `${b.name} is a parameter of ${f.name}; only an allocated intermediate can be inlined`);
  if (isPackedFloat(b.dtype)) illegal(step, `${b.name} is ${b.dtype}; inlining would skip the rounding its stores perform`);
  const site = findAlloc(f, b)!;
  const all = accessesIn(site.node.body).filter((a) => a.buffer === b);
  const writes = all.filter((a) => a.kind === 'store');
  if (writes.length !== 1 || writes[0].stmt.kind !== 'store') illegal(step, `${b.name} is written by ${writes.length} statements; inline needs exactly one plain store`);
  const { top, loops, store } = producer(writes[0], step);
  if (loadsOf(store.value).some((l) => l.buffer === b)) illegal(step, `the value stored to ${b.name} reads ${b.name} (a reduction cannot be inlined)`);
  const pos = positions(site.node.body);
  const end = lastPosition(top, pos);
  const consumers = all.filter((a) => a.kind === 'load');
  const region = consumers.find((a) => a.stmt.kind === 'intrinsic');
  if (region && region.stmt.kind === 'intrinsic') illegal(step, `intrinsic ${region.stmt.name} reads ${b.name} as a region, which has no expression to inline`);
  const early = consumers.find((a) => pos.get(a.stmt)! <= end);
  if (early) illegal(step, `${b.name} is read before its producer has finished`);
  const sources = new Set(loadsOf(store.value).map((l) => l.buffer));
  const later = accessesIn(site.node.body).find((a) => a.kind === 'store' && sources.has(a.buffer) && pos.get(a.stmt)! > end);
  if (later) illegal(step, `${later.buffer.name}, which the producer of ${b.name} reads, is written again before the consumers run`);
  for (const src of sources) {
    const alloc = f.params.includes(src) ? undefined : findAlloc(f, src)?.node;
    const out = alloc && consumers.find((c) => !pathTo(alloc, c.stmt));
    if (out) illegal(step, `the value of ${b.name} reads ${src.name}, which is not allocated where ${b.name} is read`);
  }
  const own = new Set<Var>(loops.map((l) => l.loopVar));
  const needed = [...freeVars(store.value)].filter((v) => !own.has(v));
  for (const c of consumers) {
    const around = new Set([...enclosingLoops(site.ancestors), ...c.loops].map((l) => l.loopVar));
    const missing = needed.find((v) => !around.has(v));
    if (missing) illegal(step, `a consumer of ${b.name} is outside loop ${missing.name}, which its value depends on`);
  }
  const dims = store.indices;
  const value = (indices: readonly Expr[]) => substitute(store.value, new Map(
    dims.flatMap((ix, d) => (ix instanceof VarClass ? [[ix, indices[d]] as const] : [])),
  ));
  const body = mapLoads(replaceNode(site.node.body, top, () => seq([])), b, (ld) => value(ld.indices));
  return f.withBody(replaceNode(f.body, site.node, () => body));
}
