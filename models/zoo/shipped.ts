// The zoo models committed as .onnx files under models/ (for the README, the CLI tests and benches),
// with the opset each is written at. `npx tsx models/build.ts` regenerates them byte for byte.
import type { Built } from './net.ts';
import { tinyCnn } from './cnn.ts';
import { gpt2, vit } from './transformer.ts';
import { sileroVad } from './vad.ts';

export interface Shipped {
  readonly file: string;
  readonly opset: number;
  readonly build: (opset: number) => Built;
}

export const SHIPPED: readonly Shipped[] = [
  { file: 'tiny-cnn.onnx', opset: 13, build: tinyCnn },
  { file: 'tiny-vit.onnx', opset: 17, build: vit },
  { file: 'tiny-gpt2.onnx', opset: 17, build: gpt2 },
  { file: 'tiny-vad.onnx', opset: 13, build: sileroVad },
];
