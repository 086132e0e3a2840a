// The tensor IR verifier: the structural rules every PrimFunc must obey whatever produced it (lowering,
// a schedule step, a .tir file). It collects every problem rather than stopping at the first, so a
// broken transform shows all it broke; each problem names the function, the innermost loop and the buffer.
//
// Rules beyond typing and scoping, and why:
//  - shared buffers exist once per thread block, so they are allocated inside a blockIdx-bound loop
//    (as in CUDA, the allocation may sit inside a threadIdx loop: the block still has one copy);
//  - a local buffer is private to one thread, so it may not enclose a bound loop (its threads would
//    share it); anywhere else, including plain serial code, it is fine;
//  - global buffers come only from parameters; scratchpad and accumulator (NPU memories) are unrestricted;
//  - a bound loop starts at 0 and has a constant extent (its launch dimension); each axis is bound at
//    most once on a path, blockIdx never inside threadIdx, and a block has at most 1024 threads (the
//    product of the largest extent bound to each threadIdx axis);
//  - barriers synchronize the threads of a block, so they only make sense inside a threadIdx loop;
//  - unrolled and vectorized loops need constant extents; inputs are read-only.
import { isFloat } from '../graph/dtype.ts';
import { ModelError } from '../../util/errors.ts';
import type { Buffer } from './buffer.ts';
import { type Expr, INDEX, MATH_FUNCS, Var, children } from './expr.ts';
import type { PrimFunc } from './func.ts';
import { INTRINSICS } from './intrinsics.ts';
import { type For, type IntrinsicArg, type Stmt, type ThreadAxis, THREAD_AXES, isRegion } from './stmt.ts';

export const MAX_THREADS_PER_BLOCK = 1024;

export interface Problem {
  readonly func: string;
  /** Innermost enclosing loop variable, if any. */
  readonly loop?: string;
  readonly message: string;
}

export function describe(p: Problem): string {
  return `func ${p.func}${p.loop ? `, loop ${p.loop}` : ''}: ${p.message}`;
}

