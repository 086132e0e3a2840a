// Cutting an n-D element space into pieces the DMA engine can move in one instruction: at most three
// dimensions, contiguous in the scratchpad, at most `budget` elements. Several strided views (the
// output and each broadcast input) are cut the same way, so one piece index addresses all of them.

/** A strided view: element (i0…ir) at base + Σ i·stride (elements; stride 0 broadcasts). */
export interface View { readonly base: number; readonly strides: readonly number[] }

export interface Piece {
  /** Element offset of each view's first element. */
  readonly offsets: readonly number[];
  /** DMA counts, innermost first, and each view's DMA strides in the same order. */
  readonly n: readonly [number, number, number];
  readonly s: readonly (readonly [number, number, number])[];
  readonly elems: number;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** Input strides broadcast (right-aligned, ONNX rules) to an output shape. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const st = contiguousStrides(inShape);
  return outShape.map((_, i) => {
    const j = i - (outShape.length - inShape.length);
    return j < 0 || inShape[j] === 1 ? 0 : st[j];
  });
}

/** Merges adjacent dims that every view walks contiguously; drops size-1 dims. */
function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const sh: number[] = [], st: number[][] = strides.map(() => []);
  shape.forEach((d, i) => {
    if (d === 1) return;
    const k = sh.length - 1;
    if (k >= 0 && strides.every((s, v) => st[v][k] === s[i] * d)) {
      sh[k] *= d;
      strides.forEach((s, v) => { st[v][k] = s[i]; });
    } else {
      sh.push(d);
      strides.forEach((s, v) => st[v].push(s[i]));
    }
  });
  if (sh.length === 0) { sh.push(1); st.forEach((s) => s.push(0)); }
  return { shape: sh, strides: st };
}

const MAXN = 65535;

export function* pieces(shape: readonly number[], views: readonly View[], budget: number): Generator<Piece> {
  const c = collapse(shape, views.map((v) => v.strides));
  const r = c.shape.length;
  // Block: full inner dims while they fit, then a tile of the next one.
  const tile = new Array<number>(r).fill(1);
  let inner = 1, d = r - 1, used = 0;
  for (; d >= 0 && used < 3; d--, used++) {
    const size = c.shape[d];
    const t = Math.min(size, Math.max(1, Math.floor(budget / inner)), MAXN);
    tile[d] = t;
    inner *= t;
    if (t < size) { d--; break; }
  }
  const idx = new Array<number>(r).fill(0);
  for (;;) {
    const cnt = idx.map((i, k) => Math.min(tile[k], c.shape[k] - i));
    const dims = [r - 1, r - 2, r - 3];
    const n = dims.map((k) => (k >= 0 ? cnt[k] : 1)) as [number, number, number];
    const s = c.strides.map((st) => dims.map((k) => (k >= 0 ? st[k] : 0)) as [number, number, number]);
    const offsets = views.map((v, j) => v.base + idx.reduce((a, i, k) => a + i * c.strides[j][k], 0));
    yield { offsets, n, s, elems: n[0] * n[1] * n[2] };
    let k = r - 1;
    for (; k >= 0; k--) {
      idx[k] += tile[k];
      if (idx[k] < c.shape[k]) break;
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}
