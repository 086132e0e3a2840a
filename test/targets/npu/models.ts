// The models the NPU target is checked on: the shipped tiny models and every zoo model (opset 17),
// with concrete shapes and the inputs their tests use.
import { readFileSync } from 'node:fs';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';

export interface TestModel { readonly name: string; readonly bytes: Uint8Array; readonly shapes?: Record<string, number[]>; readonly inputs?: TensorMap }

const root = new URL('../../../models/', import.meta.url);
const ids = Tensor.fromNumbers('i64', [1, 8], [5, 3, 7, 1, 0, 2, 6, 4]);

export const TEST_MODELS: readonly TestModel[] = [
  { name: 'tiny-cnn', bytes: readFileSync(new URL('tiny-cnn.onnx', root)) },
  { name: 'tiny-gpt2', bytes: readFileSync(new URL('tiny-gpt2.onnx', root)), shapes: { input_ids: [1, 8] }, inputs: { input_ids: ids } },
  { name: 'tiny-vad', bytes: readFileSync(new URL('tiny-vad.onnx', root)) },
  { name: 'tiny-vit', bytes: readFileSync(new URL('tiny-vit.onnx', root)), shapes: { pixels: [1, 3, 32, 32] } },
  ...ZOO.map((z) => { const b = z.build(17); return { name: `${z.name}@17`, bytes: b.bytes, shapes: b.shapes, inputs: b.inputs }; }),
];
