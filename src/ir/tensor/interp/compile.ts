// PrimFunc → one JavaScript function (source text → `new Function`), cached per PrimFunc object.
// Loops become JS loops over int32 counters, buffers typed arrays indexed with constant strides,
// and every access that interval analysis cannot prove in bounds goes through a small checking
// accessor (V8 inlines it), so a schedule bug fails loudly instead of reading garbage.
//
// Threads. A "thread program" is the body of an innermost blockIdx loop that contains threadIdx
// loops, or a threadIdx loop outside any block loop (a kernel launch of its own, as a host/device
// split would make it). Blocks run one after another; each thread of a block runs the whole
// program, every threadIdx loop becoming a guard `t < extent` on the thread's coordinate (the block
// has the largest extent bound to each axis). A program with barriers is emitted as a generator
// that yields at each barrier and is driven in lock step by threads.ts; one without runs thread
// after thread, which is the same single phase.
//
// Memory. Parameters are the caller's arrays. Allocations are poisoned (NaN, or an extreme integer)
// so reading what nobody wrote shows up as a wrong answer. `local` is private to a thread, `shared`
// (and `global`) allocations inside a program exist once per block, `scratchpad` and `accumulator`
// (NPU on-chip memory) once per call.
import type { TypedArray } from '../../graph/dtype.ts';
import { ModelError } from '../../../util/errors.ts';
import type { Interval } from '../bounds.ts';
import { bounds } from '../bounds.ts';
import type { Buffer } from '../buffer.ts';
import { type Const, type Expr, type Var, freeVars } from '../expr.ts';
import type { PrimFunc } from '../func.ts';
import { type Allocate, type For, type Stmt, type ThreadAxis, isRegion } from '../stmt.ts';
import { type ExprScope, assume, literal, emitCond, emitExpr, emitStore, flatOffset } from './expr-js.ts';
import { type IntrinsicFn, compileIntrinsic } from './intrinsics.ts';
import { rt } from './runtime.ts';
import { blockAllocations, hasBarrier, hasBlockLoop, hasThreadLoop, isBlockLoop, isThreadLoop, threadLoops, writtenBuffers } from './scan.ts';
import { runLockstep } from './threads.ts';
import { checkSupported, toStorage } from './values.ts';

export interface CompiledFunc {
  /** The generated JavaScript, for debugging. */
  readonly source: string;
  /** Runs the kernel on one array per parameter (inputs then outputs), in place. */
  run(arrays: readonly TypedArray[]): void;
}

interface Program {
  readonly generator: boolean;
  /** Block-level arrays of the shared/global allocations inside the program. */
  readonly shared: ReadonlyMap<Allocate, string>;
  /** Thread axes bound by the thread loops around the statement being emitted. */
  readonly axes: Set<ThreadAxis>;
  /** Declarations emitted at the start of each generator thread (its private arrays). */
  readonly prologue: string[];
}

/** An allocation outside any thread program that encloses the statement being emitted. */
interface Enclosing { readonly buffer: Buffer; readonly name: string; readonly perThread?: string }

const THREAD_COORD: Partial<Record<ThreadAxis, string>> = { 'threadIdx.x': '$tx', 'threadIdx.y': '$ty', 'threadIdx.z': '$tz' };
const RT_NAMES = Object.keys(rt).join(', ');

/** Identifiers of IR names never contain `$`; the compiler's own names always do. */
const ident = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');

class Compiler implements ExprScope {
  readonly ranges = new Map<Var, Interval>();
  readonly facts = new Map<Expr, Interval>();
  readonly intrinsics: IntrinsicFn[] = [];
  private readonly lines: string[] = [];
  private readonly prelude: string[] = [];
  private readonly hoisted: string[] = [];
  private readonly names = new Map<Var, string>();
  private readonly live = new Map<Var, number>();
  private readonly bufs = new Map<Buffer, string>();
  private readonly accessors = new Map<string, string>();
  private readonly enclosing: Enclosing[] = [];
  private readonly blockVars: string[] = [];
  private program?: Program;
  private depth = 1;
  private nextId = 0;
  private barriers = 0;

  constructor(private readonly f: PrimFunc) {}

