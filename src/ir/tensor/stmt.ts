// Tensor IR statements: immutable trees. Loops carry their kind (and thread axis when bound);
// target intrinsics (an NPU GEMM tile, a PIM MAC) are statements over buffer regions.
import type { Buffer } from './buffer.ts';
import type { Expr, Var } from './expr.ts';

export type LoopKind = 'serial' | 'unrolled' | 'vectorized' | 'parallel' | 'bound';
export const THREAD_AXES = ['blockIdx.x', 'blockIdx.y', 'blockIdx.z', 'threadIdx.x', 'threadIdx.y', 'threadIdx.z'] as const;
export type ThreadAxis = (typeof THREAD_AXES)[number];

export type Stmt = For | Store | Allocate | Seq | IfThen | Barrier | Intrinsic;

export class For {
  readonly kind = 'for';
  constructor(
    readonly loopVar: Var,
    readonly min: Expr,
    readonly extent: Expr,
    readonly loopKind: LoopKind,
    readonly body: Stmt,
    readonly thread?: ThreadAxis,
  ) {}
}

export class Store {
  readonly kind = 'store';
  constructor(readonly buffer: Buffer, readonly indices: readonly Expr[], readonly value: Expr) {}
}

export class Allocate {
  readonly kind = 'allocate';
  constructor(readonly buffer: Buffer, readonly body: Stmt) {}
}

export class Seq {
  readonly kind = 'seq';
  constructor(readonly stmts: readonly Stmt[]) {}
}

export class IfThen {
  readonly kind = 'if';
  constructor(readonly cond: Expr, readonly then: Stmt, readonly otherwise?: Stmt) {}
}

/** All threads of a block wait here; shared-scope writes before it are visible after it. */
export class Barrier {
  readonly kind = 'barrier';
}

/** A rectangular region of a buffer: element offsets per dim and static extents. */
export interface Region {
  readonly buffer: Buffer;
  readonly offsets: readonly Expr[];
  readonly extents: readonly number[];
}

export type IntrinsicArg = Expr | Region;

export function isRegion(a: IntrinsicArg): a is Region {
  return (a as Region).buffer !== undefined && (a as Region).extents !== undefined;
}

/** A call of a target intrinsic (see intrinsics.ts for their semantics). */
export class Intrinsic {
  readonly kind = 'intrinsic';
  constructor(readonly name: string, readonly args: readonly IntrinsicArg[]) {}
}

// ---------------------------------------------------------------- constructors

export function forLoop(v: Var, min: Expr, extent: Expr, body: Stmt, kind: LoopKind = 'serial', thread?: ThreadAxis): For {
  if ((kind === 'bound') !== (thread !== undefined)) throw new Error('tensor IR: a bound loop needs a thread axis, and only it');
  return new For(v, min, extent, kind, body, thread);
}

export function store(b: Buffer, indices: readonly Expr[], value: Expr): Store {
  if (indices.length !== b.shape.length) throw new Error(`tensor IR: ${b.name} has rank ${b.shape.length}, stored with ${indices.length} indices`);
  if (value.dtype !== b.dtype) throw new Error(`tensor IR: storing ${value.dtype} into ${b.name} of ${b.dtype}`);
  return new Store(b, indices, value);
}

/** A sequence, flattened: nested sequences are spliced, singletons unwrapped. */
export function seq(stmts: readonly Stmt[]): Stmt {
  const flat: Stmt[] = [];
  for (const s of stmts) {
    if (s instanceof Seq) flat.push(...s.stmts);
    else flat.push(s);
  }
  return flat.length === 1 ? flat[0] : new Seq(flat);
}

export function allocate(b: Buffer, body: Stmt): Allocate { return new Allocate(b, body); }
export function ifThen(cond: Expr, then: Stmt, otherwise?: Stmt): IfThen { return new IfThen(cond, then, otherwise); }
export const barrier = new Barrier();
export function intrinsic(name: string, args: readonly IntrinsicArg[]): Intrinsic { return new Intrinsic(name, args); }

/** Children statements, in order. */
export function stmtChildren(s: Stmt): readonly Stmt[] {
  switch (s.kind) {
    case 'for': case 'allocate': return [s.body];
    case 'seq': return s.stmts;
    case 'if': return s.otherwise ? [s.then, s.otherwise] : [s.then];
    default: return [];
  }
}
