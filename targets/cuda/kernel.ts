// One scheduled PrimFunc → one `__global__` function. Loops bound to blockIdx/threadIdx become the
// launch grid and block (the largest extent per axis; smaller loops are guarded), `shared` buffers
// `__shared__` arrays, `local`/`accumulator` buffers per-thread arrays (registers after unrolling),
// barriers `__syncthreads()`, vectorized loops of 4 f32 lanes float4 accesses (vector.ts). A function
// without bound loops runs as one thread (unless a kernel template takes it, templates.ts).
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { type For, type IntrinsicArg, type Stmt, type ThreadAxis, isRegion, stmtChildren } from '../../src/ir/tensor/stmt.ts';
import { ExprPrinter, constText, flatIndex } from './expr.ts';
import { cType } from './spec.ts';
import { LANES, type VectorLoop, lane, vectorLoop } from './vector.ts';
import type { Expr } from '../../src/ir/tensor/expr.ts';

export interface KernelSource {
  readonly name: string;
  readonly text: string;
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  /** The kernel synchronizes its block (the CPU emulation then runs threads as fibers). */
  readonly barrier: boolean;
  /** Parameters in order: the function's inputs then outputs. */
  readonly params: readonly Buffer[];
}

/** Names that C++/CUDA reserve or that tscc_cuda.h defines; IR names equal to one get a suffix. */
const RESERVED = new Set(['half', 'float', 'int', 'double', 'char', 'short', 'long', 'bool', 'signed', 'unsigned', 'dim3',
  'min', 'max', 'abs', 'exp', 'log', 'pow', 'sqrt', 'floor', 'ceil', 'round', 'sin', 'cos', 'tan', 'erf', 'tanh',
  'auto', 'case', 'default', 'delete', 'new', 'this', 'template', 'typename', 'union', 'register', 'volatile', 'const',
  'static', 'struct', 'class', 'switch', 'goto', 'do', 'while', 'for', 'if', 'else', 'return', 'void', 'inline',
  'threadIdx', 'blockIdx', 'blockDim', 'gridDim', 'warpSize', 'friend', 'operator', 'private', 'public', 'export']);

export function cName(raw: string): string {
  const n = raw.replace(/[^A-Za-z0-9_]/g, '_');
  return RESERVED.has(n) || n.startsWith('tscc_') || n.startsWith('__') ? `${n}_` : n;
}

const AXIS_INDEX: Record<ThreadAxis, number> = {
  'blockIdx.x': 0, 'blockIdx.y': 1, 'blockIdx.z': 2, 'threadIdx.x': 0, 'threadIdx.y': 1, 'threadIdx.z': 2,
};

function collectLaunch(s: Stmt, grid: number[], block: number[], flags: { barrier: boolean }): void {
  switch (s.kind) {
    case 'for':
      if (s.loopKind === 'bound') {
        if (s.extent.kind !== 'const' || s.min.kind !== 'const') throw new Error(`CUDA: bound loop ${s.loopVar.name} needs a constant range`);
        const dims = s.thread!.startsWith('block') ? grid : block;
        const k = AXIS_INDEX[s.thread!];
        dims[k] = Math.max(dims[k], s.extent.value);
      }
      return collectLaunch(s.body, grid, block, flags);
    case 'barrier': flags.barrier = true; return;
    default: for (const c of stmtChildren(s)) collectLaunch(c, grid, block, flags);
  }
}

class KernelPrinter {
  private readonly lines: string[] = [];
  private depth = 1;
  readonly ex = new ExprPrinter((b) => cName(b.name), cName);

  constructor(private readonly grid: readonly number[], private readonly block: readonly number[], private readonly written: ReadonlySet<Buffer>) {}

  text(): string { return this.lines.join('\n'); }

  private line(s: string): void { this.lines.push('  '.repeat(this.depth) + s); }

  private indented(body: () => void): void {
    this.depth++;
    body();
    this.depth--;
  }

  private nest(head: string, body: () => void): void {
    this.line(head ? `${head} {` : '{');
    this.indented(body);
    this.line('}');
  }

