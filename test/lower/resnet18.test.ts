// The interpreter must be fast enough to run every kernel of a ResNet-18 in the test suite: the full
// torchvision-style network (models/resnet.ts) at 1×3×96×96, each kernel lowered, run on the
// Tensor IR interpreter and compared with the reference runtime.
import { describe, expect, it } from 'vitest';
import { resnet } from '../../models/resnet.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { checkGraphKernels } from './compare.ts';

describe('ResNet-18', () => {
  it('every kernel, lowered and interpreted, equals the reference runtime', () => {
    const g = loadOnnxBytes(resnet({ depth: 18, image: 96, classes: 100 }).toBytes()).graph;
    const results = checkGraphKernels(g, { input: randomTensor('f32', [1, 3, 96, 96], 18) });
    expect(results.length).toBe(g.nodes.length);
    expect(results.filter((r) => r.node.op === 'Conv').length).toBe(20);
  }, 240_000);
});
