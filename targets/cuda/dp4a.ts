// The int8 kernel template: a contraction whose operands are both dequantized 8-bit values — the
// QDQ pattern of passes/quantize (activation `(f32(q_x) − z_x)·s_x`, i8 or u8, where q_x may be
// quantized in the kernel itself; weight `f32(q_w)·s_w[channel]`) — runs on __dp4a: four int8 products summed
// into an int32 per instruction, exact. With the zero points taken out of the sum,
//
//   Σ_k (q_a − z_a)(q_b − z_b) = Σ q_a·q_b − z_b·Σ q_a − z_a·Σ q_b + K·z_a·z_b,
//
// so the kernel also keeps Σ q_a per row and Σ q_b per column (dp4a against 0x01010101), and the
// epilogue rescales by s_a·s_b before the group's own epilogue (bias, activation, the requantizing
// QuantizeLinear of the output) runs on the f32 value. Register tiles as in the SIMT GEMM; the
// int8 tiles sit in shared memory packed four k-values to a word.
import { type Expr, type Var, cast, constant, f32 as f32c, freeVars, int, select, sub } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { TemplateText, indent, kernelSource } from './emit.ts';
import type { KernelSource } from './kernel.ts';
import { epilogue, launchable, registerTile, storeRegisterTile, threadPlace } from './gemm.ts';
import { type Contraction, product } from './match.ts';

/** An operand `(f32(q) − zero)·scale` with q of type i8 and zero, scale constant along the reduction. */
export interface Int8Operand { readonly q: Expr; readonly zero?: Expr; readonly scale?: Expr }

/** The i8 value of a zero point given as f32: an integer constant in range, or a widened i8. */
function asInt8(z: Expr): Expr | undefined {
  if (z.kind === 'const' && Number.isInteger(z.value) && z.value >= -128 && z.value <= 127) return constant(z.value, 'i8');
  return z.kind === 'cast' && z.a.dtype === 'i8' ? z.a : undefined;
}

function int8Operand(e: Expr, red: ReadonlySet<Var>): Int8Operand | undefined {
  const free = (x: Expr) => ![...freeVars(x)].some((v) => red.has(v));
  // u8 values (asymmetric activations) shift to i8: q − z = (q − 128) − (z − 128), exactly.
  const narrow = (x: Expr, zero: Expr | undefined): Int8Operand | undefined => {
    if (x.kind !== 'cast' || x.dtype !== 'f32' || (x.a.dtype !== 'i8' && x.a.dtype !== 'u8')) return undefined;
    if (x.a.dtype === 'i8') return { q: x.a, zero };
    const q = cast('i8', sub(cast('i32', x.a), int(128)));
    return { q, zero: zero ? sub(zero, f32c(128)) : f32c(-128) };
  };
  const centered = (x: Expr): Int8Operand | undefined => {
    if (x.kind === 'binary' && x.op === 'sub') return free(x.b) ? narrow(x.a, x.b) : undefined;
    return narrow(x, undefined);
  };
  // Padding (a convolution's border): select(inside, (f32(q) − z)·s, 0) is (f32(select(inside, q, z)) − z)·s.
  if (e.kind === 'select' && e.b.kind === 'const' && e.b.value === 0) {
    const inner = int8Operand(e.a, red);
    const z = inner && (inner.zero ? asInt8(inner.zero) : constant(0, 'i8'));
    return inner && z && { ...inner, q: select(e.cond, inner.q, z) };
  }
  if (e.kind === 'binary' && e.op === 'mul') {
    for (const [x, s] of [[e.a, e.b], [e.b, e.a]] as const) {
      const c = free(s) ? centered(x) : undefined;
      if (c && !c.scale) return { ...c, scale: s };
    }
  }
  return centered(e);
}

export function int8Operands(c: Contraction): [Int8Operand, Int8Operand] | undefined {
  const red = new Set(c.red.map((l) => l.loopVar));
  const a = int8Operand(c.a, red), b = int8Operand(c.b, red);
  return a && b ? [a, b] : undefined;
}

const BK = 32; // k per tile: 8 words of four int8 values