  stmt(s: Stmt): void {
    switch (s.kind) {
      case 'for': return this.loop(s);
      case 'store': return this.line(`${cName(s.buffer.name)}[${flatIndex(s.buffer, s.indices, (x) => this.ex.expr(x))}] = ${this.ex.expr(s.value)};`);
      case 'allocate': return this.allocate(s.buffer, s.body);
      case 'seq': for (const x of s.stmts) this.stmt(x); return;
      case 'if':
        this.line(`if (${this.ex.expr(s.cond)}) {`);
        this.indented(() => this.stmt(s.then));
        if (s.otherwise) { this.line('} else {'); this.indented(() => this.stmt(s.otherwise!)); }
        this.line('}');
        return;
      case 'barrier': return this.line('__syncthreads();');
      case 'intrinsic': return this.intrinsic(s.name, s.args);
    }
  }

  private loop(l: For): void {
    const v = cName(l.loopVar.name), min = this.ex.expr(l.min);
    if (l.min.kind === 'const' && l.min.value >= 0) this.ex.nonneg.add(l.loopVar.name);
    if (l.loopKind === 'bound') {
      const axis = l.thread!, k = AXIS_INDEX[axis];
      const launched = (axis.startsWith('block') ? this.grid : this.block)[k];
      const ext = (l.extent as { value: number }).value;
      const body = () => { this.line(`const int ${v} = ${min === '0' ? axis : `${min} + (int)${axis}`};`); this.stmt(l.body); };
      if (ext < launched) this.nest(`if ((int)${axis} < ${ext})`, body);
      else this.nest('', body);
      return;
    }
    const vl = vectorLoop(l, (b) => b.scope === 'global' && !this.written.has(b));
    if (vl) return this.vectorized(l, vl);
    this.serial(l);
  }

  private serial(l: For): void {
    const v = cName(l.loopVar.name), min = this.ex.expr(l.min);
    if (l.loopKind === 'unrolled') this.line('TSCC_UNROLL');
    const end = l.min.kind === 'const' && l.min.value === 0 ? this.ex.expr(l.extent) : `${min} + ${this.ex.expr(l.extent)}`;
    this.nest(`for (int ${v} = ${min}; ${v} < ${end}; ++${v})`, () => this.stmt(l.body));
  }

  /** See vector.ts: float4 loads and store when in range and aligned, else the scalar loop. */
  private vectorized(l: For, vl: VectorLoop): void {
    const at = (b: Buffer, idx: readonly Expr[]) => `&${cName(b.name)}[${flatIndex(b, idx.map((e) => lane(e, vl.v, 0)), (x) => this.ex.expr(x))}]`;
    this.nest('', () => {
      vl.vector.forEach((x, i) => this.line(`const float* tscc_p${i} = ${at(x.buffer, x.indices)};`));
      this.line(`float* tscc_q = ${at(vl.store.buffer, vl.store.indices)};`);
      const ptrs = ['tscc_q', ...vl.vector.map((_, i) => `tscc_p${i}`)].map((p) => `(uintptr_t)${p}`);
      const conds = vl.guard ? Array.from({ length: LANES }, (_, k) => this.ex.expr(lane(vl.guard!, vl.v, k))) : [];
      this.line(`if (${[...conds, `((${ptrs.join(' | ')}) & 15) == 0`].join(' && ')}) {`);
      this.indented(() => {
        vl.vector.forEach((_, i) => this.line(`const float4 tscc_x${i} = __ldg((const float4*)tscc_p${i});`));
        this.line('float4 tscc_o;');
        for (let k = 0; k < LANES; k++) {
          vl.vector.forEach((x, i) => this.ex.named.set(lane(x, vl.v, k), `tscc_x${i}.${'xyzw'[k]}`));
          this.line(`tscc_o.${'xyzw'[k]} = ${this.ex.expr(lane(vl.store.value, vl.v, k))};`);
          this.ex.named.clear();
        }
        this.line('*(float4*)tscc_q = tscc_o;');
      });
      this.line('} else {');
      this.indented(() => this.serial(l));
      this.line('}');
    });
  }

