// The fusion targets of bench/fusion as a regression test on the models that are quick to optimize:
// tscc's kernels ≤ onnxruntime's nodes after its `extended` optimizer, and ≤ 60% on transformers.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { ortOptimizedNodes, realCorpus, shippedCorpus, withStaticInputs } from './corpus.ts';

describe('kernel counts against onnxruntime extended', () => {
  const models = [...shippedCorpus(), ...realCorpus().filter((m) => !m.name.includes('det'))];
  for (const m of models) {
    it(`${m.name}${m.transformer ? ' (transformer: ≤ 60%)' : ''}`, async () => {
      const bytes = m.bytes();
      const kernels = optimizeGraph(loadOnnxBytes(bytes, { shapes: m.shapes }).graph).nodes.length;
      const ort = await ortOptimizedNodes(withStaticInputs(bytes, m.shapes));
      expect(kernels).toBeLessThanOrEqual(m.transformer ? Math.floor(0.6 * ort) : ort);
    });
  }
});