/** A function broke the IR's rules. `problems` lists all of them; the message shows the first. */
export class VerifyError extends ModelError {
  constructor(readonly problems: readonly Problem[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(`tensor IR verify: ${describe(problems[0])}${more}`);
  }
}

/** Why an intrinsic call does not fit its definition in intrinsics.ts, or undefined when it does. */
export function intrinsicProblem(name: string, args: readonly IntrinsicArg[]): string | undefined {
  const def = INTRINSICS[name];
  if (!def) return `unknown intrinsic ${name} (known: ${Object.keys(INTRINSICS).join(', ')})`;
  const regions = args.filter(isRegion).length;
  const leading = args.findIndex((a) => !isRegion(a));
  const ordered = leading < 0 || args.slice(leading).every((a) => !isRegion(a));
  if (regions !== def.regions || args.length - regions !== def.scalars || !ordered) {
    return `intrinsic ${name} takes ${def.regions} regions then ${def.scalars} scalars, got ${args.map((a) => (isRegion(a) ? 'region' : 'scalar')).join(', ') || 'none'}`;
  }
  return undefined;
}

/** Throws VerifyError unless `f` obeys every rule. */
export function verifyFunc(f: PrimFunc): void {
  const problems = checkFunc(f);
  if (problems.length > 0) throw new VerifyError(problems);
}

interface Scope {
  readonly vars: ReadonlySet<Var>;
  readonly buffers: ReadonlySet<Buffer>;
  readonly loop?: string;
  readonly axes: ReadonlySet<ThreadAxis>;
  readonly inBlock: boolean;
  readonly inThread: boolean;
}

const isBlockAxis = (a: ThreadAxis) => a.startsWith('blockIdx');

/** Every problem of `f`, in program order; empty when it is well formed. */
export function checkFunc(f: PrimFunc): Problem[] {
  const problems: Problem[] = [];
  const inputs = new Set(f.inputs);
  const report = (sc: Scope | undefined, message: string) => problems.push({ func: f.name, loop: sc?.loop, message });

  const names = new Set<string>();
  for (const b of f.params) {
    if (names.has(b.name)) report(undefined, `parameter ${b.name} is declared twice`);
    names.add(b.name);
    if (b.scope !== 'global') report(undefined, `parameter ${b.name} is in ${b.scope} scope; parameters are global`);
  }

  const expr = (e: Expr, sc: Scope) => checkExpr(e, sc, (m) => report(sc, m));

  const indices = (b: Buffer, idx: readonly Expr[], what: string, sc: Scope) => {
    if (!sc.buffers.has(b)) report(sc, `${what} of buffer ${b.name}, which is neither a parameter nor allocated here`);
    if (idx.length !== b.rank) report(sc, `${what} of ${b.name} with ${idx.length} indices, but ${b.name} has rank ${b.rank}`);
    for (const i of idx) {
      expr(i, sc);
      if (i.dtype !== INDEX) report(sc, `index of ${b.name} is ${i.dtype}, expected ${INDEX}`);
    }
  };

  const stmt = (s: Stmt, sc: Scope): void => {
    switch (s.kind) {
      case 'for': return loop(s, sc);
      case 'store':
        indices(s.buffer, s.indices, 'store', sc);
        expr(s.value, sc);
        if (s.value.dtype !== s.buffer.dtype) report(sc, `storing ${s.value.dtype} into ${s.buffer.name} of ${s.buffer.dtype}`);
        if (inputs.has(s.buffer)) report(sc, `store into input ${s.buffer.name}; inputs are read-only`);
        return;
      case 'allocate': {
        const b = s.buffer;
        if ([...sc.buffers].some((x) => x.name === b.name)) report(sc, `buffer ${b.name} is allocated while another ${b.name} is in scope`);
        scopeRules(b, s.body, sc);
        return stmt(s.body, { ...sc, buffers: new Set([...sc.buffers, b]) });
      }
      case 'seq': for (const x of s.stmts) stmt(x, sc); return;
      case 'if':
        expr(s.cond, sc);
        if (s.cond.dtype !== 'bool') report(sc, `if condition is ${s.cond.dtype}, expected bool`);
        stmt(s.then, sc);
        if (s.otherwise) stmt(s.otherwise, sc);
        return;
      case 'barrier':
        if (!sc.inThread) report(sc, 'barrier outside every threadIdx-bound loop');
        return;
      case 'intrinsic': return intrinsicStmt(s.name, s.args, sc);
    }
  };

  const scopeRules = (b: Buffer, body: Stmt, sc: Scope) => {
    if (b.scope === 'global') report(sc, `allocation of ${b.name} in global scope; global buffers are parameters`);
    if (b.scope === 'shared' && !sc.inBlock) report(sc, `shared buffer ${b.name} must be allocated inside a blockIdx-bound loop`);
    if (b.scope === 'local' && containsBound(body)) report(sc, `local buffer ${b.name} encloses a bound loop, so threads would share it`);
  };

  const loop = (s: For, sc: Scope) => {
    const v = s.loopVar, at = { ...sc, loop: v.name };
    expr(s.min, sc);
    expr(s.extent, sc);
    if (v.dtype !== INDEX || s.min.dtype !== INDEX || s.extent.dtype !== INDEX) report(at, `loop variable and bounds must be ${INDEX}`);
    if (sc.vars.has(v)) report(at, `loop variable ${v.name} is bound again inside its own loop`);
    const constExtent = s.extent.kind === 'const';
    if ((s.loopKind === 'unrolled' || s.loopKind === 'vectorized') && !constExtent) report(at, `${s.loopKind} loop needs a constant extent`);
    let inner: Scope = { ...at, vars: new Set([...sc.vars, v]) };
    if (s.loopKind === 'bound') inner = boundLoop(s, at, inner);
    stmt(s.body, inner);
  };

  const boundLoop = (s: For, at: Scope, inner: Scope): Scope => {
    const axis = s.thread!;
    if (!THREAD_AXES.includes(axis)) { report(at, `unknown thread axis ${axis}`); return inner; }
    if (!(s.min.kind === 'const' && s.min.value === 0)) report(at, `loop bound to ${axis} must start at 0`);
    if (!(s.extent.kind === 'const' && s.extent.value >= 1)) report(at, `loop bound to ${axis} needs a constant extent ≥ 1`);
    if (at.axes.has(axis)) report(at, `${axis} is bound twice on one path`);
    const block = isBlockAxis(axis);
    if (block && at.inThread) report(at, `${axis} is bound inside a threadIdx-bound loop`);
    // Threads per block are counted once, at the outermost loop that starts a block (or at the
    // outermost thread loop of a kernel with no block axes).
    if ((block && !at.inBlock) || (!block && !at.inBlock && !at.inThread)) {
      const threads = threadsPerBlock(s);
      if (threads > MAX_THREADS_PER_BLOCK) report(at, `${threads} threads per block exceed ${MAX_THREADS_PER_BLOCK}`);
    }
    return { ...inner, axes: new Set([...at.axes, axis]), inBlock: at.inBlock || block, inThread: at.inThread || !block };
  };

  const intrinsicStmt = (name: string, args: readonly IntrinsicArg[], sc: Scope) => {
    const why = intrinsicProblem(name, args);
    if (why) report(sc, why);
    args.forEach((a, k) => {
      if (!isRegion(a)) { expr(a, sc); return; }
      indices(a.buffer, a.offsets, `intrinsic ${name} region`, sc);
      if (a.extents.length !== a.buffer.rank) report(sc, `intrinsic ${name} region of ${a.buffer.name} has ${a.extents.length} extents, but ${a.buffer.name} has rank ${a.buffer.rank}`);
      a.extents.forEach((n, d) => {
        const off = a.offsets[d];
        if (!(n >= 1)) report(sc, `intrinsic ${name} region of ${a.buffer.name} has extent ${n} in dim ${d}`);
        else if (off?.kind === 'const' && d < a.buffer.rank && (off.value < 0 || off.value + n > a.buffer.shape[d])) {
          report(sc, `intrinsic ${name} region of ${a.buffer.name} exceeds dim ${d} (${off.value} + ${n} > ${a.buffer.shape[d]})`);
        }
      });
      // The first region is the one an intrinsic writes (see intrinsics.ts).
      if (k === 0 && inputs.has(a.buffer)) report(sc, `intrinsic ${name} writes input ${a.buffer.name}; inputs are read-only`);
    });
  };

  stmt(f.body, { vars: new Set(), buffers: new Set(f.params), axes: new Set(), inBlock: false, inThread: false });
  return problems;
}

/** Type and scope rules of one expression tree (shared subtrees are checked once). */
function checkExpr(root: Expr, sc: Scope, report: (m: string) => void): void {
  const seen = new Set<Expr>();
  const visit = (e: Expr) => {
    if (seen.has(e)) return;
    seen.add(e);
    for (const c of children(e)) visit(c);
    switch (e.kind) {
      case 'var':
        if (!sc.vars.has(e)) report(`variable ${e.name} is not bound by an enclosing loop`);
        return;
      case 'load':
        if (!sc.buffers.has(e.buffer)) report(`load of buffer ${e.buffer.name}, which is neither a parameter nor allocated here`);
        if (e.indices.length !== e.buffer.rank) report(`load of ${e.buffer.name} with ${e.indices.length} indices, but ${e.buffer.name} has rank ${e.buffer.rank}`);
        for (const i of e.indices) if (i.dtype !== INDEX) report(`index of ${e.buffer.name} is ${i.dtype}, expected ${INDEX}`);
        if (e.dtype !== e.buffer.dtype) report(`load of ${e.buffer.name} typed ${e.dtype}, buffer is ${e.buffer.dtype}`);
        return;
      case 'binary':
        if (e.a.dtype !== e.b.dtype) report(`${e.op} of ${e.a.dtype} and ${e.b.dtype}`);
        return;
      case 'select':
        if (e.cond.dtype !== 'bool') report(`select condition is ${e.cond.dtype}, expected bool`);
        if (e.a.dtype !== e.b.dtype) report(`select of ${e.a.dtype} and ${e.b.dtype}`);
        return;
      case 'call':
        if (!(MATH_FUNCS as readonly string[]).includes(e.fn) || e.args.length !== 1) report(`call of ${e.fn} with ${e.args.length} arguments`);
        else if (e.fn !== 'abs' && e.fn !== 'sign' && !isFloat(e.args[0].dtype)) report(`${e.fn} of ${e.args[0].dtype}`);
        return;
      default:
        return;
    }
  };
  visit(root);
}

function containsBound(s: Stmt): boolean {
  if (s.kind === 'for' && s.loopKind === 'bound') return true;
  switch (s.kind) {
    case 'for': case 'allocate': return containsBound(s.body);
    case 'seq': return s.stmts.some(containsBound);
    case 'if': return containsBound(s.then) || (s.otherwise !== undefined && containsBound(s.otherwise));
    default: return false;
  }
}

/** Threads of the block started at `s`: the product over threadIdx axes of the largest extent bound to each. */
function threadsPerBlock(s: For): number {
  const most = new Map<ThreadAxis, number>();
  const visit = (x: Stmt) => {
    if (x.kind === 'for' && x.loopKind === 'bound' && x.thread && !isBlockAxis(x.thread) && x.extent.kind === 'const') {
      most.set(x.thread, Math.max(most.get(x.thread) ?? 1, x.extent.value));
    }
    switch (x.kind) {
      case 'for': case 'allocate': visit(x.body); break;
      case 'seq': x.stmts.forEach(visit); break;
      case 'if': visit(x.then); if (x.otherwise) visit(x.otherwise); break;
      default: break;
    }
  };
  visit(s);
  return [...most.values()].reduce((a, b) => a * b, 1);
}