/** Packs the four int8 values of k = k0 + 4·kw + j (j = 0…3) of one tile row into a word. */
function fill(t: TemplateText, c: Contraction, q: Expr, loops: Contraction['m'], base: string, tile: number, dst: string): string[] {
  const O = product(loops), K = product(c.red), words = tile * (BK / 4);
  return [
    `for (int tscc_e = tscc_t; tscc_e < ${words}; tscc_e += 256) {`,
    `  const int tscc_oo = tscc_e % ${tile}, tscc_kw = tscc_e / ${tile}, tscc_o = ${base} + tscc_oo;`,
    '  unsigned tscc_word = 0u;',
    `  if (tscc_o < ${O}) {`,
    ...indent(indent([
      ...t.decode(c.batch, '(int)blockIdx.z', [q]), ...t.decode(loops, 'tscc_o', [q]),
      'for (int tscc_j = 0; tscc_j < 4; ++tscc_j) {',
      '  const int tscc_k = tscc_k0 + 4 * tscc_kw + tscc_j;',
      `  if (tscc_k < ${K}) {`,
      ...indent(indent([...t.decode(c.red, 'tscc_k', [q]), `tscc_word |= (unsigned)(unsigned char)(${t.expr(q)}) << (8 * tscc_j);`])),
      '  }',
      '}',
    ])),
    '  }',
    `  ${dst}[tscc_kw * ${tile} + tscc_oo] = (int)tscc_word;`,
    '}',
  ];
}

export function dp4aGemm(f: PrimFunc, c: Contraction, [a, b]: [Int8Operand, Int8Operand]): KernelSource | undefined {
  const M = product(c.m), N = product(c.n), K = product(c.red);
  const { TM, TN, BM, BN } = registerTile(M, N);
  if (!launchable(c, BM)) return undefined;
  const t = new TemplateText([...c.spatial, ...c.red]);
  const e = (x: Expr | undefined, none: string) => (x ? `(${t.expr(x)})` : none);
  const za = e(a.zero, '0.0f'), zb = e(b.zero, '0.0f');
  const terms = ['(float)tscc_c[tscc_i][tscc_j]'];
  if (b.zero) terms.push(`${zb} * (float)tscc_sa[tscc_i]`);
  if (a.zero) terms.push(`${za} * (float)tscc_sb[tscc_j]`);
  const corr = a.zero && b.zero ? ` + ${K}.0f * ${za} * ${zb}` : '';
  const scaled = `${e(a.scale, '1.0f')} * ${e(b.scale, '1.0f')} * (${terms.join(' - ')}${corr})`;
  const reads = [a.zero, a.scale, b.zero, b.scale].filter((x): x is Expr => !!x);
  const body = [
    ...threadPlace(BM, BN),
    `__shared__ int tscc_As[${(BK / 4) * BM}];`,
    `__shared__ int tscc_Bs[${(BK / 4) * BN}];`,
    `int tscc_c[${TM}][${TN}], tscc_sa[${TM}], tscc_sb[${TN}];`,
    `for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i) {`,
    '  tscc_sa[tscc_i] = 0;',
    `  for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_c[tscc_i][tscc_j] = 0;`,
    '}',
    `for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_sb[tscc_j] = 0;`,
    `for (int tscc_k0 = 0; tscc_k0 < ${K}; tscc_k0 += ${BK}) {`,
    ...indent(fill(t, c, a.q, c.m, 'tscc_m0', BM, 'tscc_As')),
    ...indent(fill(t, c, b.q, c.n, 'tscc_n0', BN, 'tscc_Bs')),
    '  __syncthreads();',
    '  TSCC_UNROLL',
    `  for (int tscc_kw = 0; tscc_kw < ${BK / 4}; ++tscc_kw) {`,
    `    int tscc_a[${TM}], tscc_b[${TN}];`,
    `    for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i) tscc_a[tscc_i] = tscc_As[tscc_kw * ${BM} + tscc_ty + 16 * tscc_i];`,
    `    for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_b[tscc_j] = tscc_Bs[tscc_kw * ${BN} + tscc_tx + 16 * tscc_j];`,
    `    for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i) tscc_sa[tscc_i] = __dp4a(tscc_a[tscc_i], 0x01010101, tscc_sa[tscc_i]);`,
    `    for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_sb[tscc_j] = __dp4a(0x01010101, tscc_b[tscc_j], tscc_sb[tscc_j]);`,
    `    for (int tscc_i = 0; tscc_i < ${TM}; ++tscc_i)`,
    `      for (int tscc_j = 0; tscc_j < ${TN}; ++tscc_j) tscc_c[tscc_i][tscc_j] = __dp4a(tscc_a[tscc_i], tscc_b[tscc_j], tscc_c[tscc_i][tscc_j]);`,
    '  }',
    '  __syncthreads();',
    '}',
    ...storeRegisterTile(TM, TN, epilogue(t, c, scaled, reads)),
  ];
  return kernelSource(f, body, [Math.ceil(N / BN), Math.ceil(M / BM), product(c.batch)], [16, 16, 1]);
}
