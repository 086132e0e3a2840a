// Kernel templates for contractions (match.ts): a GEMM over M × N × K whose operand tiles are
// staged in shared memory by evaluating the operand expressions element by element (so a
// convolution is an implicit GEMM: the im2col happens while filling the tile), with the epilogue
// applied to the accumulators in registers before the one store of each output.
//
//   simt  (any float contraction)  256 threads as 16×16, each a TM×TN register tile (strided by 16,
//         so stores coalesce), block tile 16·TM × 16·TN, K in steps of 16;
//   wmma  (operands exactly f16 or bf16: casts of narrow loads, padding zeros)  4 warps, block tile
//         64×64, each warp 2×2 tensor-core fragments (nvcuda::wmma m16n16k16, f32 accumulate),
//         K in steps of 32; the accumulators go through shared memory to the epilogue.
//
// Tiles past the edges are zero-filled and their outputs not stored, so no divisibility is needed.
import type { DType } from '../../src/ir/graph/dtype.ts';
import { type Expr, freeVars } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { For } from '../../src/ir/tensor/stmt.ts';
import { loadsOf } from '../../src/schedule/tree.ts';
import { flatIndex } from './expr.ts';
import { TemplateText, indent, kernelSource } from './emit.ts';
import { type KernelSource, cName } from './kernel.ts';
import { ACC, type Contraction, product } from './match.ts';
import { cType } from './spec.ts';

const MAX_GRID_YZ = 65535;

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

/** Does some load of `e` walk memory contiguously with the innermost reduction loop? */
function kContiguous(e: Expr, c: Contraction): boolean {
  const k = c.red[c.red.length - 1].loopVar;
  return loadsOf(e).some((l) => l.indices.length > 0 && freeVars(l.indices[l.indices.length - 1]).has(k));
}

interface Fill {
  readonly what: Expr;
  readonly loops: readonly For[];
  readonly base: string;
  readonly tile: number;
  readonly kTile: number;
  readonly threads: number;
  /** The shared-memory element for (tile row, k) and the conversion of the f32 value into it. */
  readonly dst: (o: string, k: string) => string;
  readonly conv: (v: string) => string;
}

/** A cooperative tile fill: consecutive threads take consecutive addresses of the operand. */
function fill(t: TemplateText, c: Contraction, F: Fill): string[] {
  const O = product(F.loops), K = product(c.red);
  const [o, k] = kContiguous(F.what, c) ? [`tscc_e / ${F.kTile}`, `tscc_e % ${F.kTile}`] : [`tscc_e % ${F.tile}`, `tscc_e / ${F.tile}`];
  const eval_ = [
    ...t.decode(c.batch, '(int)blockIdx.z', [F.what]), ...t.decode(F.loops, 'tscc_o', [F.what]),
    ...t.decode(c.red, 'tscc_k', [F.what]), `tscc_v = ${t.expr(F.what)};`,
  ];
  return [
    `for (int tscc_e = tscc_t; tscc_e < ${F.tile * F.kTile}; tscc_e += ${F.threads}) {`,
    `  const int tscc_oo = ${o}, tscc_kk = ${k};`,
    `  const int tscc_o = ${F.base} + tscc_oo, tscc_k = tscc_k0 + tscc_kk;`,
    '  float tscc_v = 0.0f;',
    `  if (tscc_o < ${O} && tscc_k < ${K}) {`,
    ...indent(indent(eval_)),
    '  }',
    `  ${F.dst('tscc_oo', 'tscc_kk')} = ${F.conv('tscc_v')};`,
    '}',
  ];
}

/** The guarded epilogue of the output element (tscc_m, tscc_n) whose sum is the C text `sum`;
 *  `reads` are further expressions the sum text uses (their loop variables are decoded too). */
export function epilogue(t: TemplateText, c: Contraction, sum: string, reads: readonly Expr[] = []): string[] {
  const used = [c.init, c.outValue, ...c.outIndices, ...reads];
  const init = c.init.kind === 'const' && c.init.value === 0 ? sum : `${t.expr(c.init)} + ${sum}`;
  return [
    `if (tscc_m < ${product(c.m)} && tscc_n < ${product(c.n)}) {`,
    ...indent([
      ...t.decode(c.batch, '(int)blockIdx.z', used), ...t.decode(c.m, 'tscc_m', used), ...t.decode(c.n, 'tscc_n', used),
      `const float ${t.acc} = ${init};`,
      `${cName(c.out.name)}[${flatIndex(c.out, c.outIndices, (x) => t.expr(x))}] = ${t.expr(c.outValue)};`,
    ]),
    '}',
  ];
}

