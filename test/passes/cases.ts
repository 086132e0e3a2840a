// Golden cases of the graph passes: a small model written with the ONNX builder, the pass to run, and
// (in golden/<name>.txt) the graph before, the pass, the graph after. Weights are seeded and small.
import { OnnxBuilder, float } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { rng } from '../../src/runtime/random.ts';

export interface PassCase {
  readonly name: string;
  /** Pass names run in order (usually one). */
  readonly passes: readonly string[];
  readonly model: () => Uint8Array;
  /** Import without folding, so the pass itself has something to fold. */
  readonly noFold?: boolean;
}

function weights(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const t = new Tensor('f32', shape);
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r();
  return t;
}
const sc = (b: OnnxBuilder, v: number) => b.initializer(Tensor.scalar('f32', v));
const model = (build: (b: OnnxBuilder) => void) => () => { const b = new OnnxBuilder({ opset: 17 }); build(b); return b.toBytes(); };

export const CASES: readonly PassCase[] = [
  {
    name: 'fold-shape-subgraph', passes: ['fold'], noFold: true,
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 3, 4]);
      const shape = b.op('Shape', [x]);
      const first = b.op('Gather', [shape, b.initializer(Tensor.i64([0], []))], { axis: 0 });
      const target = b.op('Concat', [b.op('Unsqueeze', [first, b.initializer(Tensor.i64([0]))]), b.initializer(Tensor.i64([-1]))], { axis: 0 });
      b.output(b.op('Reshape', [x, target]));
    }),
  },
  {
    name: 'dce-dead-nodes', passes: ['dce'], noFold: true,
    model: model((b) => {
      const x = b.input('x', 'f32', [4]);
      b.op('Exp', [b.op('Neg', [x])]);
      b.output(b.op('Relu', [x]));
    }),
  },
  {
    name: 'cse-duplicates', passes: ['cse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [4]);
      const a = b.op('Mul', [x, sc(b, 2)]), c = b.op('Mul', [x, sc(b, 2)]);
      b.output(b.op('Add', [b.op('Sigmoid', [a]), b.op('Sigmoid', [c])]));
    }),
  },
  {
    name: 'eliminate-noops', passes: ['eliminate'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 3]);
      const i = b.op('Identity', [x]);
      const d = b.node('Dropout', [i], {}, 1)[0];
      const r = b.op('Reshape', [d, b.initializer(Tensor.i64([2, 3]))]);
      const t = b.op('Transpose', [r], { perm: [0, 1] });
      b.output(b.op('Relu', [b.op('Cast', [t], { to: 1 })]));
    }),
  },
  {
    name: 'eliminate-chains', passes: ['eliminate'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 3, 4]);
      const t = b.op('Transpose', [b.op('Transpose', [x], { perm: [0, 2, 1] })], { perm: [2, 0, 1] });
      const r = b.op('Reshape', [b.op('Flatten', [t], { axis: 1 }), b.initializer(Tensor.i64([4, 6]))]);
      const back = b.op('Transpose', [b.op('Transpose', [x], { perm: [1, 0, 2] })], { perm: [1, 0, 2] });
      b.output(b.op('Unsqueeze', [r, b.initializer(Tensor.i64([0]))]));
      b.output(b.op('Relu', [back]));
    }),
  },
  {
    name: 'eliminate-output-keeps-its-name', passes: ['eliminate'],
    model: model((b) => {
      const x = b.input('x', 'f32', [3]);
      const y = b.op('Identity', [b.op('Relu', [x])]);
      b.output(y);
      b.output(b.op('Identity', [x]));
    }),
  },
  {
    name: 'algebra-neutral-and-div', passes: ['algebra'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 4]);
      const one = b.op('Mul', [sc(b, 1), x]);
      const zero = b.op('Add', [one, b.initializer(Tensor.fromNumbers('f32', [4], [0, 0, 0, 0]))]);
      const bcast = b.op('Add', [b.input('y', 'f32', [2, 1]), b.initializer(Tensor.fromNumbers('f32', [4], [0, 0, 0, 0]))]);
      b.output(b.op('Div', [b.op('Sub', [zero, sc(b, 0)]), sc(b, 4)]));
      b.output(bcast);
    }),
  },
  {
    name: 'layout-transposes-cancel', passes: ['layout', 'eliminate'],
    model: model((b) => {
      // An NHWC model's element-wise code between layout conversions, as TF exporters write it.
      const x = b.input('x', 'f32', [1, 4, 4, 3]);
      const nchw = b.op('Transpose', [x], { perm: [0, 3, 1, 2] });
      const y = b.op('Transpose', [b.op('Relu', [nchw])], { perm: [0, 2, 3, 1] });
      const z = b.op('Transpose', [b.input('z', 'f32', [1, 4, 4, 3])], { perm: [0, 3, 1, 2] });
      const w = b.op('Transpose', [b.input('w', 'f32', [1, 4, 4, 3])], { perm: [0, 3, 1, 2] });
      b.output(y);
      b.output(b.op('Clip', [b.op('Add', [z, w]), b.initializer(Tensor.scalar('f32', 0)), b.initializer(Tensor.scalar('f32', 6))]));
    }),
  },
  {
    name: 'fold-bn-into-conv', passes: ['fold-bn'],
    model: model((b) => {
      const x = b.input('x', 'f32', [1, 2, 5, 5]);
      const c = b.op('Conv', [x, b.initializer(weights([3, 2, 3, 3], 1)), b.initializer(weights([3], 2))], { pads: [1, 1, 1, 1] });
      const bn = b.op('BatchNormalization', [c, b.initializer(weights([3], 3, 0.5, 1.5)), b.initializer(weights([3], 4)), b.initializer(weights([3], 5)), b.initializer(weights([3], 6, 0.5, 1.5))], { epsilon: float(1e-5) });
      b.output(b.op('Relu', [bn]));
    }),
  },
  {
    name: 'fold-bn-into-gemm-and-standalone', passes: ['fold-bn'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 4]);
      const g = b.op('Gemm', [x, b.initializer(weights([3, 4], 7)), b.initializer(weights([3], 8))], { transB: 1, alpha: float(0.5), beta: float(2) });
      const bn = (v: string, c: number, s: number) => b.op('BatchNormalization', [v, b.initializer(weights([c], s, 0.5, 1.5)), b.initializer(weights([c], s + 1)), b.initializer(weights([c], s + 2)), b.initializer(weights([c], s + 3, 0.5, 1.5))]);
      b.output(bn(g, 3, 10));
      b.output(bn(b.input('z', 'f32', [1, 2, 3, 3]), 2, 20));
    }),
  },
  {
    name: 'fuse-conv-bias-relu-residual', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [1, 2, 6, 6]);
      const c = b.op('Conv', [x, b.initializer(weights([2, 2, 3, 3], 11))], { pads: [1, 1, 1, 1] });
      const y = b.op('Relu', [b.op('Add', [b.op('Add', [c, b.initializer(weights([1, 2, 1, 1], 12))]), x])]);
      // A second conv after the first group: one complex op per group, so it starts its own.
      b.output(b.op('Conv', [y, b.initializer(weights([2, 2, 1, 1], 13))]));
    }),
  },
  {
    name: 'fuse-layernorm-decomposed', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 3, 8]);
      const mean = b.op('ReduceMean', [x], { axes: [-1] });
      const d = b.op('Sub', [x, mean]);
      const v = b.op('ReduceMean', [b.op('Pow', [d, sc(b, 2)])], { axes: [-1] });
      const y = b.op('Div', [d, b.op('Sqrt', [b.op('Add', [v, sc(b, 1e-5)])])]);
      const ln = b.op('Add', [b.op('Mul', [y, b.initializer(weights([8], 14))]), b.initializer(weights([8], 15))]);
      b.output(b.op('MatMul', [ln, b.initializer(weights([8, 4], 16))]));
    }),
  },
  {
    name: 'fuse-skip-layernorm', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 3, 8]), r = b.input('r', 'f32', [2, 3, 8]);
      const s = b.op('Add', [x, r]);
      const ln = b.op('LayerNormalization', [s, b.initializer(weights([8], 17)), b.initializer(weights([8], 18))], { axis: -1 });
      b.output(b.op('Add', [s, b.op('MatMul', [ln, b.initializer(weights([8, 8], 19))])]));
    }),
  },
  {
    name: 'fuse-matmul-bias-gelu-erf', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 3, 8]);
      const h = b.op('Add', [b.op('MatMul', [x, b.initializer(weights([8, 6], 20))]), b.initializer(weights([6], 21))]);
      const e = b.op('Erf', [b.op('Div', [h, sc(b, Math.SQRT2)])]);
      b.output(b.op('Mul', [b.op('Mul', [h, b.op('Add', [e, sc(b, 1)])]), sc(b, 0.5)]));
    }),
  },
  {
    name: 'fuse-gelu-tanh', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [4, 8]);
      const inner = b.op('Mul', [b.op('Add', [x, b.op('Mul', [b.op('Pow', [x, sc(b, 3)]), sc(b, 0.044715)])]), sc(b, Math.sqrt(2 / Math.PI))]);
      const y = b.op('Mul', [b.op('Mul', [x, sc(b, 0.5)]), b.op('Add', [b.op('Tanh', [inner]), sc(b, 1)])]);
      b.output(b.op('Softmax', [y], { axis: -1 }));
    }),
  },
  {
    name: 'fuse-hardswish-chain', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [1, 4, 5, 5]);
      const c = b.op('Conv', [x, b.initializer(weights([4, 1, 3, 3], 22))], { pads: [1, 1, 1, 1], group: 4 });
      const hs = b.op('Div', [b.op('Mul', [c, b.op('Clip', [b.op('Add', [c, sc(b, 3)]), sc(b, 0), sc(b, 6)])]), sc(b, 6)]);
      b.output(b.op('GlobalAveragePool', [hs]));
    }),
  },
  {
    name: 'fuse-attention', passes: ['fuse'],
    model: model((b) => {
      const q = b.input('q', 'f32', [1, 2, 4, 8]), k = b.input('k', 'f32', [1, 2, 4, 8]), v = b.input('v', 'f32', [1, 2, 4, 8]);
      const mask = b.initializer(Tensor.fromNumbers('bool', [1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => +((i % 4) <= Math.floor(i / 4)))));
      const s = b.op('Div', [b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), sc(b, Math.sqrt(8))]);
      const masked = b.op('Where', [mask, s, sc(b, -1e9)]);
      const o = b.op('MatMul', [b.op('Softmax', [masked], { axis: -1 }), v]);
      b.output(b.op('Reshape', [b.op('Transpose', [o], { perm: [0, 2, 1, 3] }), b.initializer(Tensor.i64([1, 4, 16]))]));
    }),
  },
  {
    name: 'fuse-reduction-is-a-sink', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [3, 5]);
      const s = b.op('ReduceSum', [b.op('Exp', [x]), b.initializer(Tensor.i64([1]))], { keepdims: 1 });
      b.output(b.op('Sqrt', [b.op('Mul', [s, sc(b, 2)])]));
    }),
  },
  {
    name: 'fuse-keeps-values-a-subgraph-reads', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [4]), cond = b.input('cond', 'bool', []);
      const r = b.op('Relu', [x]);
      const branch = (op: string) => { const g = new OnnxBuilder({ opset: 17, name: op }); g.output(g.op(op, [r])); return g; };
      const chosen = b.op('If', [cond], { then_branch: branch('Exp'), else_branch: branch('Neg') });
      b.output(b.op('Add', [b.op('Sigmoid', [r]), chosen]));
    }),
  },
  {
    name: 'fuse-diamond-postdominator', passes: ['fuse'],
    model: model((b) => {
      const x = b.input('x', 'f32', [2, 6]);
      const m = b.op('MatMul', [x, b.initializer(weights([6, 6], 23))]);
      const a = b.op('Sigmoid', [m]), c = b.op('Tanh', [m]);
      const y = b.op('Mul', [a, c]);
      b.output(b.op('Add', [y, m]));
      b.output(b.op('Neg', [a]));
    }),
  },
];
