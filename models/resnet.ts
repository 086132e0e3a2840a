// Full torchvision-style ResNet-18/34/50 graphs with seeded random weights, as PyTorch exports them
// (Conv with bias after BN folding is not assumed: Conv → BatchNormalization → Relu, as in training exports).
import { OnnxBuilder } from './builder.ts';
import { Tensor } from '../src/ir/graph/tensor.ts';
import { rng } from '../src/runtime/random.ts';

export interface ResNetOptions { depth: 18 | 34 | 50; opset?: number; batch?: number | string; classes?: number; image?: number; seed?: number }

const LAYERS: Record<ResNetOptions['depth'], number[]> = { 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3] };

export function resnet(o: ResNetOptions): OnnxBuilder {
  const b = new OnnxBuilder({ opset: o.opset ?? 13, name: `resnet${o.depth}` });
  const r = rng(o.seed ?? 1);
  /** Uniform in center ± spread. */
  const rand = (shape: number[], spread: number, center = 0) => {
    const t = new Tensor('f32', shape);
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = center + (r() * 2 - 1) * spread;
    return t;
  };
  const conv = (x: string, cin: number, cout: number, k: number, stride: number) => {
    const w = b.initializer(rand([cout, cin, k, k], Math.sqrt(3 / (cin * k * k))));
    const y = b.op('Conv', [x, w], { kernel_shape: [k, k], strides: [stride, stride], pads: Array(4).fill((k - 1) >> 1) });
    const bn = (center: number, spread: number) => b.initializer(rand([cout], spread, center));
    return b.op('BatchNormalization', [y, bn(1, 0.1), bn(0, 0.1), bn(0, 0.1), bn(1, 0.05)], { epsilon: 1e-5 });
  };
  const relu = (x: string) => b.op('Relu', [x]);
  const image = o.image ?? 224;
  let x = b.input('input', 'f32', [o.batch ?? 1, 3, image, image]);
  x = b.op('MaxPool', [relu(conv(x, 3, 64, 7, 2))], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let cin = 64;
  const bottleneck = o.depth === 50;
  LAYERS[o.depth].forEach((blocks, stage) => {
    const width = 64 << stage, cout = bottleneck ? width * 4 : width;
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      let y: string;
      if (bottleneck) y = conv(relu(conv(relu(conv(x, cin, width, 1, 1)), width, width, 3, stride)), width, cout, 1, 1);
      else y = conv(relu(conv(x, cin, width, 3, stride)), width, cout, 3, 1);
      const skip = stride !== 1 || cin !== cout ? conv(x, cin, cout, 1, stride) : x;
      x = relu(b.op('Add', [y, skip]));
      cin = cout;
    }
  });
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])], { axis: 1 });
  const classes = o.classes ?? 1000;
  const fc = b.op('Gemm', [pooled, b.initializer(rand([classes, cin], Math.sqrt(3 / cin))), b.initializer(rand([classes], 0.01))], { transB: 1 });
  b.output(fc, 'f32', [o.batch ?? 1, classes]);
  return b;
}