  private error(msg: string): ModelError { return new ModelError(`kernel ${this.f.name}: ${msg}`); }
  private fresh(base: string): string { return `${ident(base)}$${this.nextId++}`; }
  private line(text: string): void { this.lines.push('  '.repeat(this.depth) + text); }
  private indented(body: () => void): void {
    this.depth++;
    body();
    this.depth--;
  }
  private block(head: string, body: () => void): void {
    this.line(head);
    this.indented(body);
    this.line('}');
  }

  // ------------------------------------------------------------ ExprScope

  varName(v: Var): string {
    if (!this.live.get(v)) throw this.error(`variable ${v.name} is used outside the loops that bind it`);
    return this.names.get(v)!;
  }

  bufName(b: Buffer): string {
    const n = this.bufs.get(b);
    if (!n) throw this.error(`buffer ${b.name} is neither a parameter nor allocated around its use`);
    return n;
  }

  accessor(b: Buffer, kind: 'load' | 'store', int32: boolean): string {
    const key = `${kind}|${b.id}|${int32}`;
    let name = this.accessors.get(key);
    if (name) return name;
    name = `$${kind === 'load' ? 'ld' : 'st'}${b.id}${int32 ? '' : 'g'}`;
    const idx = b.shape.map((_, d) => `i${d}`);
    // For int32 indices one unsigned compare per dim tests 0 <= i < n.
    const inside = b.shape.map((n, d) => (int32 ? `(i${d} >>> 0) < ${n}` : `i${d} >= 0 && i${d} < ${n}`)).join(' && ');
    const fail = `oob(KERNEL, '${kind}', ${JSON.stringify(b.name)}, ${JSON.stringify(b.shape)}, [${idx.join(', ')}])`;
    const at = `a[${flatOffset(b.shape, idx)}]`;
    this.prelude.push(kind === 'load'
      ? `function ${name}(a, ${idx.join(', ')}) { if (!(${inside})) ${fail}; return ${at}; }`
      : `function ${name}(a, ${idx.join(', ')}, v) { if (!(${inside})) ${fail}; ${at} = v; }`);
    this.accessors.set(key, name);
    return name;
  }

  // ------------------------------------------------------------ scopes

  private withVar(v: Var, min: Expr, extent: Expr, body: (name: string) => void): void {
    const m = bounds(min, this.ranges), e = bounds(extent, this.ranges);
    let name = this.names.get(v);
    if (!name) { name = this.fresh(v.name); this.names.set(v, name); }
    const prev = this.ranges.get(v);
    this.ranges.set(v, { lo: m.lo, hi: m.hi + e.hi - 1 });
    this.live.set(v, (this.live.get(v) ?? 0) + 1);
    // Facts about the outer binding of v say nothing about the new one.
    const stale = [...this.facts].filter(([x]) => freeVars(x).has(v));
    for (const [x] of stale) this.facts.delete(x);
    body(name);
    for (const [x, iv] of stale) this.facts.set(x, iv);
    this.live.set(v, this.live.get(v)! - 1);
    if (prev) this.ranges.set(v, prev); else this.ranges.delete(v);
  }

  private withBuf(b: Buffer, name: string, body: () => void): void {
    const prev = this.bufs.get(b);
    this.bufs.set(b, name);
    body();
    if (prev) this.bufs.set(b, prev); else this.bufs.delete(b);
  }

  // ------------------------------------------------------------ statements

  stmt(s: Stmt): void {
    switch (s.kind) {
      case 'for': return this.loop(s);
      case 'store': {
        const value = toStorage(s.buffer.dtype, emitExpr(s.value, this));
        return this.line(emitStore(s.buffer, s.indices, value, this));
      }
      case 'allocate': return this.allocate(s);
      case 'seq': for (const x of s.stmts) this.stmt(x); return;
      case 'if':
        this.line(`if (${emitCond(s.cond, this)}) {`);
        this.indented(() => assume(s.cond, this.facts, () => this.stmt(s.then)));
        if (s.otherwise) {
          this.line('} else {');
          this.indented(() => this.stmt(s.otherwise!));
        }
        return this.line('}');
      case 'barrier':
        // Outside a thread program there is one thread, and a barrier has nothing to wait for.
        return this.line(this.program?.generator ? `yield ${this.barriers++};` : '// barrier (single thread)');
      case 'intrinsic': {
        const k = this.intrinsics.push(compileIntrinsic(this.f.name, s)) - 1;
        const regions = s.args.filter(isRegion), scalars = s.args.filter((a) => !isRegion(a));
        const arrays = regions.map((r) => this.bufName(r.buffer)).join(', ');
        const offsets = regions.map((r) => `[${r.offsets.map((o) => emitExpr(o, this)).join(', ')}]`).join(', ');
        const values = scalars.map((a) => emitExpr(a as Expr, this)).join(', ');
        return this.line(`intr[${k}]([${arrays}], [${offsets}], [${values}]);`);
      }
    }
  }

