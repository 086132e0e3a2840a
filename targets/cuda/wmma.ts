// The tensor-core GEMM template: a contraction whose operands are exactly f16 or bf16 (casts of
// narrow loads, padding zeros) on nvcuda::wmma m16n16k16 fragments with f32 accumulators.
//
//   tile   a block computes BM × BN outputs with WM × WN warps, each warp FM × FN fragments
//          (small: 64×64, 4 warps of 32×32; large: 128×128, 8 warps of 64×32 — more reuse of each
//          shared-memory fragment load, used when the grid of large tiles still fills the GPU);
//   K      in steps of 32, double-buffered: the next step's operand tiles are read from global
//          memory into registers before the tensor cores work on the current step's shared
//          tiles, and written to the other shared buffer after; one __syncthreads per step;
//   out    each warp stores its fragments one at a time to its own 16×16 shared scratch and its
//          lanes apply the epilogue (bias, activation, narrowing) on the way to global memory.
//
// Shared tiles: A [m][k]; B [n][k] (col_major fragments) when it is read along k, like a conv's
// weights, else [k][n]; so consecutive threads write consecutive shared addresses, and a plain
// row-major f16/bf16 operand moves as 16-byte vectors. Leading dimensions are padded to multiples
// of 16 bytes and fragment rows 32-byte aligned, as load/store_matrix_sync require. Tiles past the edges are zero-filled, outputs past them not stored.
import type { DType } from '../../src/ir/graph/dtype.ts';
import { type Expr, type Load, freeVars } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { TemplateText, indent, kernelSource } from './emit.ts';
import { type Fill, epilogue, kContiguous, launchable, tileCoords, tileElement } from './gemm.ts';
import type { KernelSource } from './kernel.ts';
import { type Contraction, extentOf, product } from './match.ts';
import { ARCHS, type CudaArch, DEFAULT_ARCH, cType } from './spec.ts';

/** 'f16' / 'bf16' when `e` is exactly a value of that type widened to f32 (or a zero), else undefined. */
function narrowOf(e: Expr): DType | 'zero' | undefined {
  if (e.kind === 'const' && e.value === 0) return 'zero';
  if (e.kind === 'cast' && e.dtype === 'f32' && (e.a.dtype === 'f16' || e.a.dtype === 'bf16')) return e.a.dtype;
  if (e.kind !== 'select') return undefined;
  const x = narrowOf(e.a), y = narrowOf(e.b);
  if (!x || !y) return undefined;
  return x === 'zero' ? y : y === 'zero' || x === y ? x : undefined;
}

/** The narrow type both operands share, when a tensor-core MMA computes the products exactly. */
export function tensorCoreType(c: Contraction): 'f16' | 'bf16' | undefined {
  const a = narrowOf(c.a), b = narrowOf(c.b);
  return a === b && (a === 'f16' || a === 'bf16') ? a : undefined;
}

export interface WmmaTile {
  readonly name: string;
  readonly BM: number;
  readonly BN: number;
  /** Warps along M and N. */
  readonly WM: number;
  readonly WN: number;
  /** 16×16 fragments per warp along M and N (so BM = 16·WM·FM, BN = 16·WN·FN). */
  readonly FM: number;
  readonly FN: number;
}

export const WMMA_SMALL: WmmaTile = { name: 'small', BM: 64, BN: 64, WM: 2, WN: 2, FM: 2, FN: 2 };
export const WMMA_LARGE: WmmaTile = { name: 'large', BM: 128, BN: 128, WM: 2, WN: 4, FM: 4, FN: 2 };

const BK = 32;
/**
 * Leading dimensions (elements): tiles stored [m][k] (A) or [n][k] (B when k-contiguous: col_major
 * fragments) have rows of BK + 8 halves, B stored [k][n] rows of BN + 8; the per-warp scratch 20 floats.
 */
const LDK = BK + 8, LDW = 20;
const ldb = (T: WmmaTile, bT: boolean) => (bT ? LDK : T.BN + 8);
/** Elements of one stage of the A and of the B tile. */
const stageA = (T: WmmaTile) => T.BM * LDK;
const stageB = (T: WmmaTile, bT: boolean) => (bT ? T.BN * LDK : BK * ldb(T, false));

