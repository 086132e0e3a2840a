// Index arithmetic shared by the tensor-family shape rules and their reference kernels, so that
// inference and execution agree by construction (Slice clamping, Reshape's 0 and -1, Split sizes).
import type { Dim } from '../graph.ts';

/** Largest tensor (in elements) a kernel may allocate; guards against malformed shapes in fuzzed models. */
export const MAX_ELEMENTS = 2 ** 30;

/**
 * One axis of Slice after the ONNX clamping rules: negative bounds count from the end, then starts
 * clamp to [0, dim] ([0, dim-1] for negative steps) and ends to [0, dim] ([-1, dim-1]). Bounds may be
 * huge (INT64_MIN/MAX as "to the end"): clamping makes them harmless.
 */
export function sliceAxis(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
  } else {
    start = clamp(start, 0, dim - 1);
    end = clamp(end, -1, dim - 1);
  }
  return { start, count: Math.max(0, Math.ceil((end - start) / step)) };
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Per-axis slice parameters in the order of `axes` (already normalized by the caller). */
export interface SliceSpec { starts: number[]; ends: number[]; axes: number[]; steps: number[] }

/** Checks a Slice's parameter lists and normalizes its axes; returns an error message on bad input. */
export function sliceSpec(rank: number, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined): SliceSpec | string {
  const n = starts.length;
  if (ends.length !== n) return `starts has ${n} values but ends has ${ends.length}`;
  const ax = axes ?? starts.map((_, i) => i);
  const st = steps ?? starts.map(() => 1);
  if (ax.length !== n || st.length !== n) return `starts, ends, axes and steps must have the same length`;
  const seen = new Set<number>();
  const norm: number[] = [];
  for (const a of ax) {
    const k = a < 0 ? a + rank : a;
    if (!Number.isInteger(k) || k < 0 || k >= rank) return `axis ${a} is out of range for rank ${rank}`;
    if (seen.has(k)) return `axis ${a} is repeated`;
    seen.add(k);
    norm.push(k);
  }
  if (st.some((s) => s === 0)) return 'a step is zero';
  return { starts, ends, axes: norm, steps: st };
}

/** Resolves Reshape's target on concrete shapes (0 copies a dim unless allowzero, one -1 is inferred). */
export function reshapeDims(input: readonly number[], spec: readonly number[], allowzero: boolean): number[] | string {
  let total = 1;
  for (const d of input) total *= d;
  let minus = -1, known = 1;
  const out = spec.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= input.length) return NaN;
      d = input[i];
    }
    return d;
  });
  for (let i = 0; i < out.length; i++) {
    const d = out[i];
    if (Number.isNaN(d)) return `target dim ${i} is 0 (copy) but the input has rank ${input.length}`;
    if (d === -1) {
      if (minus >= 0) return 'the target shape has more than one -1';
      if (allowzero && spec.includes(0)) return 'the target shape has both 0 and -1 with allowzero=1';
      minus = i;
    } else if (!Number.isInteger(d) || d < 0) {
      return `target dim ${i} is ${d}`;
    } else {
      known *= d;
    }
  }
  if (minus >= 0) {
    if (known === 0 || total % known !== 0) return `cannot reshape [${input}] (${total} elements) to [${spec}]`;
    out[minus] = total / known;
  } else if (known !== total) {
    return `cannot reshape [${input}] (${total} elements) to [${spec}]`;
  }
  return out;
}

/** Split sizes from the split input, num_outputs (opset 18) or an equal split into `outputs` parts. */
export function splitSizes(dim: number, outputs: number, split: readonly number[] | undefined, numOutputs: number | undefined): number[] | string {
  if (split) {
    if (split.length !== outputs) return `split has ${split.length} sizes for ${outputs} outputs`;
    if (split.some((s) => !Number.isInteger(s) || s < 0)) return `split sizes [${split}] must be non-negative`;
    const sum = split.reduce((a, b) => a + b, 0);
    if (sum !== dim) return `split sizes [${split}] add up to ${sum}, not the axis size ${dim}`;
    return [...split];
  }
  if (numOutputs !== undefined) {
    if (numOutputs !== outputs) return `num_outputs is ${numOutputs} but the node has ${outputs} outputs`;
    // The last chunk is smaller when the axis does not divide evenly.
    const chunk = Math.ceil(dim / numOutputs);
    const sizes = Array.from({ length: outputs }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    if (outputs > 1 && sizes[outputs - 1] === 0 && dim > 0) return `cannot split ${dim} into ${outputs} non-empty chunks`;
    return sizes;
  }
  if (outputs < 1 || dim % outputs !== 0) return `axis size ${dim} does not split evenly into ${outputs} outputs`;
  return new Array<number>(outputs).fill(dim / outputs);
}

/**
 * The product of dims when it can be named: a number when all are numbers, the one symbol when the
 * others multiply to 1, undefined otherwise.
 */
export function symProduct(dims: readonly Dim[]): Dim | undefined {
  let n = 1;
  let sym: string | undefined;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (sym === undefined) sym = d;
    else return undefined;
  }
  if (sym === undefined) return n;
  if (n === 0) return 0;
  return n === 1 ? sym : undefined;
}

/**
 * Solves `input = known · x` symbolically for Reshape's -1: numeric factors divide, symbols cancel.
 * Returns undefined when x cannot be named (then the rule makes a fresh symbol).
 */
export function solveMinusOne(input: readonly Dim[], known: readonly Dim[]): Dim | undefined {
  const syms: string[] = [];
  let num = 1;
  for (const d of input) if (typeof d === 'number') num *= d; else syms.push(d);
  let den = 1;
  for (const d of known) {
    if (typeof d === 'number') { den *= d; continue; }
    const k = syms.indexOf(d);
    if (k < 0) return undefined;
    syms.splice(k, 1);
  }
  if (den === 0 || num % den !== 0) return undefined;
  const q = num / den;
  if (syms.length === 0) return q;
  return syms.length === 1 && q === 1 ? syms[0] : undefined;
}

/** Highest rank a shape rule accepts from data (a shape tensor's length); ONNX models stay far below. */
export const MAX_RANK = 64;

export function allNumbers(dims: readonly Dim[]): dims is number[] {
  return dims.every((d) => typeof d === 'number');
}
