// Execution of target intrinsics by their definition in ../intrinsics.ts. The compiled kernel calls
// one closure per Intrinsic statement with the regions' arrays, their evaluated offsets and the
// scalar arguments. Arithmetic follows the IR's rules for the destination's type (f32 rounds every
// step, integers wrap), accumulating over k in ascending order, so a tensorized loop nest gives the
// same bits as the loop nest it replaced.
//
// Region views. `mac` walks its three regions element by element in row-major order. `matmul_tile`
// sees each region as a matrix: its dims of extent ≠ 1 are the rows and columns, in order; a region
// with fewer than two such dims (a tile with m, k or n = 1) gets its orientation from the shapes
// of the other two regions (C is m×n, A m×k, B k×n).
import type { DType, TypedArray } from '../../graph/dtype.ts';
import { stridesOf } from '../../graph/tensor.ts';
import { ModelError } from '../../../util/errors.ts';
import { INTRINSICS } from '../intrinsics.ts';
import { type Intrinsic, type Region, isRegion } from '../stmt.ts';
import { KernelError, rt } from './runtime.ts';
import { fromStorage, normalize, toStorage } from './values.ts';

export type IntrinsicFn = (arrays: readonly TypedArray[], offsets: readonly (readonly number[])[], scalars: readonly number[]) => void;

type Get = (a: TypedArray, i: number) => number;
type Put = (a: TypedArray, i: number, v: number) => void;

/** Element access and arithmetic for a dtype, compiled from the same text fragments kernels use. */
function accessors(dtype: DType): { get: Get; set: Put; norm: (x: number) => number } {
  const make = (params: string, body: string) =>
    new Function('rt', `const { fr, H16, BF16, toF16, toBF16, toI64, toU64, trunc64 } = rt; return (${params}) => ${body};`)(rt);
  return {
    get: make('a, i', fromStorage(dtype, 'a[i]')),
    set: make('a, i, v', `{ a[i] = ${toStorage(dtype, 'v')}; }`),
    norm: make('x', normalize(dtype, 'x')),
  };
}

interface View { rows: number; cols: number; rowDim?: number; colDim?: number }

/** Ways to read a region as a matrix: [rows, cols] with the buffer dims that carry them. */
function candidates(r: Region): View[] {
  const dims = r.extents.map((e, d) => [e, d]).filter(([e]) => e !== 1);
  if (dims.length > 2) return [];
  if (dims.length === 2) return [{ rows: dims[0][0], cols: dims[1][0], rowDim: dims[0][1], colDim: dims[1][1] }];
  if (dims.length === 1) return [{ rows: dims[0][0], cols: 1, rowDim: dims[0][1] }, { rows: 1, cols: dims[0][0], colDim: dims[0][1] }];
  return [{ rows: 1, cols: 1 }];
}

function matmulViews(kernel: string, c: Region, a: Region, b: Region): [View, View, View] {
  for (const vc of candidates(c)) for (const va of candidates(a)) for (const vb of candidates(b)) {
    if (va.rows === vc.rows && va.cols === vb.rows && vb.cols === vc.cols) return [vc, va, vb];
  }
  const show = (r: Region) => `${r.buffer.name}[${r.extents.join(', ')}]`;
  throw new ModelError(`kernel ${kernel}: matmul_tile regions ${show(c)}, ${show(a)}, ${show(b)} are not C[m,n], A[m,k], B[k,n]`);
}

interface Placed { region: Region; strides: number[] }

function checkRegion(kernel: string, p: Placed, offsets: readonly number[]): number {
  const { buffer, extents } = p.region;
  let base = 0;
  for (let d = 0; d < extents.length; d++) {
    const o = offsets[d];
    if (!(o >= 0 && o + extents[d] <= buffer.shape[d])) {
      throw new KernelError(`kernel ${kernel}: out-of-bounds intrinsic region ${buffer.name}[${offsets.join(', ')} : ` +
        `${extents.join(', ')}] (shape [${buffer.shape.join(', ')}])`);
    }
    base += o * p.strides[d];
  }
  return base;
}