/** Bytes of shared memory a tile shape needs: two stages of the A and B tiles, one scratch per warp. */
export function wmmaSharedBytes(T: WmmaTile, bT: boolean): number {
  return 2 * 2 * (stageA(T) + stageB(T, bT)) + 4 * T.WM * T.WN * 16 * LDW;
}

/**
 * The large tile when both sides fill it and its grid still has a block for every SM (fewer,
 * larger blocks only pay when none idles), the small one otherwise. A guess until timed on a GPU.
 */
export function chooseWmmaTile(c: Contraction, arch: CudaArch): WmmaTile {
  const M = product(c.m), N = product(c.n);
  const blocks = Math.ceil(M / WMMA_LARGE.BM) * Math.ceil(N / WMMA_LARGE.BN) * product(c.batch);
  return M >= WMMA_LARGE.BM && N >= WMMA_LARGE.BN && blocks >= arch.sms && wmmaSharedBytes(WMMA_LARGE, kContiguous(c.b, c)) <= arch.sharedBytes
    ? WMMA_LARGE : WMMA_SMALL;
}

/** Elements of a vector access: 16 bytes of f16/bf16. */
const VEC = 8;

/**
 * The load of an operand whose tile fills as 16-byte vectors: a widened f16/bf16 load whose
 * trailing indices are the tile's contiguous loops in order (the reduction loops for a
 * k-contiguous operand such as a MatMul's A, else the tile's M or N loops) over whole dimensions,
 * so the tile's fast axis is one contiguous run, of a length that is a multiple of 8.
 * Tile bases are multiples of 8 and the plan puts every buffer at a 256-byte boundary, so eight
 * consecutive tile elements are 16 aligned bytes, all in range or all out (the emulation checks
 * the alignment). The run must also be the fast axis of the operand's shared tile (`kFast`: A is
 * stored [m][k]; B [n][k] when k-contiguous, like a conv's weights, else [k][n]), so that the
 * vector is stored whole.
 */
export function vectorOperand(c: Contraction, F: Fill, kFast: boolean): Load | undefined {
  const e = F.what;
  if (e.kind !== 'cast' || e.a.kind !== 'load' || kContiguous(e, c) !== kFast) return undefined;
  const ld = e.a, axis = kFast ? c.red : F.loops, idx = ld.indices, shape = ld.buffer.shape;
  const n = axis.length, lead = idx.length - n;
  if (n === 0 || lead < 0 || product(axis) % VEC !== 0) return undefined;
  for (let d = 0; d < n; d++) {
    if (idx[lead + d] !== axis[d].loopVar || shape[lead + d] !== extentOf(axis[d])) return undefined;
  }
  const vars = new Set(axis.map((l) => l.loopVar));
  return idx.slice(0, lead).some((x) => [...freeVars(x)].some((v) => vars.has(v))) ? undefined : ld;
}

/**
 * Register-staged operand tile: read into registers (`load`), later written to a shared stage
 * (`store`); 16-byte vectors when the operand allows (vectorOperand), else element by element.
 */
function staged(t: TemplateText, c: Contraction, F: Fill, kFast: boolean, reg: string, ty: string): { decl: string; load: string[]; store: (stage: string) => string[] } {
  const ld = vectorOperand(c, F, kFast), width = ld ? VEC : 1;
  const per = (F.tile * F.kTile) / width / F.threads;
  if (!Number.isInteger(per)) throw new Error(`wmma: a ${F.tile}×${F.kTile} tile does not split over ${F.threads} threads`);
  const each = (body: string[]) => [
    'TSCC_UNROLL',
    `for (int tscc_r = 0; tscc_r < ${per}; ++tscc_r) {`,
    `  const int tscc_e = ${ld ? `(tscc_t + tscc_r * ${F.threads}) * ${VEC}` : `tscc_t + tscc_r * ${F.threads}`};`,
    ...indent(body),
    '}',
  ];
  if (!ld) {
    return {
      decl: `${ty} ${reg}[${per}];`,
      load: each([...tileElement(t, c, F), `${reg}[tscc_r] = ${F.conv('tscc_v')};`]),
      store: (stage) => each([tileCoords(c, F), `${F.dst('tscc_oo', 'tscc_kk', stage)} = ${reg}[tscc_r];`]),
    };
  }
  const v = { decl: 'uint4 tscc_v = make_uint4(0u, 0u, 0u, 0u);', value: `tscc_load16(&${t.expr(ld)})` };
  return {
    decl: `uint4 ${reg}[${per}];`,
    load: each([...tileElement(t, c, F, v), `${reg}[tscc_r] = tscc_v;`]),
    store: (stage) => each([tileCoords(c, F), `tscc_store16(&${F.dst('tscc_oo', 'tscc_kk', stage)}, ${reg}[tscc_r]);`]),
  };
}