/** The grid fits (blockIdx.y over M tiles, blockIdx.z over the batch) and the epilogue reads the sum. */
export function launchable(c: Contraction, bm: number): boolean {
  return product(c.batch) <= MAX_GRID_YZ && Math.ceil(product(c.m) / bm) <= MAX_GRID_YZ && freeVars(c.outValue).has(ACC);
}

export function simtGemm(f: PrimFunc, c: Contraction): KernelSource | undefined {
  const M = product(c.m), N = product(c.n), K = product(c.red);
  const TM = M >= 64 ? 4 : M >= 32 ? 2 : 1, TN = N >= 64 ? 4 : N >= 32 ? 2 : 1;
  const BM = 16 * TM, BN = 16 * TN, BK = 16;
  if (!launchable(c, BM)) return undefined;
  // A row of the k-fastest fill is written with stride BM: one pad word avoids bank conflicts.
  const AS = BM + (kContiguous(c.a, c) ? 1 : 0), BS = BN + (kContiguous(c.b, c) ? 1 : 0);
  const t = new TemplateText([...c.spatial, ...c.red]);
  const body = [
    'const int tscc_tx = threadIdx.x, tscc_ty = threadIdx.y, tscc_t = tscc_ty * 16 + tscc_tx;',
    `const int tscc_m0 = blockIdx.y * ${BM}, tscc_n0 = blockIdx.x * ${BN};`,
    `__shared__ float tscc_As[${BK * AS}];`,
    `__shared__ float tscc_Bs[${BK * BS}];`,
    `float tscc_c[${TM}][${TN}];`,
    `for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i)`,
    `  for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_c[tscc_i][tscc_j] = 0.0f;`,
    `for (int tscc_k0 = 0; tscc_k0 < ${K}; tscc_k0 += ${BK}) {`,
    ...indent(fill(t, c, { what: c.a, loops: c.m, base: 'tscc_m0', tile: BM, kTile: BK, threads: 256, dst: (o, k) => `tscc_As[${k} * ${AS} + ${o}]`, conv: (v) => v })),
    ...indent(fill(t, c, { what: c.b, loops: c.n, base: 'tscc_n0', tile: BN, kTile: BK, threads: 256, dst: (o, k) => `tscc_Bs[${k} * ${BS} + ${o}]`, conv: (v) => v })),
    '  __syncthreads();',
    '  TSCC_UNROLL',
    `  for (int tscc_kk = 0; tscc_kk < ${BK}; ++tscc_kk) {`,
    `    float tscc_a[${TM}], tscc_b[${TN}];`,
    '    TSCC_UNROLL',
    `    for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i) tscc_a[tscc_i] = tscc_As[tscc_kk * ${AS} + tscc_ty + 16 * tscc_i];`,
    '    TSCC_UNROLL',
    `    for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_b[tscc_j] = tscc_Bs[tscc_kk * ${BS} + tscc_tx + 16 * tscc_j];`,
    '    TSCC_UNROLL',
    `    for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i)`,
    '      TSCC_UNROLL',
    `      for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_c[tscc_i][tscc_j] += tscc_a[tscc_i] * tscc_b[tscc_j];`,
    '  }',
    '  __syncthreads();',
    '}',
    `for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i) {`,
    `  for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) {`,
    '    const int tscc_m = tscc_m0 + tscc_ty + 16 * tscc_i, tscc_n = tscc_n0 + tscc_tx + 16 * tscc_j;',
    ...indent(indent(epilogue(t, c, 'tscc_c[tscc_i][tscc_j]'))),
    '  }',
    '}',
  ];
  return kernelSource(f, body, [Math.ceil(N / BN), Math.ceil(M / BM), product(c.batch)], [16, 16, 1]);
}

/** Shared-memory leading dimensions (elements): multiples of 16 bytes, rows 32-byte aligned where a fragment starts. */
const WM = { BM: 64, BN: 64, BK: 32, LDA: 40, LDB: 72, LDC: 68 };