function matmulTile(kernel: string, regions: Region[]): IntrinsicFn {
  const [c, a, b] = regions;
  const [vc, va, vb] = matmulViews(kernel, c, a, b);
  const placed = regions.map((region) => ({ region, strides: stridesOf(region.buffer.shape) }));
  const step = (v: View, p: Placed) => [v.rowDim === undefined ? 0 : p.strides[v.rowDim], v.colDim === undefined ? 0 : p.strides[v.colDim]];
  const [[cr, cc], [ar, ac], [br, bc]] = [step(vc, placed[0]), step(va, placed[1]), step(vb, placed[2])];
  const C = accessors(c.buffer.dtype), A = accessors(a.buffer.dtype), B = accessors(b.buffer.dtype);
  const { rows: m, cols: n } = vc, k = va.cols;
  return (arrays, offsets, scalars) => {
    const [bc0, ba0, bb0] = placed.map((p, i) => checkRegion(kernel, p, offsets[i]));
    const [ca, aa, ba] = arrays;
    const accumulate = scalars[0] !== 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const ci = bc0 + i * cr + j * cc;
        let s = accumulate ? C.get(ca, ci) : 0;
        for (let q = 0; q < k; q++) {
          s = C.norm(s + C.norm(A.get(aa, ba0 + i * ar + q * ac) * B.get(ba, bb0 + q * br + j * bc)));
        }
        C.set(ca, ci, s);
      }
    }
  };
}

/** Flat offsets of a region's elements relative to its corner, row-major. */
function elementOffsets(p: Placed): Int32Array {
  const { extents } = p.region;
  const n = extents.reduce((x, y) => x * y, 1);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let rest = i, off = 0;
    for (let d = extents.length - 1; d >= 0; d--) { off += (rest % extents[d]) * p.strides[d]; rest = Math.floor(rest / extents[d]); }
    out[i] = off;
  }
  return out;
}

function mac(kernel: string, regions: Region[]): IntrinsicFn {
  const placed = regions.map((region) => ({ region, strides: stridesOf(region.buffer.shape) }));
  const lanes = placed.map(elementOffsets);
  if (lanes[1].length !== lanes[0].length || lanes[2].length !== lanes[0].length) {
    throw new ModelError(`kernel ${kernel}: mac regions have ${lanes.map((l) => l.length).join(', ')} elements; they must agree`);
  }
  const [Acc, A, B] = regions.map((r) => accessors(r.buffer.dtype));
  return (arrays, offsets) => {
    const [b0, b1, b2] = placed.map((p, i) => checkRegion(kernel, p, offsets[i]));
    const [acc, a, b] = arrays;
    for (let l = 0; l < lanes[0].length; l++) {
      const i = b0 + lanes[0][l];
      Acc.set(acc, i, Acc.norm(Acc.get(acc, i) + Acc.norm(A.get(a, b1 + lanes[1][l]) * B.get(b, b2 + lanes[2][l]))));
    }
  };
}

const EXECUTORS: Readonly<Record<string, (kernel: string, regions: Region[]) => IntrinsicFn>> = { matmul_tile: matmulTile, mac };

/** Checks an intrinsic statement against its definition and builds the closure that executes it. */
export function compileIntrinsic(kernel: string, s: Intrinsic): IntrinsicFn {
  const def = INTRINSICS[s.name];
  if (!def) throw new ModelError(`kernel ${kernel}: unknown intrinsic ${s.name} (known: ${Object.keys(INTRINSICS).join(', ')})`);
  const regions = s.args.filter(isRegion);
  const scalars = s.args.length - regions.length;
  if (regions.length !== def.regions || scalars !== def.scalars || s.args.slice(0, def.regions).some((a) => !isRegion(a))) {
    throw new ModelError(`kernel ${kernel}: intrinsic ${s.name} takes ${def.regions} regions then ${def.scalars} scalars (${def.doc})`);
  }
  for (const r of regions) {
    if (r.offsets.length !== r.buffer.rank || r.extents.length !== r.buffer.rank) {
      throw new ModelError(`kernel ${kernel}: intrinsic ${s.name}: region of ${r.buffer.name} needs ${r.buffer.rank} offsets and extents`);
    }
  }
  const exec = EXECUTORS[s.name];
  if (!exec) throw new ModelError(`kernel ${kernel}: the interpreter cannot execute intrinsic ${s.name} yet`);
  return exec(kernel, regions);
}