  private loop(s: For): void {
    if (isThreadLoop(s)) return this.program ? this.threadGuard(s) : this.launch(s);
    if (isBlockLoop(s) && this.program) throw this.error(`${s.thread} loop ${s.loopVar.name} is nested inside thread loops`);
    // Bounds are evaluated before the loop variable exists, so `for i in range(i, …)` sees the outer i.
    const constant = s.min.kind === 'const' && s.extent.kind === 'const';
    const lo = constant ? emitExpr(s.min, this) : `$lo${this.nextId++}`;
    const end = constant ? literal((s.min as Const).value + (s.extent as Const).value) : `$end${this.nextId++}`;
    this.block('{', () => {
      if (!constant) this.line(`const ${lo} = ${emitExpr(s.min, this)}, ${end} = ${lo} + ${emitExpr(s.extent, this)};`);
      this.withVar(s.loopVar, s.min, s.extent, (v) => {
        this.block(`for (let ${v} = ${lo}; ${v} < ${end}; ${v}++) {`, () => {
          if (!isBlockLoop(s)) return this.stmt(s.body);
          this.blockVars.push(v);
          if (!hasBlockLoop(s.body) && hasThreadLoop(s.body)) this.launch(s.body); else this.stmt(s.body);
          this.blockVars.pop();
        });
      });
    });
  }

  /** A threadIdx loop inside a program: the thread whose coordinate is in range runs the body once. */
  private threadGuard(s: For): void {
    const axis = s.thread!, axes = this.program!.axes;
    if (axes.has(axis)) throw this.error(`loop ${s.loopVar.name} binds ${axis}, which an enclosing loop already binds`);
    const t = THREAD_COORD[axis]!, lo = `$lo${this.nextId++}`;
    this.block(`if (${t} < ${emitExpr(s.extent, this)}) {`, () => {
      this.line(`const ${lo} = ${emitExpr(s.min, this)};`);
      this.withVar(s.loopVar, s.min, s.extent, (v) => {
        this.line(`const ${v} = (${lo} + ${t}) | 0;`);
        axes.add(axis);
        this.stmt(s.body);
        axes.delete(axis);
      });
    });
  }

  /** Runs `root` as a thread program: once per thread of a block, in lock step when it has barriers. */
  private launch(root: Stmt): void {
    const loops = threadLoops(root);
    const dims = (['x', 'y', 'z'] as const).map((a) => {
      const exts = loops.filter((l) => l.thread === `threadIdx.${a}`).map((l) => this.threadExtent(l));
      return exts.length ? `Math.max(0, ${exts.join(', ')})` : '1';
    });
    const generator = hasBarrier(root);
    const shared = new Map<Allocate, string>();
    this.block('{', () => {
      this.line(`const $gx = ${dims[0]}, $gy = ${dims[1]}, $gz = ${dims[2]};`);
      for (const a of blockAllocations(root)) {
        checkSupported(a.buffer.dtype, `buffer ${a.buffer.name}`);
        const n = this.fresh(a.buffer.name);
        shared.set(a, n);
        this.line(`const ${n} = alloc(${JSON.stringify(a.buffer.dtype)}, ${a.buffer.size});`);
      }
      // Shared memory allocated around the block loops is still fresh for every block.
      for (const e of this.enclosing) if (e.buffer.scope === 'shared') this.line(`repoison(${e.name}, ${JSON.stringify(e.buffer.dtype)});`);
      const outer = this.program;
      this.program = { generator, shared, axes: new Set(), prologue: [] };
      const threadBody = () => { this.threadLocals(); this.stmt(root); };
      if (generator) {
        const prog = `$thread${this.nextId++}`;
        this.block(`function* ${prog}($tx, $ty, $tz) {`, () => {
          const at = this.lines.length;
          threadBody();
          this.lines.splice(at, 0, ...this.program!.prologue.map((p) => '  '.repeat(this.depth) + p));
        });
        this.line('const $threads = [];');
        this.line(`for (let z = 0; z < $gz; z++) for (let y = 0; y < $gy; y++) for (let x = 0; x < $gx; x++) $threads.push(${prog}(x, y, z));`);
        this.line(`runLockstep($threads, { kernel: KERNEL, block: ${this.blockText()}, dims: [$gx, $gy, $gz] });`);
      } else {
        this.block('for (let $tz = 0; $tz < $gz; $tz++) for (let $ty = 0; $ty < $gy; $ty++) for (let $tx = 0; $tx < $gx; $tx++) {', threadBody);
      }
      this.program = outer;
    });
  }

