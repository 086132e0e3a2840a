// Element-wise functions fused after a layer (activation after conv/matmul, a chain after an
// element-wise op): applied in place on a scratchpad tile before it is stored.
import type { Node } from '../../../src/ir/graph/graph.ts';
import { BCAST, VF } from '../isa.ts';
import type { Emitter } from './emitter.ts';

export interface EpiOp { readonly fn: number; readonly imm0?: number; readonly imm1?: number }
export type Epilogue = readonly EpiOp[];

const SIMPLE: Record<string, number> = {
  Relu: VF.RELU, Sigmoid: VF.SIGMOID, Tanh: VF.TANH, Erf: VF.ERF, Exp: VF.EXP, Log: VF.LOG, Sqrt: VF.SQRT,
  Neg: VF.NEG, Abs: VF.ABS, Reciprocal: VF.RECIP, HardSwish: VF.HSWISH, Identity: VF.COPY,
};

/** The vector function for a unary node with constant parameters, or null when it has none. */
export function unaryOp(n: Node): EpiOp | null {
  if (n.op in SIMPLE) return { fn: SIMPLE[n.op] };
  switch (n.op) {
    case 'Clip': {
      const lo = n.input(1)?.constant, hi = n.input(2)?.constant;
      if ((n.input(1) && !lo) || (n.input(2) && !hi)) return null;
      return { fn: VF.CLIP, imm0: lo ? lo.toNumbers()[0] : -65504, imm1: hi ? hi.toNumbers()[0] : 65504 };
    }
    case 'HardSigmoid': return { fn: VF.HSIGMOID, imm0: n.attr.float('alpha', 0.2), imm1: n.attr.float('beta', 0.5) };
    case 'Gelu': return n.attr.string('approximate', 'none') === 'none' ? { fn: VF.GELU } : null;
    default: return null;
  }
}

export function emitEpilogueOps(e: Emitter, core: number, epi: Epilogue, buf: number, rows: number, cols: number): void {
  for (const op of epi) e.vec(core, op.fn, buf, buf, rows, cols, { imm0: op.imm0, imm1: op.imm1, bcast: BCAST.full });
}
