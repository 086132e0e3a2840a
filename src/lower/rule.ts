// What a compute rule sees: the node's attributes, its inputs as tensor expressions, their static
// types, and the compile-time values of constant inputs (shape vectors, axes, pads). A rule returns
// one tensor per node output; it never builds loops itself.
import { ShapeError, UnsupportedError, nodeRef } from '../util/errors.ts';
import type { AttrReader } from '../ir/graph/attrs.ts';
import { type DType, isPackedFloat } from '../ir/graph/dtype.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import { type Expr, type Var, cast } from '../ir/tensor/expr.ts';
import { type Compute, type Reduction, type Te, type TeTensor, reduce, type ReduceAxis, type Reducer } from './te.ts';

export interface StaticType { readonly dtype: DType; readonly shape: readonly number[] }

/** One input of the node being lowered. */
export interface RuleInput {
  readonly tensor: TeTensor;
  readonly type: StaticType;
  /** Compile-time value (an initializer or folded constant). */
  readonly constant?: Tensor;
}

export class RuleCtx {
  constructor(
    readonly node: { readonly name: string; readonly op: string; readonly attr: AttrReader },
    readonly opset: number,
    readonly te: Te,
    private readonly ins: readonly (RuleInput | null)[],
    /** Static types of the node's outputs (the rule must produce these shapes). */
    readonly outputs: readonly StaticType[],
  ) {}

  get attr(): AttrReader { return this.node.attr; }
  get inputCount(): number { return this.ins.length; }

  has(i: number): boolean { return this.ins[i] != null; }

  private get(i: number): RuleInput {
    return this.ins[i] ?? this.fail(`input ${i} is required`);
  }

  /** Input i as a tensor in its storage type. */
  raw(i: number): TeTensor { return this.get(i).tensor; }

  /** Input i for arithmetic: narrow floats (f16, bf16, f8) read as f32, as the reference kernels compute. */
  input(i: number): TeTensor {
    const t = this.get(i).tensor;
    return isPackedFloat(t.dtype) ? widened(t) : t;
  }

  type(i: number): StaticType { return this.get(i).type; }
  shape(i: number): readonly number[] { return this.get(i).type.shape; }
  rank(i: number): number { return this.get(i).type.shape.length; }
  outShape(k = 0): readonly number[] { return this.outputs[k].shape; }

  /** Compile-time value of input i, if it is a constant. */
  constant(i: number): Tensor | undefined { return this.ins[i]?.constant; }

  /** Compile-time integers of input i (axes, pads, sizes); absent input gives undefined. */
  ints(i: number, what: string): number[] | undefined {
    if (!this.has(i)) return undefined;
    const c = this.constant(i);
    if (!c) return this.unsupported(`${what} (input ${i}) must be a constant to lower this node; it is computed at run time`);
    return c.toNumbers();
  }

  compute(name: string, shape: readonly number[], fn: (axes: Var[]) => Expr | Reduction, opts: { materialize?: boolean } = {}): Compute {
    return this.te.compute(name, shape, fn, opts);
  }

  reduceAxis(extent: number, hint?: string): ReduceAxis { return this.te.reduceAxis(extent, hint); }
  reduce(r: Reducer, axes: readonly ReduceAxis[], source: Expr): Reduction { return reduce(r, axes, source); }

  fail(message: string): never { throw new ShapeError(`${nodeRef(this.node)}: ${message}`); }
  unsupported(message: string): never { throw new UnsupportedError(`${nodeRef(this.node)}: ${message}`); }
}

export type Rule = (c: RuleCtx) => TeTensor[];

/** Reads a narrow-float tensor as f32. */
function widened(t: TeTensor): TeTensor {
  return { name: t.name, dtype: 'f32', shape: t.shape, at: (ix) => cast('f32', t.at(ix)) };
}
