// What the code generator means a PIM kernel to compute, written independently of the layout and
// the command streams: operands rounded once to the 16-bit format; each output row's reduction split
// into kSplit parts of whole 16-lane column vectors, each part accumulated in fp32 (bias first, then
// one 16-lane dot product per column vector in k order, the dot product an fp32 pairwise tree of exact
// products), the parts added in order; element-wise results rounded once. The simulator must agree
// with this bit for bit. int8 (a quantized group on a PU with the int8 mode): each output's exact
// integer Σ_k x_q·w_q, then the host's read-out (qdq.ts int8Readout); a quantized group in a 16-bit
// format: the body's prologue values (reference kernels) through the 16-bit intent, then its epilogue.
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { decode16, encode16, laneDot, type Pim16 } from '../../../targets/pim/fp.ts';
import { BodyEval, activationCodes, int8Readout, weightCodes } from '../../../targets/pim/codegen/qdq-host.ts';
import type { GemvProblem } from '../../../targets/pim/layout.ts';
import { broadcastIndex } from '../../../targets/pim/codegen/ops.ts';
import type { PimCheck } from './helpers.ts';

const LANES = 16;

function gemv(fmt: Pim16, p: GemvProblem, kSplit: number, ins: readonly Float32Array[], out: Float32Array): void {
  const Kc = Math.ceil(p.K / LANES), Kcp = Math.ceil(Kc / kSplit);
  const q = (v: number) => encode16(fmt, v);
  const xv = new Uint16Array(LANES), wv = new Uint16Array(LANES);
  for (let m = 0; m < p.M; m++) for (let n = 0; n < p.N; n++) {
    let y = 0;
    for (let part = 0; part < kSplit; part++) {
      let acc = part === 0 && p.bias ? decode16(fmt, q(ins[p.bias.input][p.bias.off + m * p.bias.s0 + n * p.bias.s1] * p.bias.scale)) : 0;
      for (let cv = part * Kcp; cv < Math.min(Kc, (part + 1) * Kcp); cv++) {
        for (let l = 0; l < LANES; l++) {
          const k = cv * LANES + l;
          xv[l] = k < p.K ? q(ins[p.x.input][p.x.off + m * p.x.s0 + k * p.x.s1] * p.x.scale) : 0;
          wv[l] = k < p.K ? q(ins[p.w.input][p.w.off + n * p.w.s0 + k * p.w.s1] * p.w.scale) : 0;
        }
        acc = Math.fround(acc + laneDot(fmt, wv, 0, xv, 0, LANES));
      }
      y = Math.fround(y + acc);
    }
    out[p.y.off + m * p.y.s0 + n * p.y.s1] = y;
  }
}

/** The graph outputs as the intent computes them, kernel by kernel (as arrays of numbers). */
export function intentOutputs(r: PimCheck): number[][] {
  const env = new Map<string, Tensor>(Object.entries(r.inputs as TensorMap));
  r.compiled.plan.kernels.forEach((k, i) => {
    const prog = r.programs[i];
    const outer = k.node.inputs.map((v) => (v ? (env.get(v.name) ?? v.constant)! : new Tensor('f32', [0])));
    const y = k.node.outputs[0];
    const shape = y.type.shape as number[];
    const out = new Float32Array(shape.reduce((a, d) => a * d, 1));
    const q = prog.qdq;
    if (q) {
      const ev = new BodyEval(k.node.body!, outer);
      const operand = (i: number) => (q.compute.inputs[i] ? ev.value(q.compute.inputs[i]!).toF32() : undefined);
      if (prog.fmt === 'int8') {
        const x = activationCodes(q.int8!, ev).toF32(), w = weightCodes(q.int8!, ev).toF32(), acc = new Float64Array(out.length);
        for (const { readout: p } of prog.gemv!) {
          for (let m = 0; m < p!.M; m++) for (let n = 0; n < p!.N; n++) {
            let s = 0;
            for (let kk = 0; kk < p!.K; kk++) s += x[p!.x.off + m * p!.x.s0 + kk * p!.x.s1] * w[p!.w.off + n * p!.w.s0 + kk * p!.w.s1];
            acc[p!.y.off + m * p!.y.s0 + n * p!.y.s1] = s;
          }
          int8Readout(q, p!, acc, x, w, operand(2), out);
        }
        env.set(y.name, q.int8!.oq ? ev.finish(q, Tensor.fromNumbers(q.epilogue[0].outputs[0].type.dtype, shape, out), true) : ev.finish(q, new Tensor('f32', shape, out)));
      } else {
        const ins = [0, 1, 2].map((i) => operand(i) ?? new Float32Array());
        for (const part of prog.gemv ?? []) gemv(prog.fmt, part.problem, part.layout.schedule.kSplit, ins, out);
        env.set(y.name, ev.finish(q, new Tensor('f32', shape, out)));
      }
      return;
    }
    const fmt = prog.fmt as Pim16;
    const ins = outer.map((t) => t.toF32());
    if (prog.eltwise) {
      const [a, b] = [0, 1].map((j) => { const map = broadcastIndex(shape, k.node.inputs[j]!.type.shape as number[]); return Array.from(map, (s) => decode16(fmt, encode16(fmt, ins[j][s]))); });
      for (let e = 0; e < out.length; e++) out[e] = decode16(fmt, encode16(fmt, k.node.op === 'Add' ? a[e] + b[e] : a[e] * b[e]));
    }
    for (const part of prog.gemv ?? []) gemv(fmt, part.problem, part.layout.schedule.kSplit, ins, out);
    env.set(y.name, Tensor.fromNumbers(y.type.dtype, shape, out));
  });
  return r.compiled.plan.graph.outputs.map((v) => Array.from(env.get(v.name)!.toF32()));
}
