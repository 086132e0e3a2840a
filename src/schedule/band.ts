// A band: loops nested perfectly, one directly in the body of the next, except for guards (ifs
// without else, e.g. the ones split adds for non-divisible extents). Guards are side-effect free, so
// a band can be permuted freely as long as each guard is put back inside every loop it mentions;
// rebuildBand places each one just inside the deepest such loop, which is also where the simplifier
// would hoist it.
import { type Expr, freeVars } from '../ir/tensor/expr.ts';
import { type For, type Stmt, forLoop, ifThen } from '../ir/tensor/stmt.ts';

export interface Band {
  /** Outermost first. */
  readonly loops: readonly For[];
  readonly guards: readonly Expr[];
  /** The body of the innermost loop, below any guards directly around it. */
  readonly body: Stmt;
}

/** Why `s` ends a band (the thing in the way), for messages. */
export function whatIsIn(s: Stmt): string {
  switch (s.kind) {
    case 'seq': return `a sequence of ${s.stmts.length} statements`;
    case 'allocate': return `the allocation of ${s.buffer.name}`;
    case 'if': return 'an if with an else branch';
    case 'store': return `the store to ${s.buffer.name}`;
    case 'barrier': return 'a barrier';
    case 'intrinsic': return `intrinsic ${s.name}`;
    case 'for': return `loop ${s.loopVar.name}`;
  }
}

/**
 * The band from `top` down to `bottom` (default: as deep as it goes). When `bottom` is given but
 * cannot be reached through loops and guards, returns the loop whose body is in the way instead.
 */
export function bandFrom(top: For): Band;
export function bandFrom(top: For, bottom: For): Band | Blocked;
export function bandFrom(top: For, bottom?: For): Band | Blocked {
  const loops: For[] = [top];
  const guards: Expr[] = [];
  let cur = top;
  while (cur !== bottom) {
    let s = cur.body;
    const pending: Expr[] = [];
    while (s.kind === 'if' && !s.otherwise) { pending.push(s.cond); s = s.then; }
    if (s.kind !== 'for') {
      if (bottom) return { blockedAt: cur, by: s };
      break; // guards above a non-loop stay in the innermost loop's body
    }
    guards.push(...pending);
    loops.push(s);
    cur = s;
  }
  return { loops, guards, body: cur.body };
}

/** Where a band stops short of the loop asked for: the last loop reached and what fills its body. */
export interface Blocked { readonly blockedAt: For; readonly by: Stmt }

export function isBand(b: Band | Blocked): b is Band {
  return (b as Band).loops !== undefined;
}

/** Loops in the given order around `body`, each guard just inside the deepest loop it mentions. */
export function rebuildBand(loops: readonly For[], guards: readonly Expr[], body: Stmt): Stmt {
  const depth = (g: Expr) => {
    const vs = freeVars(g);
    let d = -1;
    loops.forEach((l, i) => { if (vs.has(l.loopVar)) d = i; });
    return d;
  };
  const at = guards.map(depth);
  const wrapGuards = (s: Stmt, d: number) => {
    for (let i = guards.length - 1; i >= 0; i--) if (at[i] === d) s = ifThen(guards[i], s);
    return s;
  };
  let s = wrapGuards(body, loops.length - 1);
  for (let i = loops.length - 1; i >= 0; i--) {
    const l = loops[i];
    s = forLoop(l.loopVar, l.min, l.extent, s, l.loopKind, l.thread);
    s = wrapGuards(s, i - 1);
  }
  return s;
}
