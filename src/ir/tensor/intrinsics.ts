// Target intrinsics: statements that a target executes as one instruction (an NPU GEMM tile, a PIM MAC).
// Their meaning is defined here, once, as a loop nest over the argument regions; the interpreter runs
// that definition and `tensorize` matches it against scheduled loop nests.
//
//   matmul_tile(C[m,n], A[m,k], B[k,n], accumulate):  C = (accumulate ? C : 0) + A × B
//   mac(acc[l], a[l], b[l]):                          acc += a ⊙ b            (lanes l)

export interface IntrinsicDef {
  readonly name: string;
  /** Number of region arguments, then scalar arguments. */
  readonly regions: number;
  readonly scalars: number;
  readonly doc: string;
}

export const INTRINSICS: Readonly<Record<string, IntrinsicDef>> = {
  matmul_tile: { name: 'matmul_tile', regions: 3, scalars: 1, doc: 'C[m,n] = (acc ? C : 0) + sum_k A[m,k]·B[k,n]' },
  mac: { name: 'mac', regions: 3, scalars: 0, doc: 'acc[l] += a[l]·b[l]' },
};
