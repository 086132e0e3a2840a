// BatchNormalization (inference form) folded away: into the weights and bias of the Conv or Gemm
// that feeds it when that is its only reader, otherwise into a Mul and an Add by per-channel
// constants, which fusion then merges like any element-wise op.
//   y = (x − mean) · s + beta,  s = scale / √(var + eps)
import type { NodeSpec } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { GraphPass } from '../pass.ts';
import { rewriteGraph, type Rewrite, type RewriteCtx, type Rule } from './rewrite.ts';

interface Affine { s: Float64Array; t: Float64Array }

/** The per-channel affine map y = x·s + t of a BatchNormalization with constant parameters. */
function affineOf(n: NodeSpec, ctx: RewriteCtx): Affine | undefined {
  if (n.op !== 'BatchNormalization' || n.outputs.length !== 1) return undefined;
  const [scale, beta, mean, variance] = n.inputs.slice(1).map((x) => ctx.constant(x)?.toNumbers());
  if (!scale || !beta || !mean || !variance) return undefined;
  const a = n.attrs?.epsilon;
  const eps = a && (a.kind === 'float' || a.kind === 'int') ? a.value : 1e-5;
  const s = Float64Array.from(scale, (g, c) => g / Math.sqrt(variance[c] + Math.fround(eps)));
  const t = Float64Array.from(beta, (b, c) => b - mean[c] * s[c]);
  return { s, t };
}

function constant(ctx: RewriteCtx, prefix: string, shape: number[], values: ArrayLike<number>) {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return { name: ctx.fresh(prefix), type: { dtype: 'f32' as const, shape }, constant: new Tensor('f32', shape, data) };
}

/** Conv(x, w, b) → BN  ⇒  Conv(x, w·s, b·s + t). Typed arrays: ResNet-50 has 25M weights to scale. */
function intoConv(n: NodeSpec, conv: NodeSpec, f: Affine, ctx: RewriteCtx): Rewrite | undefined {
  const w = ctx.constant(conv.inputs[1]);
  const b = conv.inputs[2] ? ctx.constant(conv.inputs[2]) : undefined;
  if (!w || w.dtype !== 'f32' || (conv.inputs[2] && !b)) return undefined;
  const cout = w.shape[0], per = w.size / cout;
  const wv = w.data as Float32Array, bv = b?.toF32();
  // A new array (the input graph keeps its weights), written once per element: on a busy machine
  // this copy is most of the whole pipeline's time on ResNet-50.
  const w2 = new Float32Array(w.size);
  for (let c = 0; c < cout; c++) {
    const s = f.s[c], from = wv.subarray(c * per, (c + 1) * per), to = w2.subarray(c * per, (c + 1) * per);
    for (let i = 0; i < per; i++) to[i] = from[i] * s;
  }
  const b2 = Float32Array.from({ length: cout }, (_, c) => (bv ? bv[c] : 0) * f.s[c] + f.t[c]);
  const wc = constant(ctx, `${conv.inputs[1]}_bn`, [...w.shape], w2), bc = constant(ctx, `${n.name}_bias`, [cout], b2);
  return { constants: [wc, bc], nodes: [{ ...conv, name: conv.name, inputs: [conv.inputs[0], wc.name, bc.name], outputs: n.outputs }] };
}

/** Gemm(a, B, C) with a per-column BN ⇒ Gemm(a, B·s, C·s + t) (α, β and transB respected). */
function intoGemm(n: NodeSpec, gemm: NodeSpec, f: Affine, ctx: RewriteCtx): Rewrite | undefined {
  const B = ctx.constant(gemm.inputs[1]);
  const C = gemm.inputs[2] ? ctx.constant(gemm.inputs[2]) : undefined;
  const cols = f.s.length;
  const perColumn = (t: Tensor) => t.size === 1 || (t.size === cols && t.shape[t.shape.length - 1] === cols && t.rank <= 2);
  if (!B || B.dtype !== 'f32' || (gemm.inputs[2] && (!C || !perColumn(C)))) return undefined;
  const transB = gemm.attrs?.transB?.value === 1;
  const beta = gemm.attrs?.beta?.kind === 'float' ? gemm.attrs.beta.value : 1;
  const bv = B.toNumbers();
  const B2 = bv.map((v, i) => v * f.s[transB ? Math.floor(i / B.shape[1]) : i % B.shape[1]]);
  const cv = C?.toNumbers();
  const C2 = Array.from({ length: cols }, (_, j) => (cv ? cv[cv.length === 1 ? 0 : j] * beta : 0) * f.s[j] + f.t[j]);
  const bc = constant(ctx, `${gemm.inputs[1]}_bn`, [...B.shape], B2), cc = constant(ctx, `${n.name}_bias`, [cols], C2);
  const attrs = { ...gemm.attrs, beta: { kind: 'float' as const, value: 1 } };
  return { constants: [bc, cc], nodes: [{ ...gemm, attrs, inputs: [gemm.inputs[0], bc.name, cc.name], outputs: n.outputs }] };
}

/** A BN nothing can absorb ⇒ Mul(x, s) then Add(·, t), with s, t shaped [C, 1, …] to broadcast. */
function asMulAdd(n: NodeSpec, f: Affine, ctx: RewriteCtx): Rewrite {
  const t = ctx.type(n.outputs[0]);
  const shape = [f.s.length, ...Array(Math.max(t.shape.length - 2, 0)).fill(1)];
  const sc = constant(ctx, `${n.name}_scale`, shape, f.s), tc = constant(ctx, `${n.name}_shift`, shape, f.t);
  const mid = ctx.fresh(`${n.outputs[0]}_scaled`);
  return {
    constants: [sc, tc], types: new Map([[mid, t]]),
    nodes: [
      { name: `${n.name}_mul`, op: 'Mul', inputs: [n.inputs[0], sc.name], outputs: [mid] },
      { name: `${n.name}_add`, op: 'Add', inputs: [mid, tc.name], outputs: n.outputs },
    ],
  };
}

const rule: Rule = (n, ctx) => {
  if ((n.domain ?? '') !== '' || ctx.type(n.outputs[0]).dtype !== 'f32') return undefined;
  const f = affineOf(n, ctx);
  if (!f) return undefined;
  const x = n.inputs[0], prev = ctx.producer(x);
  const sole = prev && ctx.uses(x) === 1 && !ctx.isOutput(x);
  const folded = sole && prev.op === 'Conv' ? intoConv(n, prev, f, ctx)
    : sole && prev.op === 'Gemm' && ctx.type(x).shape.length === 2 ? intoGemm(n, prev, f, ctx) : undefined;
  return folded ?? asMulAdd(n, f, ctx);
};

export const foldBnPass: GraphPass = {
  name: 'fold-bn',
  doc: 'fold inference BatchNormalization into the Conv/Gemm before it, else into Mul+Add',
  run: (g) => rewriteGraph(g, rule),
};