export function wmmaGemm(f: PrimFunc, c: Contraction, arch: CudaArch = ARCHS[DEFAULT_ARCH], tile?: WmmaTile): KernelSource | undefined {
  const T = tensorCoreType(c);
  const S = tile ?? chooseWmmaTile(c, arch);
  // B read along k (a conv's weights, a transposed MatMul operand) is stored [n][k], so its
  // tile fills write consecutive shared addresses too, and its fragments load col_major.
  const bT = kContiguous(c.b, c);
  if (!T || !launchable(c, S.BM) || wmmaSharedBytes(S, bT) > arch.sharedBytes) return undefined;
  const ty = cType(T), LDB = ldb(S, bT), warps = S.WM * S.WN, threads = 32 * warps;
  const M = product(c.m), N = product(c.n), KT = Math.ceil(product(c.red) / BK);
  const SA = stageA(S), SB = stageB(S, bT);
  const t = new TemplateText([...c.spatial, ...c.red]);
  const frag = (use: string, layout = 'row_major') => `nvcuda::wmma::fragment<nvcuda::wmma::${use}, 16, 16, 16, ${use === 'accumulator' ? 'float' : `${ty}, nvcuda::wmma::${layout}`}>`;
  const conv = (v: string) => `${ty}(${v})`;
  const A = staged(t, c, { what: c.a, loops: c.m, base: 'tscc_m0', tile: S.BM, kTile: BK, threads, dst: (o, k, st) => `tscc_As[${st} + ${o} * ${LDK} + ${k}]`, conv }, true, 'tscc_ra', ty);
  const bDst = (o: string, k: string, st?: string) => `tscc_Bs[${st} + ${bT ? `${o} * ${LDB} + ${k}` : `${k} * ${LDB} + ${o}`}]`;
  const B = staged(t, c, { what: c.b, loops: c.n, base: 'tscc_n0', tile: S.BN, kTile: BK, threads, dst: bDst, conv }, bT, 'tscc_rb', ty);
  const wm0 = `tscc_wm * ${16 * S.FM}`, wn0 = `tscc_wn * ${16 * S.FN}`;
  const bFrag = bT ? `(${wn0} + tscc_j * 16) * ${LDB} + tscc_ks` : `tscc_ks * ${LDB} + ${wn0} + tscc_j * 16`;
  const mma = [
    'TSCC_UNROLL',
    `for (int tscc_ks = 0; tscc_ks < ${BK}; tscc_ks += 16) {`,
    `  ${frag('matrix_a')} tscc_a[${S.FM}];`,
    `  ${frag('matrix_b', bT ? 'col_major' : 'row_major')} tscc_b[${S.FN}];`,
    '  TSCC_UNROLL',
    `  for (int tscc_i = 0; tscc_i < ${S.FM}; ++tscc_i)`,
    `    nvcuda::wmma::load_matrix_sync(tscc_a[tscc_i], tscc_As + tscc_s * ${SA} + (${wm0} + tscc_i * 16) * ${LDK} + tscc_ks, ${LDK});`,
    '  TSCC_UNROLL',
    `  for (int tscc_j = 0; tscc_j < ${S.FN}; ++tscc_j)`,
    `    nvcuda::wmma::load_matrix_sync(tscc_b[tscc_j], tscc_Bs + tscc_s * ${SB} + ${bFrag}, ${LDB});`,
    '  TSCC_UNROLL',
    `  for (int tscc_i = 0; tscc_i < ${S.FM}; ++tscc_i)`,
    '    TSCC_UNROLL',
    `    for (int tscc_j = 0; tscc_j < ${S.FN}; ++tscc_j)`,
    '      nvcuda::wmma::mma_sync(tscc_c[tscc_i][tscc_j], tscc_a[tscc_i], tscc_b[tscc_j], tscc_c[tscc_i][tscc_j]);',
    '}',
  ];
  const body = [
    `const int tscc_t = threadIdx.x, tscc_lane = tscc_t % 32, tscc_w = tscc_t / 32, tscc_wm = tscc_w / ${S.WN}, tscc_wn = tscc_w % ${S.WN};`,
    `const int tscc_m0 = blockIdx.y * ${S.BM}, tscc_n0 = blockIdx.x * ${S.BN};`,
    `__shared__ __align__(32) ${ty} tscc_As[${2 * SA}];`,
    `__shared__ __align__(32) ${ty} tscc_Bs[${2 * SB}];`,
    `__shared__ __align__(32) float tscc_Cs[${warps * 16 * LDW}];`,
    `${frag('accumulator')} tscc_c[${S.FM}][${S.FN}];`,
    'TSCC_UNROLL',
    `for (int tscc_i = 0; tscc_i < ${S.FM}; ++tscc_i)`,
    '  TSCC_UNROLL',
    `  for (int tscc_j = 0; tscc_j < ${S.FN}; ++tscc_j) nvcuda::wmma::fill_fragment(tscc_c[tscc_i][tscc_j], 0.0f);`,
    A.decl, B.decl,
    '{',
    '  const int tscc_k0 = 0;',
    ...indent([...A.load, ...B.load]),
    '}',
    ...A.store('0'), ...B.store('0'),
    '__syncthreads();',
    `for (int tscc_kt = 0; tscc_kt < ${KT}; ++tscc_kt) {`,
    '  const int tscc_s = tscc_kt & 1;',
    `  if (tscc_kt + 1 < ${KT}) {`,
    `    const int tscc_k0 = (tscc_kt + 1) * ${BK};`,
    ...indent(indent([...A.load, ...B.load])),
    '  }',
    ...indent(mma),
    `  if (tscc_kt + 1 < ${KT}) {`,
    ...indent(indent([...A.store(`(tscc_s ^ 1) * ${SA}`), ...B.store(`(tscc_s ^ 1) * ${SB}`)])),
    '  }',
    '  __syncthreads();',
    '}',
    ...warpEpilogue(t, c, S),
  ];
  return kernelSource(f, body, [Math.ceil(N / S.BN), Math.ceil(M / S.BM), product(c.batch)], [threads, 1, 1]);
}

