// Reading shape-like inputs in shape rules: constant or symbolic contents, lengths, fresh dims.
import type { Dim } from '../graph.ts';
import { MAX_RANK, allNumbers } from './tensor-math.ts';
import { constInts, defineOp, type InferCtx, type OpDef } from './registry.ts';

/**
 * defineOp for ops that propagate symbolic contents. The inference engine turns all-number values
 * into constants of the inferred type, so values must fit that type exactly: a known shape with as
 * many elements as values. Values that do not (a malformed model, a partly unknown shape) are dropped.
 */
export function defineValueOp(def: OpDef & { values: NonNullable<OpDef['values']> }): void {
  const values = def.values;
  defineOp({
    ...def,
    values: (c) => {
      const vals = values(c);
      const types = def.infer(c);
      return vals.map((v, i) => {
        const shape = types[i]?.shape;
        return v && shape && allNumbers(shape) && shape.reduce((a, d) => a * d, 1) === v.length ? v : undefined;
      });
    },
  });
}

/** Contents of a small integer input: symbolic when it comes from Shape, numbers when constant. */
export function shapeArg(c: InferCtx, i: number): readonly Dim[] | undefined {
  if (!c.inputs[i]) return undefined;
  return c.dims(i) ?? constInts(c, i);
}

/** A target shape from input i (Reshape, Expand, Tile, ConstantOfShape): contents and a sane rank. */
export function shapeVector(c: InferCtx, i: number): readonly Dim[] | undefined {
  const v = shapeArg(c, i);
  if (v && v.length > MAX_RANK) c.fail(`input ${i} holds ${v.length} dims; ranks above ${MAX_RANK} are not supported`);
  return v;
}

/** Numeric contents of an optional integer input; undefined when omitted or unknown. */
export function intsArg(c: InferCtx, i: number): number[] | undefined {
  const d = shapeArg(c, i);
  return d && d.every((x) => typeof x === 'number') ? (d as number[]) : undefined;
}

/** Numeric contents of a required integer input; fails when it is not known at compile time. */
export function requireInts(c: InferCtx, i: number, what: string): number[] {
  return intsArg(c, i) ?? c.fail(`${what} (input ${i}) must be a constant`);
}

/** Length of a 1-D input (a shape vector), which must be known and small. */
export function vectorLength(c: InferCtx, i: number): number {
  const s = c.input(i).shape;
  if (s.length !== 1) c.fail(`input ${i} must be 1-D, got rank ${s.length}`);
  const n = s[0];
  if (typeof n !== 'number') c.fail(`input ${i} has an unknown length, so the output rank is unknown`);
  if (n > MAX_RANK) c.fail(`input ${i} has ${n} entries; ranks above ${MAX_RANK} are not supported`);
  return n;
}

export function freshDims(c: InferCtx, n: number): Dim[] {
  return Array.from({ length: n }, () => c.fresh());
}

/** Checks a numeric dim taken from data (a shape input): a non-negative integer. */
export function checkDim(c: InferCtx, d: Dim, what: string): Dim {
  if (typeof d === 'number' && (!Number.isInteger(d) || d < 0)) c.fail(`${what} ${d} is not a valid dimension`);
  return d;
}

/** A scalar-or-1-element input read as one number, when constant. */
export function scalarArg(c: InferCtx, i: number): number | undefined {
  const v = intsArg(c, i);
  if (!v) {
    const t = c.constant(i);
    return t && t.size === 1 ? t.toNumbers()[0] : undefined;
  }
  if (v.length !== 1) c.fail(`input ${i} must hold one value, got ${v.length}`);
  return v[0];
}

/** Same dim from two sources: numbers must agree; a number wins over a symbol. */
export function mergeDim(c: InferCtx, a: Dim, b: Dim, what: string): Dim {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) c.fail(`${what}: ${a} vs ${b}`);
  return typeof a === 'number' ? a : b;
}
