// Dependence checks. Two iterations conflict when they touch the same element of a buffer and one
// of them writes it. The checks are conservative and simple: every access to a written buffer must
// use one index tuple, and that tuple must pin down the loops whose order matters (affine.ts).
// Buffers allocated inside the loops are private to an iteration and never conflict.
//
//  - A loop carries no dependence (parallel, vectorize, bind) when the tuple pins its variable:
//    different iterations then write different elements.
//  - A reorder is legal when, for every written buffer, the loops the tuple does not pin (those of
//    a reduction, say) keep their relative order. So a sum is never re-associated, and scheduled
//    kernels compute bit-identical results.
import type { Buffer } from '../ir/tensor/buffer.ts';
import { type Var, freeVars } from '../ir/tensor/expr.ts';
import type { For } from '../ir/tensor/stmt.ts';
import { printExpr } from '../ir/tensor/print.ts';
import { type Access, accessesIn, allocatedIn, sameElements } from './access.ts';
import { pinnedVars } from './affine.ts';
import { loopsIn } from './tree.ts';

const text = (a: Access) => `${a.buffer.name}[${a.indices.map(printExpr).join(', ')}]`;

interface Conflict { readonly buffer: Buffer; readonly message?: string; readonly free: ReadonlySet<Var> }

/**
 * For each buffer written under `root` (and not private to it): the loop variables among `vary`
 * that do not pin the element written, or a message when the accesses disagree.
 */
function conflicts(root: For, vary: ReadonlySet<Var>): Conflict[] {
  const accesses = accessesIn(root.body);
  const local = allocatedIn(root.body);
  const extents = new Map<Var, number>();
  for (const l of [root, ...loopsIn(root.body)]) if (l.extent.kind === 'const') extents.set(l.loopVar, l.extent.value);
  const out: Conflict[] = [];
  const written = new Set(accesses.filter((a) => a.kind === 'store' && !local.has(a.buffer)).map((a) => a.buffer));
  for (const b of written) {
    const mine = accesses.filter((a) => a.buffer === b);
    const w = mine.find((a) => a.kind === 'store')!;
    const odd = mine.find((a) => !sameElements(a, w));
    if (odd) {
      out.push({ buffer: b, free: vary, message: `${b.name} is written at ${text(w)} and ${odd.kind === 'load' ? 'read' : 'written'} at ${text(odd)}` });
      continue;
    }
    const all = new Set([...vary, ...(w.lanes?.keys() ?? [])]);
    const pinned = pinnedVars(w.indices, all, (v) => extents.get(v) ?? w.lanes?.get(v));
    const used = new Set<Var>();
    for (const i of w.indices) for (const v of freeVars(i)) used.add(v);
    const unpinnedUse = [...used].find((v) => all.has(v) && !pinned.has(v));
    if (unpinnedUse) {
      out.push({ buffer: b, free: vary, message: `the index ${text(w)} does not determine ${unpinnedUse.name}, so different iterations may touch one element` });
      continue;
    }
    out.push({ buffer: b, free: new Set([...vary].filter((v) => !pinned.has(v))) });
  }
  return out;
}

/** Why the iterations of `loop` are not independent, or undefined when they are. */
export function carriedDependence(loop: For): string | undefined {
  const vary = new Set([loop.loopVar, ...loopsIn(loop.body).map((l) => l.loopVar)]);
  for (const c of conflicts(loop, vary)) {
    if (c.message) return c.message;
    if (c.free.has(loop.loopVar)) {
      return `every iteration of ${loop.loopVar.name} updates the same elements of ${c.buffer.name} (a reduction over ${loop.loopVar.name})`;
    }
  }
  return undefined;
}

/** Why permuting the band `before` (outermost first) into `after` could change results. */
export function reorderProblem(before: readonly For[], after: readonly For[]): string | undefined {
  const vary = new Set([before[0].loopVar, ...loopsIn(before[0].body).map((l) => l.loopVar)]);
  for (const c of conflicts(before[0], vary)) {
    if (c.message) return c.message;
    const order = (ls: readonly For[]) => ls.map((l) => l.loopVar).filter((v) => c.free.has(v));
    const was = order(before), now = order(after);
    if (was.some((v, i) => v !== now[i])) {
      return `loops ${was.map((v) => v.name).join(', ')} all update the same elements of ${c.buffer.name}, so their order must stay ${was.map((v) => v.name).join(', ')}`;
    }
  }
  return undefined;
}
