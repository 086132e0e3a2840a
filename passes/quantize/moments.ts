// The second moments of a conv's input patches that the error-compensating fit (weight-fit.ts)
// solves with: H̃ = Σ p̃ p̃ᵀ and E = Σ (p − p̃) p̃ᵀ over sampled output positions.
//
// This is where the fit spends its time (73 % of cls's sequential fit with session 5's
// one-patch-at-a-time loops), so patches are gathered in chunks of CHUNK, stored feature-major
// (column j of the chunk contiguous over patches), and each 4×4 tile of H̃ / E is accumulated in
// registers over the chunk. Every entry is still the sum over patches *in sampling order*, one
// multiply and one add per patch (no partial sums, no FMA in JS), so the result is bit-identical to
// the plain loop `h[r][q] += p̃[r] · p̃[q]` per patch. (The plain loop skipped p̃[r] = 0; adding
// a product ±0 leaves any sum unchanged — a sum that starts at +0 never becomes −0 under
// round-to-nearest — so skipping or adding is the same for finite inputs.)
import type { Node } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { type ConvGeom, geometry } from './conv-geometry.ts';

/** Patches per chunk: a chunk's rows (CHUNK doubles each) of a 4-row tile stay in L1. */
const CHUNK = 64;

export interface Moments {
  /** H̃ (m×m, symmetric, summed over patches). */
  readonly h: Float64Array;
  /** E (m×m, rows ≥ n zero), or null without quantized inputs or with `rows`. */
  readonly e: Float64Array | null;
  /** With `rows` (and quantized inputs): W E, one m-vector per row — all the fit needs of E. */
  readonly we?: readonly Float64Array[];
  /** Patches summed. */
  readonly count: number;
}

/**
 * H̃ = Σ p̃ p̃ᵀ and E = Σ (p − p̃) p̃ᵀ over sampled patches of channels [c0, c0 + cpg) (p from xs, p̃
 * from xts; a trailing 1 when `ones`, for the bias). E is null without xts. `c` null: pointwise
 * patches (stride 1, no pads; a non-overlapping ConvTranspose's rows, weight-fit-transpose.ts). Positions: every
 * `step`-th of each image, step = ⌊positions / maxPositions⌋ (at least 1).
 *
 * `rows` (the weight rows W, length ≥ n): accumulate W E = Σ (W (p − p̃)) p̃ᵀ instead of E — per patch
 * R·(n + m) instead of n·m multiply-adds (R rows; PP-OCR det's 3×3 96→24 convs: 24 vs 864). The
 * same sum, associated differently: not bit-identical to W times the accumulated E (see
 * FitOptions.foldShift).
 */
export function convMoments(c: Node | null, wShape: readonly number[], c0: number, cpg: number, xs: readonly Tensor[], xts: readonly Tensor[] | undefined,
  maxPositions: number, ones: boolean, rows?: readonly Float64Array[]): Moments {
  const n = cpg * wShape[2] * wShape[3], m = ones ? n + 1 : n;
  const fold = !!(xts && rows), nr = rows?.length ?? 0;
  const h = new Float64Array(m * m), e = xts && !fold ? new Float64Array(m * m) : null;
  const pt = new Float64Array(m * CHUNK), dl = xts ? new Float64Array(n * CHUNK) : null;
  const we = fold ? new Float64Array(nr * m) : null, u = fold ? new Float64Array(nr * CHUNK) : null;
  if (ones) pt.fill(1, n * CHUNK);
  let count = 0, k = 0;
  const flush = () => {
    symmetricTiles(h, m, pt, k);
    if (e) productTiles(e, n, m, dl!, pt, k);
    if (we) {
      rowTimes(rows!, n, dl!, u!, k);
      productTiles(we, nr, m, u!, pt, k);
    }
    k = 0;
  };
  xs.forEach((x, s) => {
    const gm = geometry(c, x, wShape), d = x.toF32(), dt = xts ? xts[s].toF32() : d;
    const positions = gm.oh * gm.ow, step = Math.max(1, Math.floor(positions / maxPositions));
    for (let b = 0; b < x.shape[0]; b++) {
      for (let pos = 0; pos < positions; pos += step) {
        const oy = Math.floor(pos / gm.ow), ox = pos % gm.ow;
        gather(gm, dt, d, dl, b, c0, cpg, oy, ox, pt, k);
        count++;
        if (++k === CHUNK) flush();
      }
    }
  });
  if (k) flush();
  for (let r = 0; r < m; r++) for (let q = 0; q < r; q++) h[r * m + q] = h[q * m + r];
  return { h, e, we: we ? rows!.map((_, r) => we.subarray(r * m, (r + 1) * m)) : undefined, count };
}

