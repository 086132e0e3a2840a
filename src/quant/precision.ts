// The precisions tscc quantizes to, and what each one stores. One table, so the search (part B),
// the report and the weight encoder agree on bit widths and storage types.
import { UsageError } from '../util/errors.ts';

export type Precision =
  | 'fp32' | 'fp16' | 'bf16' | 'int8' | 'int4w' | 'fp8e4m3' | 'fp8e5m2'
  | 'mxfp8' | 'mxfp6' | 'mxfp4' | 'mxint8';

/** Element types of the OCP MX v1.0 formats (MXFP8: e4m3|e5m2, MXFP6: e2m3|e3m2, MXFP4: e2m1, MXINT8: int8). */
export type MxElement = 'e4m3' | 'e5m2' | 'e2m3' | 'e3m2' | 'e2m1' | 'int8';

export interface PrecisionInfo {
  /** Bits per stored element (MX: element bits, the 8-bit scale per 32 comes on top). */
  bits: number;
  kind: 'float' | 'int' | 'mx';
  /** Default MX element type of an MX precision. */
  mx?: MxElement;
  /** Weight-only: activations stay in float (int4w). */
  weightOnly?: boolean;
}

export const PRECISIONS: Readonly<Record<Precision, PrecisionInfo>> = {
  fp32: { bits: 32, kind: 'float' },
  fp16: { bits: 16, kind: 'float' },
  bf16: { bits: 16, kind: 'float' },
  int8: { bits: 8, kind: 'int' },
  int4w: { bits: 4, kind: 'int', weightOnly: true },
  fp8e4m3: { bits: 8, kind: 'float' },
  fp8e5m2: { bits: 8, kind: 'float' },
  mxfp8: { bits: 8, kind: 'mx', mx: 'e4m3' },
  mxfp6: { bits: 6, kind: 'mx', mx: 'e2m3' },
  mxfp4: { bits: 4, kind: 'mx', mx: 'e2m1' },
  mxint8: { bits: 8, kind: 'mx', mx: 'int8' },
};

export const ALL_PRECISIONS = Object.keys(PRECISIONS) as Precision[];

/** Bits of each MX element type. */
export const MX_ELEMENT_BITS: Readonly<Record<MxElement, number>> = { e4m3: 8, e5m2: 8, e2m3: 6, e3m2: 6, e2m1: 4, int8: 8 };

/** OCP MX block size: 32 elements share one E8M0 scale. */
export const MX_BLOCK = 32;

export function isPrecision(s: string): s is Precision { return s in PRECISIONS; }

export function parsePrecision(s: string, where = 'precision'): Precision {
  if (!isPrecision(s)) throw new UsageError(`${where}: unknown precision "${s}" (expected one of ${ALL_PRECISIONS.join(', ')})`);
  return s;
}

export function isMxElement(s: string): s is MxElement { return s in MX_ELEMENT_BITS; }

/** How a weight is quantized. */
export interface QuantSpec {
  precision: Precision;
  /** Per-channel axis for int8/fp8 scales (e.g. 0 for Conv [M,C,kh,kw]); absent = per-tensor. */
  axis?: number;
  /** Default true: zero point 0 (int8 → i8, int4w → i4). Asymmetric: int8 → u8, int4w → u4 with zero points. */
  symmetric?: boolean;
  /** int4w: elements per group along blockAxis (default 32). MX ignores it: blocks are always 32. */
  groupSize?: number;
  /** int4w and MX: the reduction axis the groups/blocks run along (default: the last axis). */
  blockAxis?: number;
  /** MX: element type, overriding the precision's default (e.g. 'e5m2' for MXFP8, 'e3m2' for MXFP6). */
  mxElement?: MxElement;
}
