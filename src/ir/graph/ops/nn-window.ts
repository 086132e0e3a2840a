// Sliding-window geometry of Conv, ConvTranspose and the pools: attribute parsing and the output size
// and padding of each spatial axis. Shared by the shape rules and the reference kernels so that both
// compute sizes identically, and written to reproduce onnxruntime's arithmetic (our numerical truth),
// including its integer truncation and its choices where the ONNX text is ambiguous (noted inline).
import type { AttrReader } from '../attrs.ts';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
export type Fail = (message: string) => never;

/** Window attributes of one node, defaults filled in and validated against the spatial rank. */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Explicit pads [begin..., end...]; all zeros unless auto_pad is NOTSET. */
  readonly pads: readonly number[];
  readonly autoPad: AutoPad;
  readonly ceil: boolean;
}

/** One spatial axis after padding is resolved. */
export interface Axis { readonly out: number; readonly head: number; readonly tail: number }

/** Attribute values above this are malformed (mutated models); it also keeps sizes exact in doubles. */
export const MAX_WINDOW_VALUE = 1 << 24;
/** Spatial ranks the kernels implement. */
export const MAX_SPATIAL_RANK = 3;

const AUTO_PADS: readonly string[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Reads an ints attribute of exactly `rank` values in [lo, MAX_WINDOW_VALUE], or the default. */
function intsOf(attr: AttrReader, name: string, rank: number, lo: number, dflt: number, fail: Fail): number[] {
  const v = attr.intsOpt(name);
  if (v === undefined || v.length === 0) return new Array<number>(rank).fill(dflt);
  if (v.length !== rank) fail(`attribute "${name}" has ${v.length} values, expected ${rank}`);
  for (const x of v) {
    if (!Number.isInteger(x) || x < lo || x > MAX_WINDOW_VALUE) fail(`attribute "${name}" has an invalid value ${x}`);
  }
  return [...v];
}

export function readAutoPad(attr: AttrReader, fail: Fail): AutoPad {
  const s = attr.string('auto_pad', 'NOTSET');
  if (!AUTO_PADS.includes(s)) fail(`attribute "auto_pad" must be one of ${AUTO_PADS.join(', ')}, got "${s}"`);
  return s as AutoPad;
}

/**
 * Reads kernel_shape/strides/dilations/pads/auto_pad/ceil_mode. `kernel` is the kernel size taken
 * from the weight (Conv), which kernel_shape, when present, must agree with; pools pass undefined and
 * require kernel_shape. Sizes that are not known yet (symbolic weight dims) are given as NaN.
 */
export function readWindow(attr: AttrReader, rank: number, kernel: readonly number[] | undefined, fail: Fail): Window {
  let ks: number[];
  if (attr.has('kernel_shape')) {
    ks = intsOf(attr, 'kernel_shape', rank, 1, 1, fail);
    if (kernel && ks.some((k, i) => !Number.isNaN(kernel[i]) && k !== kernel[i])) {
      fail(`kernel_shape [${ks}] does not match the weight's spatial dims [${kernel}]`);
    }
  } else if (kernel) {
    ks = [...kernel];
  } else {
    return fail('missing required attribute "kernel_shape"');
  }
  const autoPad = readAutoPad(attr, fail);
  const pads = autoPad === 'NOTSET' ? intsOf(attr, 'pads', 2 * rank, 0, 0, fail) : new Array<number>(2 * rank).fill(0);
  const ceil = attr.int('ceil_mode', 0);
  if (ceil !== 0 && ceil !== 1) fail(`attribute "ceil_mode" must be 0 or 1, got ${ceil}`);
  return {
    kernel: ks,
    strides: intsOf(attr, 'strides', rank, 1, 1, fail),
    dilations: intsOf(attr, 'dilations', rank, 1, 1, fail),
    pads, autoPad, ceil: ceil === 1,
  };
}

/** onnxruntime rejects pools whose explicit pads reach the kernel size (windows of padding only). */
export function checkPoolPads(w: Window, fail: Fail): void {
  const r = w.kernel.length;
  for (let i = 0; i < r; i++) {
    if (w.pads[i] >= w.kernel[i] || w.pads[i + r] >= w.kernel[i]) fail(`pads [${w.pads}] must be smaller than kernel_shape [${w.kernel}]`);
  }
}

/** C++ integer division (truncates toward zero), as onnxruntime computes pads. */
const idiv = (a: number, b: number): number => Math.trunc(a / b);

/**
 * Conv output size of axis i (onnxruntime ComputePadAndOutputShape). For SAME with dilation > 1,
 * where onnxruntime refuses the model, we follow the ONNX text (pad for the dilated kernel).
 */
export function convAxis(w: Window, i: number, inSize: number, fail: Fail): Axis {
  const s = w.strides[i], dk = w.dilations[i] * (w.kernel[i] - 1) + 1;
  let head = w.pads[i], tail = w.pads[i + w.kernel.length], out: number;
  switch (w.autoPad) {
    case 'NOTSET': out = Math.trunc((inSize + head + tail - dk) / s + 1); break;
    case 'VALID': head = tail = 0; out = idiv(inSize - dk, s) + 1; break;
    default: {
      const target = idiv(inSize + s - 1, s);
      const needed = (target - 1) * s + dk - inSize;
      head = w.autoPad === 'SAME_LOWER' ? idiv(needed + 1, 2) : idiv(needed, 2);
      tail = needed - head;
      out = idiv(inSize + needed - dk, s) + 1;
    }
  }
  if (!(out > 0)) fail(`spatial axis ${i}: input size ${inSize} gives an empty output (kernel ${w.kernel[i]}, dilation ${w.dilations[i]}, stride ${s})`);
  return { out, head, tail };
}

/**
 * Pool output size of axis i (onnxruntime PoolAttributes). Note two onnxruntime behaviours: SAME
 * pads are computed from the undilated kernel, and in ceil mode a last window that would start in
 * the end padding is dropped (as PyTorch does).
 */
export function poolAxis(w: Window, i: number, inSize: number, fail: Fail): Axis {
  const s = w.strides[i], k = w.kernel[i], d = w.dilations[i];
  let head = w.pads[i], tail = w.pads[i + w.kernel.length];
  if (w.autoPad === 'VALID') head = tail = 0;
  else if (w.autoPad !== 'NOTSET') {
    const needed = (idiv(inSize + s - 1, s) - 1) * s + k - inSize;
    head = w.autoPad === 'SAME_LOWER' ? idiv(needed + 1, 2) : idiv(needed, 2);
    tail = needed - head;
  }
  const q = Math.fround((inSize + head + tail - d * (k - 1) - 1) / s) + 1;
  let out = w.ceil ? Math.ceil(q) : Math.trunc(q);
  if (w.ceil && (out - 1) * s >= inSize + head) out--;
  if (!(out > 0)) fail(`spatial axis ${i}: input size ${inSize} gives an empty output (kernel ${k}, dilation ${d}, stride ${s})`);
  return { out, head, tail };
}

/** ConvTranspose extras: output_padding and output_shape (spatial part). */
export interface TransposeExtras { readonly outputPadding: readonly number[]; readonly outputShape?: readonly number[] }

export function readTransposeExtras(attr: AttrReader, w: Window, fail: Fail): TransposeExtras {
  const rank = w.kernel.length;
  const outputPadding = intsOf(attr, 'output_padding', rank, 0, 0, fail);
  outputPadding.forEach((p, i) => {
    if (p >= Math.max(w.strides[i], w.dilations[i])) fail(`output_padding ${p} must be smaller than the stride or the dilation`);
  });
  let outputShape = attr.intsOpt('output_shape');
  if (outputShape !== undefined && outputShape.length > 0) {
    if (outputShape.length !== rank && outputShape.length !== rank + 2) fail(`attribute "output_shape" has ${outputShape.length} values, expected ${rank}`);
    outputShape = outputShape.slice(outputShape.length - rank);
    for (const x of outputShape) if (!Number.isInteger(x) || x < 1 || x > MAX_WINDOW_VALUE) fail(`attribute "output_shape" has an invalid value ${x}`);
  } else outputShape = undefined;
  return { outputPadding, outputShape };
}

/**
 * ConvTranspose output size of axis i (onnxruntime ComputeTransposePadAndOutputShape). An odd total
 * padding puts its extra unit at the end for SAME_UPPER and at the start otherwise (NOTSET with
 * output_shape included), as the ONNX text and onnxruntime 1.30 do (older onnxruntime releases had it swapped).
 */
export function convTransposeAxis(w: Window, x: TransposeExtras, i: number, inSize: number, fail: Fail): Axis {
  const s = w.strides[i], adj = x.outputPadding[i];
  const full = (inSize - 1) * s + adj + (w.kernel[i] - 1) * w.dilations[i] + 1;
  const split = (total: number): Axis => {
    const head = w.autoPad === 'SAME_UPPER' ? idiv(total, 2) : total - idiv(total, 2);
    return { out: full - total, head, tail: total - head };
  };
  let axis: Axis;
  if (x.outputShape) {
    const a = split(Math.max(0, full - x.outputShape[i]));
    axis = { ...a, out: x.outputShape[i] };
  } else if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    axis = split(Math.max(0, full - inSize * s));
  } else {
    const head = w.pads[i], tail = w.pads[i + w.kernel.length];
    axis = { out: full - head - tail, head, tail };
  }
  if (!(axis.out > 0)) fail(`spatial axis ${i}: input size ${inSize} gives an empty output`);
  return axis;
}