/** u[r][k] = Σ_{i<n} w_r[i] · dl[i][k] (i in order) for the chunk's kn patches (u rows of CHUNK); 4×4 register tiles. */
function rowTimes(rows: readonly Float64Array[], n: number, dl: Float64Array, u: Float64Array, kn: number): void {
  for (let r0 = 0; r0 < rows.length; r0 += 4) {
    const nr = Math.min(4, rows.length - r0);
    for (let k0 = 0; k0 < kn; k0 += 4) {
      if (nr < 4 || k0 + 4 > kn) {
        for (let r = r0; r < r0 + nr; r++) {
          const w = rows[r];
          for (let k = k0; k < Math.min(k0 + 4, kn); k++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += w[i] * dl[i * CHUNK + k];
            u[r * CHUNK + k] = s;
          }
        }
        continue;
      }
      const w0 = rows[r0], w1 = rows[r0 + 1], w2 = rows[r0 + 2], w3 = rows[r0 + 3];
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let i = 0, at = k0; i < n; i++, at += CHUNK) {
        const x0 = w0[i], x1 = w1[i], x2 = w2[i], x3 = w3[i];
        const y0 = dl[at], y1 = dl[at + 1], y2 = dl[at + 2], y3 = dl[at + 3];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      const o0 = r0 * CHUNK + k0, o1 = o0 + CHUNK, o2 = o1 + CHUNK, o3 = o2 + CHUNK;
      u[o0] = s00; u[o0 + 1] = s01; u[o0 + 2] = s02; u[o0 + 3] = s03;
      u[o1] = s10; u[o1 + 1] = s11; u[o1 + 2] = s12; u[o1 + 3] = s13;
      u[o2] = s20; u[o2 + 1] = s21; u[o2 + 2] = s22; u[o2 + 3] = s23;
      u[o3] = s30; u[o3 + 1] = s31; u[o3 + 2] = s32; u[o3 + 3] = s33;
    }
  }
}

/** Column k of the chunk: p̃ (from dt) into pt and, with dl, p − p̃ (p from d) into dl. */
function gather(gm: ConvGeom, dt: Float32Array, d: Float32Array, dl: Float64Array | null, b: number, c0: number, cpg: number, oy: number, ox: number, pt: Float64Array, k: number): void {
  let i = 0;
  for (let cc = 0; cc < cpg; cc++) {
    const base = (b * gm.c + c0 + cc) * gm.h * gm.w;
    for (let ty = 0; ty < gm.kh; ty++) {
      const y = oy * gm.sh - gm.pt + ty * gm.dh, inY = y >= 0 && y < gm.h;
      for (let tx = 0; tx < gm.kw; tx++, i++) {
        const xx = ox * gm.sw - gm.pl + tx * gm.dw, at = i * CHUNK + k;
        if (inY && xx >= 0 && xx < gm.w) {
          const o = base + y * gm.w + xx, t = dt[o];
          pt[at] = t;
          if (dl) dl[at] = d[o] - t;
        } else {
          pt[at] = 0;
          if (dl) dl[at] = 0;
        }
      }
    }
  }
}

/** h[r][q] += Σ_k a[r][k] · a[q][k] for q ≥ r (4×4 tiles on and above the diagonal; below it is overwritten later). */
function symmetricTiles(h: Float64Array, m: number, a: Float64Array, kn: number): void {
  for (let r0 = 0; r0 < m; r0 += 4) for (let q0 = r0; q0 < m; q0 += 4) tile(h, m, a, r0, a, q0, Math.min(4, m - r0), Math.min(4, m - q0), kn);
}

/** e[r][q] += Σ_k l[r][k] · a[q][k] for r < rows, q < m. */
function productTiles(e: Float64Array, rows: number, m: number, l: Float64Array, a: Float64Array, kn: number): void {
  for (let r0 = 0; r0 < rows; r0 += 4) for (let q0 = 0; q0 < m; q0 += 4) tile(e, m, l, r0, a, q0, Math.min(4, rows - r0), Math.min(4, m - q0), kn);
}

/** out[r0 + i][q0 + j] += Σ_k l[r0 + i][k] · a[q0 + j][k], k in order (rows of CHUNK). */
function tile(out: Float64Array, m: number, l: Float64Array, r0: number, a: Float64Array, q0: number, ni: number, nj: number, kn: number): void {
  if (ni < 4 || nj < 4) {
    for (let i = 0; i < ni; i++) {
      for (let j = 0; j < nj; j++) {
        const li = (r0 + i) * CHUNK, aj = (q0 + j) * CHUNK;
        let s = out[(r0 + i) * m + q0 + j];
        for (let k = 0; k < kn; k++) s += l[li + k] * a[aj + k];
        out[(r0 + i) * m + q0 + j] = s;
      }
    }
    return;
  }
  const l0 = r0 * CHUNK, l1 = l0 + CHUNK, l2 = l1 + CHUNK, l3 = l2 + CHUNK;
  const a0 = q0 * CHUNK, a1 = a0 + CHUNK, a2 = a1 + CHUNK, a3 = a2 + CHUNK;
  const o0 = r0 * m + q0, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m;
  let s00 = out[o0], s01 = out[o0 + 1], s02 = out[o0 + 2], s03 = out[o0 + 3];
  let s10 = out[o1], s11 = out[o1 + 1], s12 = out[o1 + 2], s13 = out[o1 + 3];
  let s20 = out[o2], s21 = out[o2 + 1], s22 = out[o2 + 2], s23 = out[o2 + 3];
  let s30 = out[o3], s31 = out[o3 + 1], s32 = out[o3 + 2], s33 = out[o3 + 3];
  for (let k = 0; k < kn; k++) {
    const x0 = l[l0 + k], x1 = l[l1 + k], x2 = l[l2 + k], x3 = l[l3 + k];
    const y0 = a[a0 + k], y1 = a[a1 + k], y2 = a[a2 + k], y3 = a[a3 + k];
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
    s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
  }
  out[o0] = s00; out[o0 + 1] = s01; out[o0 + 2] = s02; out[o0 + 3] = s03;
  out[o1] = s10; out[o1 + 1] = s11; out[o1 + 2] = s12; out[o1 + 3] = s13;
  out[o2] = s20; out[o2 + 1] = s21; out[o2 + 2] = s22; out[o2 + 3] = s23;
  out[o3] = s30; out[o3 + 1] = s31; out[o3 + 2] = s32; out[o3 + 3] = s33;
}
