// Kernel templates for contractions (match.ts): a GEMM over M × N × K whose operand tiles are
// staged in shared memory by evaluating the operand expressions element by element (so a
// convolution is an implicit GEMM: the im2col happens while filling the tile), with the epilogue
// applied to the accumulators in registers before the one store of each output.
//
//   simt  (any float contraction)  256 threads as 16×16, each a TM×TN register tile (strided by 16,
//         so stores coalesce), block tile 16·TM × 16·TN, K in steps of 16;
//   wmma  (operands exactly f16 or bf16) on tensor cores: wmma.ts, which shares the tile fills and
//         the epilogue written here.
//
// Tiles past the edges are zero-filled and their outputs not stored, so no divisibility is needed.
import { type Expr, freeVars } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { For } from '../../src/ir/tensor/stmt.ts';
import { loadsOf } from '../../src/schedule/tree.ts';
import { flatIndex } from './expr.ts';
import { TemplateText, indent, kernelSource } from './emit.ts';
import { type KernelSource, cName } from './kernel.ts';
import { ACC, type Contraction, product } from './match.ts';

const MAX_GRID_YZ = 65535;

/** Does some load of `e` walk memory contiguously with the innermost reduction loop? */
export function kContiguous(e: Expr, c: Contraction): boolean {
  const k = c.red[c.red.length - 1].loopVar;
  return loadsOf(e).some((l) => l.indices.length > 0 && freeVars(l.indices[l.indices.length - 1]).has(k));
}

export interface Fill {
  readonly what: Expr;
  readonly loops: readonly For[];
  readonly base: string;
  readonly tile: number;
  readonly kTile: number;
  readonly threads: number;
  /** The shared-memory element for (tile row, k) (in buffer `stage`, an offset, when double-buffered) and the conversion of the f32 value into it. */
  readonly dst: (o: string, k: string, stage?: string) => string;
  readonly conv: (v: string) => string;
}

/** `tscc_oo, tscc_kk`: the tile row and k of tile element `tscc_e` (consecutive elements, consecutive addresses). */
export function tileCoords(c: Contraction, F: Fill): string {
  const [o, k] = kContiguous(F.what, c) ? [`tscc_e / ${F.kTile}`, `tscc_e % ${F.kTile}`] : [`tscc_e % ${F.tile}`, `tscc_e / ${F.tile}`];
  return `const int tscc_oo = ${o}, tscc_kk = ${k};`;
}

/**
 * `tscc_v`: the operand's value at tile element `tscc_e` of the K step at `tscc_k0` (zero past the
 * edges); `v` replaces the f32 value (declaration with its zero, and the C text of the value).
 */
export function tileElement(t: TemplateText, c: Contraction, F: Fill, v?: { decl: string; value: string }): string[] {
  const O = product(F.loops), K = product(c.red);
  const eval_ = [
    ...t.decode(c.batch, '(int)blockIdx.z', [F.what]), ...t.decode(F.loops, 'tscc_o', [F.what]),
    ...t.decode(c.red, 'tscc_k', [F.what]), `tscc_v = ${v ? v.value : t.expr(F.what)};`,
  ];
  return [
    tileCoords(c, F),
    `const int tscc_o = ${F.base} + tscc_oo, tscc_k = tscc_k0 + tscc_kk;`,
    v ? v.decl : 'float tscc_v = 0.0f;',
    `if (tscc_o < ${O} && tscc_k < ${K}) {`,
    ...indent(eval_),
    '}',
  ];
}

/** A cooperative tile fill: consecutive threads take consecutive addresses of the operand. */
function fill(t: TemplateText, c: Contraction, F: Fill): string[] {
  return [
    `for (int tscc_e = tscc_t; tscc_e < ${F.tile * F.kTile}; tscc_e += ${F.threads}) {`,
    ...indent(tileElement(t, c, F)),
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

/** The register tile of one thread of the 16×16-thread templates (SIMT GEMM, dp4a): TM×TN outputs
 *  of the block's BM×BN tile, rows ty + 16·i and columns tx + 16·j (so stores coalesce). */
export function registerTile(M: number, N: number): { TM: number; TN: number; BM: number; BN: number } {
  const TM = M >= 64 ? 4 : M >= 32 ? 2 : 1, TN = N >= 64 ? 4 : N >= 32 ? 2 : 1;
  return { TM, TN, BM: 16 * TM, BN: 16 * TN };
}

/** The thread's place: tx, ty, flat t, and the block's first output row m0 and column n0. */
export function threadPlace(BM: number, BN: number): string[] {
  return [
    'const int tscc_tx = threadIdx.x, tscc_ty = threadIdx.y, tscc_t = tscc_ty * 16 + tscc_tx;',
    `const int tscc_m0 = blockIdx.y * ${BM}, tscc_n0 = blockIdx.x * ${BN};`,
  ];
}

/** The store of a register tile: for each of its elements (tscc_i, tscc_j), its output (tscc_m, tscc_n) and `epi`, that element's epilogue. */
export function storeRegisterTile(TM: number, TN: number, epi: readonly string[]): string[] {
  return [
    `for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i) {`,
    `  for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) {`,
    '    const int tscc_m = tscc_m0 + tscc_ty + 16 * tscc_i, tscc_n = tscc_n0 + tscc_tx + 16 * tscc_j;',
    ...indent(indent(epi)),
    '  }',
    '}',
  ];
}

export function simtGemm(f: PrimFunc, c: Contraction): KernelSource | undefined {
  const M = product(c.m), N = product(c.n), K = product(c.red);
  const { TM, TN, BM, BN } = registerTile(M, N), BK = 16;
  if (!launchable(c, BM)) return undefined;
  // A row of the k-fastest fill is written with stride BM: one pad word avoids bank conflicts.
  const AS = BM + (kContiguous(c.a, c) ? 1 : 0), BS = BN + (kContiguous(c.b, c) ? 1 : 0);
  const t = new TemplateText([...c.spatial, ...c.red]);
  const body = [
    ...threadPlace(BM, BN),
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
    ...storeRegisterTile(TM, TN, epilogue(t, c, 'tscc_c[tscc_i][tscc_j]')),
  ];
  return kernelSource(f, body, [Math.ceil(N / BN), Math.ceil(M / BM), product(c.batch)], [16, 16, 1]);
}