/** Each warp's fragments, one at a time through its 16×16 scratch, to the epilogue (16 lanes a row: 32-byte runs of f16). */
function warpEpilogue(t: TemplateText, c: Contraction, S: WmmaTile): string[] {
  return [
    `float* tscc_Cw = tscc_Cs + tscc_w * ${16 * LDW};`,
    'TSCC_UNROLL',
    `for (int tscc_i = 0; tscc_i < ${S.FM}; ++tscc_i) {`,
    '  TSCC_UNROLL',
    `  for (int tscc_j = 0; tscc_j < ${S.FN}; ++tscc_j) {`,
    `    nvcuda::wmma::store_matrix_sync(tscc_Cw, tscc_c[tscc_i][tscc_j], ${LDW}, nvcuda::wmma::mem_row_major);`,
    '    __syncwarp();',
    '    for (int tscc_e = tscc_lane; tscc_e < 256; tscc_e += 32) {',
    `      const int tscc_m = tscc_m0 + tscc_wm * ${16 * S.FM} + tscc_i * 16 + tscc_e / 16, tscc_n = tscc_n0 + tscc_wn * ${16 * S.FN} + tscc_j * 16 + tscc_e % 16;`,
    ...indent(indent(indent(epilogue(t, c, `tscc_Cw[(tscc_e / 16) * ${LDW} + tscc_e % 16]`)))),
    '    }',
    '    __syncwarp();',
    '  }',
    '}',
  ];
}
