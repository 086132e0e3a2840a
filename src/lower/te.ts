// A TVM-TE-like tensor expression layer: `placeholder` tensors backed by function inputs, `compute`
// tensors defined by an index → expression function, and `reduce` (sum/prod/max/min) over reduction
// axes. Element-wise computes are inlined into their consumers as they are built (TE's
// compute_inline applied everywhere); reductions are stages with their own buffer. `build` (build.ts)
// turns the stages an output needs into one PrimFunc.
import type { DType } from '../ir/graph/dtype.ts';
import { type Buffer, buffer } from '../ir/tensor/buffer.ts';
import { type Expr, Var, children, constant, load, substitute, variable } from '../ir/tensor/expr.ts';
import { BufferNames } from './names.ts';

export type Reducer = 'sum' | 'prod' | 'max' | 'min';

/** Anything a compute can read: a placeholder, another compute, a broadcast scalar. */
export interface TeTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The element at `indices` (one i32 expression per dim). */
  at(indices: readonly Expr[]): Expr;
}

/** A function input: reading it is a load of its buffer. */
export class Placeholder implements TeTensor {
  constructor(readonly buffer: Buffer) {}
  get name(): string { return this.buffer.name; }
  get dtype(): DType { return this.buffer.dtype; }
  get shape(): readonly number[] { return this.buffer.shape; }
  at(indices: readonly Expr[]): Expr { return load(this.buffer, indices); }
}

/** A one-element constant read as an immediate at any index (a scalar attribute-like input). */
export class ScalarTensor implements TeTensor {
  constructor(readonly name: string, readonly value: number, readonly dtype: DType, readonly shape: readonly number[]) {}
  at(): Expr { return constant(this.value, this.dtype); }
}

export interface ReduceAxis { readonly v: Var; readonly extent: number }

export interface Reduction {
  readonly reducer: Reducer;
  readonly axes: readonly ReduceAxis[];
  readonly source: Expr;
}

/** Expressions bigger than this (as trees) are not inlined: the compute gets a buffer instead. */
const INLINE_LIMIT = 400;

export class Compute implements TeTensor {
  /** Where a materialized compute is stored until build assigns it an output buffer. */
  readonly buffer: Buffer;
  readonly materialized: boolean;
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly axes: readonly Var[],
    readonly body: Expr | Reduction,
    bufferName: string,
    /** Store it in a buffer even when small (a rule reusing a value many times keeps trees small). */
    force = false,
  ) {
    this.materialized = force || isReduction(body) || treeSize(body, INLINE_LIMIT + 1) > INLINE_LIMIT;
    // Private to the function: 'local' until a schedule places it (shared, scratchpad, …).
    this.buffer = buffer(bufferName, this.dtype, shape, 'local');
  }
  get dtype(): DType { return isReduction(this.body) ? this.body.source.dtype : this.body.dtype; }
  get reduction(): Reduction | undefined { return isReduction(this.body) ? this.body : undefined; }

  at(indices: readonly Expr[]): Expr {
    if (indices.length !== this.shape.length) throw new Error(`te: ${this.name} has rank ${this.shape.length}, indexed with ${indices.length}`);
    if (this.materialized) return load(this.buffer, indices);
    return substitute(this.body as Expr, new Map(this.axes.map((a, i) => [a, indices[i]])));
  }
}

export function isReduction(b: Expr | Reduction): b is Reduction {
  return (b as Reduction).reducer !== undefined;
}

/** Size of an expression as a tree (shared subtrees counted each time), stopping at `cap`. */
function treeSize(e: Expr, cap: number, memo = new Map<Expr, number>()): number {
  const hit = memo.get(e);
  if (hit !== undefined) return hit;
  let n = 1;
  for (const c of children(e)) { n += treeSize(c, cap, memo); if (n > cap) break; }
  memo.set(e, Math.min(n, cap));
  return Math.min(n, cap);
}

/**
 * Creates the tensors of one function, keeping buffer and loop names unique within it, and
 * remembering every compute so that build can find the stages behind materialized loads.
 */
export class Te {
  readonly names = new BufferNames();
  readonly computes = new Map<Buffer, Compute>();
  readonly placeholders: Placeholder[] = [];
  /** Output buffer names claimed before any compute, so graph value names win over compute names. */
  readonly outputNames = new Map<string, string>();

  reserveOutput(hint: string): string {
    const name = this.outputNames.get(hint) ?? this.names.take(hint);
    this.outputNames.set(hint, name);
    return name;
  }

  placeholder(name: string, dtype: DType, shape: readonly number[]): Placeholder {
    const p = new Placeholder(buffer(this.names.take(name), dtype, shape));
    this.placeholders.push(p);
    return p;
  }

  /** `fn` is called once with the axis variables; its result defines every element. */
  compute(name: string, shape: readonly number[], fn: (axes: Var[]) => Expr | Reduction, opts: { materialize?: boolean } = {}): Compute {
    const axes = shape.map((_, i) => variable(`i${i}`));
    const c = new Compute(name, shape, axes, fn(axes), this.names.take(name), opts.materialize);
    if (c.materialized) this.computes.set(c.buffer, c);
    return c;
  }

  /** A reduction axis; names start with r and are unique within the function. */
  reduceAxis(extent: number, hint = 'k'): ReduceAxis {
    return { v: variable(this.names.takeVar(`r${hint}`)), extent };
  }
}

export function reduce(reducer: Reducer, axes: readonly ReduceAxis[], source: Expr): Reduction {
  return { reducer, axes, source };
}

/** The identity element of a reducer in a dtype. */
export function reduceInit(r: Reducer, dtype: DType): Expr {
  switch (r) {
    case 'sum': return constant(0, dtype);
    case 'prod': return constant(1, dtype);
    case 'max': return constant(RANGE[dtype]?.[0] ?? -Infinity, dtype);
    case 'min': return constant(RANGE[dtype]?.[1] ?? Infinity, dtype);
  }
}

/** Smallest and largest values of integer dtypes (floats use ±infinity). */
const RANGE: Partial<Record<DType, [number, number]>> = {
  i32: [-2147483648, 2147483647], i16: [-32768, 32767], i8: [-128, 127], i4: [-8, 7],
  u32: [0, 4294967295], u16: [0, 65535], u8: [0, 255], u4: [0, 15], bool: [0, 1],
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], u64: [0, Number.MAX_SAFE_INTEGER],
};
