// Writes the ONNX models bench/cuda-device.sh compiles and times: the zoo models (opset 17, with
// their bound shapes in shapes.json), an fp16 GEMM and ResNet-style convolution layers.
//   npx tsx bench/cuda/models.ts OUT_DIR [--gemm 4096]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxBuilder } from '../../models/builder.ts';
import { ZOO } from '../../models/zoo/zoo.ts';
import { randomTensor } from '../../src/runtime/random.ts';

const out = process.argv[2] ?? 'bench-cuda';
const gi = process.argv.indexOf('--gemm');
const N = gi > 0 ? Number(process.argv[gi + 1]) : 4096;
mkdirSync(out, { recursive: true });
const shapes: Record<string, Record<string, number[]>> = {};

for (const z of ZOO) {
  if (z.name === 'silero-vad') continue; // LSTM is not lowered
  const m = z.build(17);
  writeFileSync(join(out, `zoo-${z.name}.onnx`), m.bytes);
  if (m.shapes) shapes[`zoo-${z.name}.onnx`] = m.shapes;
}

{
  const b = new OnnxBuilder({ opset: 17, name: 'gemm_f16' });
  const a = b.input('A', 'f16', [N, N]), w = b.input('B', 'f16', [N, N]);
  b.output(b.node('MatMul', [a, w])[0]);
  writeFileSync(join(out, `gemm-f16-${N}.onnx`), b.toBytes());
}

/** ResNet-50/18 3×3 layers at batch 8: [channels, spatial]. */
export const CONVS: readonly [number, number][] = [[64, 56], [128, 28], [256, 14], [512, 7]];
for (const [c, hw] of CONVS) {
  const b = new OnnxBuilder({ opset: 17, name: `conv${c}` });
  const x = b.input('x', 'f32', [8, c, hw, hw]);
  const w = b.initializer(randomTensor('f32', [c, c, 3, 3], c, -0.1, 0.1), 'w');
  const bias = b.initializer(randomTensor('f32', [c], c + 1), 'bias');
  const y = b.node('Conv', [x, w, bias], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] })[0];
  b.output(b.node('Relu', [y])[0]);
  writeFileSync(join(out, `conv-${c}x${hw}.onnx`), b.toBytes());
}
writeFileSync(join(out, 'shapes.json'), JSON.stringify(shapes, null, 2));
console.log(`wrote the bench models to ${out}/`);