  private threadExtent(l: For): string {
    for (const v of freeVars(l.extent)) {
      if (!this.live.get(v)) throw this.error(`the extent of thread loop ${l.loopVar.name} depends on ${v.name}, bound inside the block`);
    }
    return emitExpr(l.extent, this);
  }

  private blockText(): string {
    return this.blockVars.length ? `"(" + ${this.blockVars.join(' + ", " + ')} + ")"` : '"(0)"';
  }

  /** Local buffers allocated around the thread program: each thread gets its own copy. */
  private threadLocals(): void {
    const key = [...this.blockVars, '"|"', '$tx', '$ty', '$tz'].join(' + "," + ');
    for (const e of this.enclosing) {
      if (!e.perThread) continue;
      this.line(`const ${e.name} = threadLocal(${e.perThread}, ${key}, ${JSON.stringify(e.buffer.dtype)}, ${e.buffer.size});`);
    }
  }

  private allocate(s: Allocate): void {
    const b = s.buffer, dt = JSON.stringify(b.dtype);
    checkSupported(b.dtype, `buffer ${b.name}`);
    const body = (name: string) => this.withBuf(b, name, () => this.stmt(s.body));
    const decl = (n: string) => `const ${n} = alloc(${dt}, ${b.size});`;
    if (b.scope === 'scratchpad' || b.scope === 'accumulator') {
      const n = this.fresh(b.name);
      this.hoisted.push(decl(n));
      return body(n);
    }
    const shared = this.program?.shared.get(s);
    if (shared) return body(shared);
    // The array is made once, where it lives long enough (the call, or one generator thread), and
    // refilled with poison each time the allocation is entered.
    const n = this.fresh(b.name);
    (this.program?.generator ? this.program.prologue : this.hoisted).push(decl(n));
    this.block('{', () => {
      this.line(`repoison(${n}, ${dt});`);
      if (this.program || !hasThreadLoop(s.body)) return body(n);
      const perThread = b.scope === 'local' ? `${n}$threads` : undefined;
      if (perThread) this.line(`const ${perThread} = new Map();`);
      this.enclosing.push({ buffer: b, name: n, perThread });
      body(n);
      this.enclosing.pop();
    });
  }


  // ------------------------------------------------------------ the function

  compile(): CompiledFunc {
    const f = this.f, params = f.params;
    const names = params.map((b, i) => {
      checkSupported(b.dtype, `parameter ${b.name}`);
      if (params.indexOf(b) !== i) throw this.error(`buffer ${b.name} is passed twice`);
      const n = `${ident(b.name)}$p${i}`;
      this.bufs.set(b, n);
      return n;
    });
    const written = writtenBuffers(f.body);
    for (const b of f.inputs) if (written.has(b)) throw this.error(`it writes its input ${b.name}`);
    this.stmt(f.body);
    const source = [
      "'use strict';",
      `const { ${RT_NAMES} } = rt;`,
      `const KERNEL = ${JSON.stringify(f.name)};`,
      ...this.prelude,
      `return function ${ident(f.name)}$kernel(${names.join(', ')}) {`,
      ...this.hoisted.map((h) => `  ${h}`),
      ...this.lines,
      '};',
    ].join('\n');
    const fn = new Function('rt', 'runLockstep', 'intr', source)(rt, runLockstep, this.intrinsics) as (...a: TypedArray[]) => void;
    return { source, run: (arrays) => fn(...arrays) };
  }
}

const cache = new WeakMap<PrimFunc, CompiledFunc>();

/** Compiles a PrimFunc (once per PrimFunc object) into a runnable JavaScript function. */
export function compileFunc(f: PrimFunc): CompiledFunc {
  let c = cache.get(f);
  if (!c) { c = new Compiler(f).compile(); cache.set(f, c); }
  return c;
}
