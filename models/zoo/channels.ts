// Blocks whose point is moving channels around: ShuffleNetV2's split + channel shuffle and
// SqueezeNet's fire module (concatenated expand paths after a ceil-mode max pool).
import { type Built, Net } from './net.ts';
import { dynamicShape, split } from './forms.ts';

/** x.view(B, g, C/g, H, W).transpose(1, 2).reshape(B, -1, H, W), batch read from the tensor. */
export function channelShuffle(n: Net, x: string, c: number, h: number, w: number, groups: number): string {
  const grouped = n.op('Reshape', [x, dynamicShape(n, x, [{ dim: 0 }, groups, c / groups, h, w])]);
  const swapped = n.op('Transpose', [grouped], { perm: [0, 2, 1, 3, 4] });
  return n.op('Reshape', [swapped, dynamicShape(n, x, [{ dim: 0 }, -1, h, w])]);
}

/** ShuffleNetV2 unit (stride 1): split channels in half, transform one half, concat, shuffle. */
export function shuffleUnit(n: Net, x: string, c: number, h: number, w: number): string {
  const half = c / 2;
  const [keep, branch] = split(n, x, [half, half], 1);
  let y = n.op('Relu', [n.bn(n.conv(branch, half, half, 1, { bias: false }), half)]);
  y = n.bn(n.conv(y, half, half, 3, { group: half, bias: false }), half);
  y = n.op('Relu', [n.bn(n.conv(y, half, half, 1, { bias: false }), half)]);
  return channelShuffle(n, n.op('Concat', [keep, y], { axis: 1 }), c, h, w, 2);
}

/** SqueezeNet Fire: 1×1 squeeze, then 1×1 and 3×3 expands concatenated on channels. */
export function fire(n: Net, x: string, cin: number, squeeze: number, expand: number): string {
  const s = n.op('Relu', [n.conv(x, cin, squeeze, 1)]);
  const e1 = n.op('Relu', [n.conv(s, squeeze, expand, 1)]);
  const e3 = n.op('Relu', [n.conv(s, squeeze, expand, 3)]);
  return n.op('Concat', [e1, e3], { axis: 1 });
}

/** Two ShuffleNet units on a symbolic batch (run with batch 2). */
export function shuffleNet(opset: number): Built {
  const n = new Net(opset, 21);
  const x = n.input('x', ['N', 32, 8, 8]);
  n.output(shuffleUnit(n, shuffleUnit(n, x, 32, 8, 8), 32, 8, 8), 'y');
  return { bytes: n.toBytes(), shapes: { x: [2, 32, 8, 8] } };
}

/** SqueezeNet 1.1 style: ceil-mode 3×3/2 max pool (16 → 8, floor would give 7) then two fires. */
export function squeezeNet(opset: number): Built {
  const n = new Net(opset, 22);
  const x = n.input('x', [1, 16, 16, 16]);
  const p = n.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
  n.output(fire(n, fire(n, p, 16, 8, 16), 32, 8, 16), 'y');
  return { bytes: n.toBytes() };
}
