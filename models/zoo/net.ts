// The zoo's model-writing layer: an OnnxBuilder plus seeded weights and the layers every
// architecture shares (conv, batch norm, linear). Op forms that depend on the opset live in forms.ts.
import { OnnxBuilder, float } from '../builder.ts';
import type { AttrInput } from '../builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { rng } from '../../src/runtime/random.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';

/** A zoo model written at one opset, with what a test needs to run it. */
export interface Built {
  bytes: Uint8Array;
  /** Concrete sizes for symbolic input dims (e.g. batch "N"), for running it. */
  shapes?: Record<string, number[]>;
  /** Inputs that must not be random (token ids); the rest are drawn at random. */
  inputs?: TensorMap;
}

export interface ConvOptions {
  stride?: number;
  /** Symmetric padding; default keeps the size for odd kernels at stride 1 ("same"). */
  pad?: number;
  group?: number;
  dilation?: number;
  bias?: boolean;
  /** 1 for Conv1d (weights [cout, cin/group, k]), 2 for Conv2d (default). */
  spatial?: 1 | 2;
}

export class Net {
  readonly b: OnnxBuilder;
  private readonly random: () => number;
  private counter = 0;

  /** `prefix` keeps value names unique when a Net writes an If branch inside another Net. */
  constructor(readonly opset: number, seed: number, readonly prefix = '', name = 'main') {
    this.b = new OnnxBuilder({ opset, name });
    this.random = rng(seed);
  }

  name(kind: string): string { return `${this.prefix}${kind}_${this.counter++}`; }

  input(name: string, shape: readonly (number | string)[]): string { return this.b.input(name, 'f32', shape); }
  /** Declares a graph output, optionally renamed (users see "probs.npy", not "Softmax_31_out.npy"). */
  output(value: string, as?: string): void {
    if (as) {
      // graphProto() hands out the builder's own node list, so renaming in it renames in the model.
      for (const n of this.b.graphProto().node ?? []) {
        n.input = n.input?.map((x) => (x === value ? as : x));
        n.output = n.output?.map((x) => (x === value ? as : x));
      }
    }
    this.b.output(as ?? value);
  }
  toBytes(): Uint8Array { return this.b.toBytes(); }

  /** One node with one output; node names are unique so error messages can name them. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrInput | undefined> = {}): string {
    return this.b.node(op, inputs, attrs, 1, { name: this.name(op) })[0];
  }

  ops(op: string, inputs: readonly string[], attrs: Record<string, AttrInput | undefined>, outputs: number): string[] {
    return this.b.node(op, inputs, attrs, outputs, { name: this.name(op) });
  }

  /** A weight or buffer stored as an initializer (how exporters store parameters). */
  init(t: Tensor, kind = 'w'): string { return this.b.initializer(t, this.name(kind)); }

  /** A Constant node, the way PyTorch writes scalars and shape vectors into the graph. */
  constant(t: Tensor): string { return this.op('Constant', [], { value: t }); }
  scalar(v: number): string { return this.constant(Tensor.scalar('f32', v)); }
  ints(v: readonly number[]): string { return this.constant(Tensor.i64(v)); }

  uniform(shape: readonly number[], lo: number, hi: number): Tensor {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * this.random();
    return new Tensor('f32', shape, data);
  }

  /** Variance 1/fanIn (LeCun uniform), so activations stay O(1) through deep stacks. */
  weight(shape: readonly number[], fanIn: number): Tensor {
    const a = Math.sqrt(3 / fanIn);
    return this.uniform(shape, -a, a);
  }

  conv(x: string, cin: number, cout: number, k: number, o: ConvOptions = {}): string {
    const group = o.group ?? 1, spatial = o.spatial ?? 2, dilation = o.dilation ?? 1;
    const pad = o.pad ?? ((k - 1) * dilation) / 2;
    const kshape = Array<number>(spatial).fill(k);
    const fanIn = (cin / group) * k ** spatial;
    const w = this.init(this.weight([cout, cin / group, ...kshape], fanIn));
    const inputs = [x, w];
    if (o.bias ?? true) inputs.push(this.init(this.uniform([cout], -0.1, 0.1), 'b'));
    const sp = (v: number) => Array<number>(spatial).fill(v);
    return this.op('Conv', inputs, {
      kernel_shape: kshape, strides: sp(o.stride ?? 1), pads: sp(pad).concat(sp(pad)),
      dilations: sp(dilation), group,
    });
  }

  /** Inference-mode BatchNormalization with non-trivial statistics. */
  bn(x: string, c: number): string {
    const scale = this.init(this.uniform([c], 0.5, 1.5), 'bn_scale');
    const bias = this.init(this.uniform([c], -0.2, 0.2), 'bn_bias');
    const mean = this.init(this.uniform([c], -0.2, 0.2), 'bn_mean');
    const variance = this.init(this.uniform([c], 0.5, 1.5), 'bn_var');
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: float(1e-5) });
  }

  /** nn.Linear on a rank ≥ 3 input, as PyTorch writes it: MatMul by Wᵀ (stored [in, out]) + Add. */
  linear(x: string, cin: number, cout: number): string {
    const w = this.init(this.weight([cin, cout], cin));
    const y = this.op('MatMul', [x, w]);
    return this.op('Add', [y, this.init(this.uniform([cout], -0.1, 0.1), 'b')]);
  }

  /** nn.Linear on a 2-D input: Gemm with W stored [out, in] and transB=1. */
  gemm(x: string, cin: number, cout: number): string {
    const w = this.init(this.weight([cout, cin], cin));
    const bias = this.init(this.uniform([cout], -0.1, 0.1), 'b');
    return this.op('Gemm', [x, w, bias], { alpha: float(1), beta: float(1), transB: 1 });
  }
}
