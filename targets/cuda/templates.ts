// Which kernels the CUDA target writes from a template rather than by printing the scheduled loop
// nest: an unscheduled function that is a contraction with an output plane of at least 8×8
// (__dp4a when both operands are dequantized int8, tensor cores when they are exactly f16/bf16,
// else the register-tiled SIMT GEMM), or a
// long reduction (a warp per output). Everything else, and anything a tuner scheduled, is printed
// from its loops (kernel.ts).
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { writtenIn } from '../../src/schedule/access.ts';
import { dp4aGemm, int8Operands } from './dp4a.ts';
import { simtGemm } from './gemm.ts';
import { type KernelSource, printKernel } from './kernel.ts';
import { matchContraction, matchReduction, product } from './match.ts';
import { ARCHS, type CudaArch, DEFAULT_ARCH } from './spec.ts';
import { warpReduce, warpWorthy } from './warp.ts';
import { wmmaGemm } from './wmma.ts';

/** Renders a function with the same buffers as the one matched (the plan may rename it). */
export type Template = (f: PrimFunc) => KernelSource;

export function templateFor(f: PrimFunc, arch: CudaArch = ARCHS[DEFAULT_ARCH]): Template | undefined {
  const c = matchContraction(f);
  if (c && product(c.m) >= 8 && product(c.n) >= 8) {
    const i8 = int8Operands(c);
    if (i8 && dp4aGemm(f, c, i8)) return (g) => dp4aGemm(g, c, i8)!;
    if (arch.tensorCores && wmmaGemm(f, c, arch)) return (g) => wmmaGemm(g, c, arch)!;
    if (simtGemm(f, c)) return (g) => simtGemm(g, c)!;
  }
  const r = matchReduction(f);
  if (r && warpWorthy(r)) return (g) => warpReduce(g, r);
  return undefined;
}

/** The kernel of `f`: its template when one applies, else its loops printed. */
export function renderKernel(f: PrimFunc, arch?: CudaArch): KernelSource {
  const t = templateFor(f, arch);
  return t ? t(f) : printKernel(f, writtenIn(f.body));
}
