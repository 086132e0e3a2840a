// Writes the ONNX models bench/cuda-device.sh compiles and times: the zoo models (opset 17, with
// their bound shapes in shapes.json), fp16 GEMMs (N³ for timing, 256³ for checking against
// onnxruntime; both on the tensor-core template) and ResNet-style 3×3 convolution + bias + Relu
// layers at batch B in f32 (register-tiled SIMT GEMM) and f16 (tensor-core implicit GEMM).
//   npx tsx bench/cuda/models.ts OUT_DIR [--gemm 4096] [--batch 8]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxBuilder } from '../../models/builder.ts';
import { ZOO } from '../../models/zoo/zoo.ts';
import { randomTensor } from '../../src/runtime/random.ts';

const out = process.argv[2] ?? 'bench-cuda';
/** The positive integer after `flag`, or `fallback` when the flag is absent. */
function intFlag(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench/cuda/models.ts: ${flag} needs a positive integer, got "${process.argv[i + 1]}"`);
  return v;
}
const N = intFlag('--gemm', 4096);
const BATCH = intFlag('--batch', 8);
mkdirSync(out, { recursive: true });
const shapes: Record<string, Record<string, number[]>> = {};

for (const z of ZOO) {
  const m = z.build(17);
  writeFileSync(join(out, `zoo-${z.name}.onnx`), m.bytes);
  if (m.shapes) shapes[`zoo-${z.name}.onnx`] = m.shapes;
}

for (const n of new Set([N, 256])) {
  const b = new OnnxBuilder({ opset: 17, name: 'gemm_f16' });
  const a = b.input('A', 'f16', [n, n]), w = b.input('B', 'f16', [n, n]);
  b.output(b.node('MatMul', [a, w])[0]);
  writeFileSync(join(out, `gemm-f16-${n}.onnx`), b.toBytes());
}

/** ResNet-50/18 3×3 layers (at batch BATCH): [channels, spatial]; bench/cuda/torch_bench.py parses the same names. */
export const CONVS: readonly [number, number][] = [[64, 56], [128, 28], [256, 14], [512, 7]];
for (const [c, hw] of CONVS) {
  for (const dtype of ['f32', 'f16'] as const) {
    const b = new OnnxBuilder({ opset: 17, name: `conv${c}` });
    const x = b.input('x', dtype, [BATCH, c, hw, hw]);
    const w = b.initializer(randomTensor(dtype, [c, c, 3, 3], c, -0.1, 0.1), 'w');
    const bias = b.initializer(randomTensor(dtype, [c], c + 1), 'bias');
    const y = b.node('Conv', [x, w, bias], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] })[0];
    b.output(b.node('Relu', [y])[0]);
    writeFileSync(join(out, `conv-${dtype === 'f16' ? 'f16-' : ''}${c}x${hw}.onnx`), b.toBytes());
  }
}
writeFileSync(join(out, 'shapes.json'), JSON.stringify(shapes, null, 2));
console.log(`wrote the bench models to ${out}/`);
