// Convolutional blocks as torchvision exports them: ResNet, MobileNetV2/V3, EfficientNet, plus the
// classifier head they all end in. Each block takes and returns a value name in an NCHW graph.
import { type Built, Net } from './net.ts';
import { hardSigmoid, hardSwish, relu6, swish } from './forms.ts';

/** ResNet BasicBlock: two 3×3 conv+BN, identity or 1×1-conv+BN shortcut, ReLU after the sum. */
export function basicBlock(n: Net, x: string, cin: number, cout: number, stride = 1): string {
  let y = n.op('Relu', [n.bn(n.conv(x, cin, cout, 3, { stride, bias: false }), cout)]);
  y = n.bn(n.conv(y, cout, cout, 3, { bias: false }), cout);
  const shortcut = stride === 1 && cin === cout ? x : n.bn(n.conv(x, cin, cout, 1, { stride, bias: false }), cout);
  return n.op('Relu', [n.op('Add', [y, shortcut])]);
}

/** ResNet Bottleneck (v1.5: the stride sits on the 3×3 conv), expansion 4. */
export function bottleneck(n: Net, x: string, cin: number, width: number, stride = 1): string {
  const cout = width * 4;
  let y = n.op('Relu', [n.bn(n.conv(x, cin, width, 1, { bias: false }), width)]);
  y = n.op('Relu', [n.bn(n.conv(y, width, width, 3, { stride, bias: false }), width)]);
  y = n.bn(n.conv(y, width, cout, 1, { bias: false }), cout);
  const shortcut = stride === 1 && cin === cout ? x : n.bn(n.conv(x, cin, cout, 1, { stride, bias: false }), cout);
  return n.op('Relu', [n.op('Add', [y, shortcut])]);
}

/** MobileNetV2 InvertedResidual: 1×1 expand, 3×3 depthwise, 1×1 linear projection; ReLU6 is Clip. */
export function invertedResidual(n: Net, x: string, cin: number, cout: number, expand: number, stride = 1): string {
  const hidden = cin * expand;
  let y = relu6(n, n.bn(n.conv(x, cin, hidden, 1, { bias: false }), hidden));
  y = relu6(n, n.bn(n.conv(y, hidden, hidden, 3, { stride, group: hidden, bias: false }), hidden));
  y = n.bn(n.conv(y, hidden, cout, 1, { bias: false }), cout);
  return stride === 1 && cin === cout ? n.op('Add', [x, y]) : y;
}

/** Squeeze-and-excitation: global pool, bottleneck 1×1 convs, a gate that scales the channels. */
function squeezeExcite(n: Net, x: string, c: number, squeeze: number, act: (y: string) => string, gate: (y: string) => string): string {
  let s = n.op('GlobalAveragePool', [x]);
  s = act(n.conv(s, c, squeeze, 1));
  s = gate(n.conv(s, squeeze, c, 1));
  return n.op('Mul', [x, s]);
}

/** MobileNetV3 InvertedResidual with hard-swish and a hard-sigmoid SE gate (5×5 depthwise). */
export function mobileNetV3Block(n: Net, x: string, cin: number, cout: number, hidden: number): string {
  let y = hardSwish(n, n.bn(n.conv(x, cin, hidden, 1, { bias: false }), hidden));
  y = hardSwish(n, n.bn(n.conv(y, hidden, hidden, 5, { group: hidden, bias: false }), hidden));
  y = squeezeExcite(n, y, hidden, hidden / 4, (s) => n.op('Relu', [s]), (s) => hardSigmoid(n, s));
  y = n.bn(n.conv(y, hidden, cout, 1, { bias: false }), cout);
  return cin === cout ? n.op('Add', [x, y]) : y;
}

/** EfficientNet MBConv with batch norm folded into the convs (as exported in eval mode). */
export function mbConv(n: Net, x: string, cin: number, cout: number, expand: number, k: number): string {
  const hidden = cin * expand;
  let y = swish(n, n.conv(x, cin, hidden, 1));
  y = swish(n, n.conv(y, hidden, hidden, k, { group: hidden }));
  y = squeezeExcite(n, y, hidden, Math.max(1, cin / 4), (s) => swish(n, s), (s) => n.op('Sigmoid', [s]));
  y = n.conv(y, hidden, cout, 1);
  return cin === cout ? n.op('Add', [x, y]) : y;
}

/** Global pool → Flatten → Linear → Softmax, as at the end of every torchvision classifier. */
export function classifierHead(n: Net, x: string, c: number, classes: number): string {
  const pooled = n.op('GlobalAveragePool', [x]);
  const flat = n.op('Flatten', [pooled], { axis: 1 });
  return n.op('Softmax', [n.gemm(flat, c, classes)], { axis: n.opset >= 13 ? -1 : 1 });
}

/** Wraps a block builder as a one-input model; `bind` sizes the symbolic dims for running it. */
function model(opset: number, seed: number, shape: (number | string)[], body: (n: Net, x: string) => string, o: { bind?: number[]; out?: string } = {}): Built {
  const n = new Net(opset, seed);
  const x = n.input('x', shape);
  n.output(body(n, x), o.out ?? 'y');
  return { bytes: n.toBytes(), shapes: o.bind ? { x: o.bind } : undefined };
}

export const resnetBasic = (opset: number) => model(opset, 11, [1, 16, 12, 12], (n, x) => basicBlock(n, basicBlock(n, x, 16, 16), 16, 32, 2));
export const resnetBottleneck = (opset: number) => model(opset, 12, [1, 32, 8, 8], (n, x) => bottleneck(n, bottleneck(n, x, 32, 8), 32, 16, 2));
export const mobileNetV2 = (opset: number) =>
  model(opset, 13, [1, 16, 12, 12], (n, x) => invertedResidual(n, invertedResidual(n, x, 16, 16, 6), 16, 24, 6, 2));
export const mobileNetV3 = (opset: number) => model(opset, 14, [1, 16, 10, 10], (n, x) => mobileNetV3Block(n, x, 16, 16, 64));
export const efficientNet = (opset: number) => model(opset, 15, [1, 16, 10, 10], (n, x) => mbConv(n, mbConv(n, x, 16, 16, 4, 3), 16, 24, 6, 5));
export const classifier = (opset: number) => model(opset, 16, ['N', 32, 4, 4], (n, x) => classifierHead(n, x, 32, 10), { bind: [2, 32, 4, 4], out: 'probs' });

/** The README's first model: stem, max pool, one residual block, classifier. 1×3×32×32 → 1×10. */
export function tinyCnn(opset: number): Built {
  return model(opset, 17, [1, 3, 32, 32], (n, x) => {
    let y = n.op('Relu', [n.bn(n.conv(x, 3, 16, 3, { stride: 2, bias: false }), 16)]);
    y = n.op('MaxPool', [y], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    y = basicBlock(n, y, 16, 16);
    return classifierHead(n, y, 16, 10);
  }, { out: 'probs' });
}