  private allocate(b: Buffer, body: Stmt): void {
    const q = b.scope === 'shared' ? '__shared__ ' : '';
    if (b.scope === 'global') throw new Error(`CUDA: buffer ${b.name} is allocated in global scope inside a kernel`);
    this.nest('', () => {
      this.line(`${q}${cType(b.dtype)} ${cName(b.name)}[${b.size}];`);
      this.stmt(body);
    });
  }

  /** Intrinsics print as their defining loop nests (tensor cores come from the wmma template, templates.ts). Helper names start with tscc_, which IR names never print as. */
  private intrinsic(name: string, args: readonly IntrinsicArg[]): void {
    const at = (r: IntrinsicArg, idx: string[]) => {
      if (!isRegion(r)) throw new Error(`CUDA: ${name} expects a region`);
      const offs = r.offsets.map((o) => this.ex.expr(o));
      const n = r.buffer.shape.length;
      const full = r.buffer.shape.map((_, d) => {
        const j = d - (n - idx.length);
        return j >= 0 ? `${offs[d]} + ${idx[j]}` : offs[d];
      });
      let stride = 1;
      const terms: string[] = [];
      for (let d = n - 1; d >= 0; d--) { terms.unshift(`(${full[d]}) * ${stride}`); stride *= r.buffer.shape[d]; }
      return `${cName(r.buffer.name)}[${terms.join(' + ')}]`;
    };
    if (name === 'matmul_tile') {
      const [C, A, B, acc] = args as [IntrinsicArg, IntrinsicArg, IntrinsicArg, IntrinsicArg];
      if (!isRegion(C) || !isRegion(A) || isRegion(acc)) throw new Error('CUDA: malformed matmul_tile');
      const [M, N] = C.extents.slice(-2), K = A.extents[A.extents.length - 1];
      const t = cType(C.buffer.dtype);
      this.nest(`for (int tscc_m = 0; tscc_m < ${M}; ++tscc_m)`, () => this.nest(`for (int tscc_n = 0; tscc_n < ${N}; ++tscc_n)`, () => {
        this.line(`${t} tscc_s = (${this.ex.expr(acc)}) ? ${at(C, ['tscc_m', 'tscc_n'])} : ${constText(0, C.buffer.dtype)};`);
        this.line('TSCC_UNROLL');
        this.nest(`for (int tscc_k = 0; tscc_k < ${K}; ++tscc_k)`, () => this.line(`tscc_s += ${at(A, ['tscc_m', 'tscc_k'])} * ${at(B, ['tscc_k', 'tscc_n'])};`));
        this.line(`${at(C, ['tscc_m', 'tscc_n'])} = tscc_s;`);
      }));
      return;
    }
    if (name === 'mac') {
      const [acc, a, b] = args;
      if (!isRegion(acc)) throw new Error('CUDA: malformed mac');
      const L = acc.extents[acc.extents.length - 1];
      this.nest(`for (int tscc_l = 0; tscc_l < ${L}; ++tscc_l)`, () => this.line(`${at(acc, ['tscc_l'])} += ${at(a, ['tscc_l'])} * ${at(b, ['tscc_l'])};`));
      return;
    }
    throw new Error(`CUDA: no lowering for intrinsic ${name}`);
  }
}

export function paramDecl(b: Buffer, written: boolean): string {
  return `${written ? '' : 'const '}${cType(b.dtype)}* __restrict__ ${cName(b.name)}`;
}

/** Prints `f` as a kernel; `written` names the parameters it stores to. */
export function printKernel(f: PrimFunc, written: ReadonlySet<Buffer>): KernelSource {
  const grid = [1, 1, 1], block = [1, 1, 1], flags = { barrier: false };
  collectLaunch(f.body, grid, block, flags);
  const threads = block[0] * block[1] * block[2];
  const p = new KernelPrinter(grid, block, written);
  p.stmt(f.body);
  const params = f.params;
  const sig = params.map((b) => paramDecl(b, written.has(b) || f.outputs.includes(b))).join(',\n    ');
  const text = `__global__ void __launch_bounds__(${threads}) ${cName(f.name)}(\n    ${sig}) {\n${p.text()}\n}\n`;
  return {
    name: cName(f.name), text, barrier: flags.barrier, params,
    grid: grid as unknown as [number, number, number], block: block as unknown as [number, number, number],
  };
}