export function wmmaGemm(f: PrimFunc, c: Contraction): KernelSource | undefined {
  const T = tensorCoreType(c);
  if (!T || !launchable(c, WM.BM)) return undefined;
  const ty = cType(T), { BM, BN, BK, LDA, LDB, LDC } = WM;
  const M = product(c.m), N = product(c.n), K = product(c.red);
  const t = new TemplateText([...c.spatial, ...c.red]);
  const frag = (use: string, layout = `, nvcuda::wmma::row_major`) => `nvcuda::wmma::fragment<nvcuda::wmma::${use}, 16, 16, 16, ${use === 'accumulator' ? 'float' : ty}${use === 'accumulator' ? '' : layout}>`;
  const body = [
    'const int tscc_t = threadIdx.x, tscc_w = tscc_t / 32, tscc_wm = tscc_w / 2, tscc_wn = tscc_w % 2;',
    `const int tscc_m0 = blockIdx.y * ${BM}, tscc_n0 = blockIdx.x * ${BN};`,
    `__shared__ __align__(32) ${ty} tscc_As[${BM * LDA}];`,
    `__shared__ __align__(32) ${ty} tscc_Bs[${BK * LDB}];`,
    `__shared__ __align__(32) float tscc_Cs[${BM * LDC}];`,
    `${frag('accumulator')} tscc_c[2][2];`,
    'for (int tscc_i = 0; tscc_i < 2; ++tscc_i)',
    '  for (int tscc_j = 0; tscc_j < 2; ++tscc_j) nvcuda::wmma::fill_fragment(tscc_c[tscc_i][tscc_j], 0.0f);',
    `for (int tscc_k0 = 0; tscc_k0 < ${K}; tscc_k0 += ${BK}) {`,
    ...indent(fill(t, c, { what: c.a, loops: c.m, base: 'tscc_m0', tile: BM, kTile: BK, threads: 128, dst: (o, k) => `tscc_As[${o} * ${LDA} + ${k}]`, conv: (v) => `${ty}(${v})` })),
    ...indent(fill(t, c, { what: c.b, loops: c.n, base: 'tscc_n0', tile: BN, kTile: BK, threads: 128, dst: (o, k) => `tscc_Bs[${k} * ${LDB} + ${o}]`, conv: (v) => `${ty}(${v})` })),
    '  __syncthreads();',
    `  for (int tscc_ks = 0; tscc_ks < ${BK}; tscc_ks += 16) {`,
    `    ${frag('matrix_a')} tscc_a[2];`,
    `    ${frag('matrix_b')} tscc_b[2];`,
    '    for (int tscc_i = 0; tscc_i < 2; ++tscc_i)',
    `      nvcuda::wmma::load_matrix_sync(tscc_a[tscc_i], tscc_As + (tscc_wm * 32 + tscc_i * 16) * ${LDA} + tscc_ks, ${LDA});`,
    '    for (int tscc_j = 0; tscc_j < 2; ++tscc_j)',
    `      nvcuda::wmma::load_matrix_sync(tscc_b[tscc_j], tscc_Bs + tscc_ks * ${LDB} + tscc_wn * 32 + tscc_j * 16, ${LDB});`,
    '    for (int tscc_i = 0; tscc_i < 2; ++tscc_i)',
    '      for (int tscc_j = 0; tscc_j < 2; ++tscc_j)',
    '        nvcuda::wmma::mma_sync(tscc_c[tscc_i][tscc_j], tscc_a[tscc_i], tscc_b[tscc_j], tscc_c[tscc_i][tscc_j]);',
    '  }',
    '  __syncthreads();',
    '}',
    'for (int tscc_i = 0; tscc_i < 2; ++tscc_i)',
    '  for (int tscc_j = 0; tscc_j < 2; ++tscc_j)',
    `    nvcuda::wmma::store_matrix_sync(tscc_Cs + (tscc_wm * 32 + tscc_i * 16) * ${LDC} + tscc_wn * 32 + tscc_j * 16, tscc_c[tscc_i][tscc_j], ${LDC}, nvcuda::wmma::mem_row_major);`,
    '__syncthreads();',
    `for (int tscc_e = tscc_t; tscc_e < ${BM * BN}; tscc_e += 128) {`,
    `  const int tscc_m = tscc_m0 + tscc_e / ${BN}, tscc_n = tscc_n0 + tscc_e % ${BN};`,
    ...indent(epilogue(t, c, `tscc_Cs[(tscc_e / ${BN}) * ${LDC} + tscc_e % ${BN}]`)),
    '}',
  ];
  return kernelSource(f, body, [Math.ceil(N / BN), Math.ceil(M / BM), product(c.batch)], [128, 1, 1]);
}
