// PIM tuning (src/tune/pim): the code generator's layout and command-order choices searched by the
// tuner, costed in simulated cycles; `compile --db` applies a record only when it beats the default,
// and the tuned kernel still computes what onnxruntime does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../../src/driver/compile.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { tuneModel } from '../../../src/tune/driver.ts';
import { tuningFingerprint } from '../../../src/tune/apply.ts';
import { targetKey } from '../../../src/tune/keys.ts';
import { loadTarget } from '../../../src/driver/registry.ts';
import { TuningDb } from '../../../tuning-db/index.ts';
import { oneOpModel, randomInputs } from '../../helpers/check.ts';

const dir = mkdtempSync(join(tmpdir(), 'pim-tune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tscc tune --target pim', () => {
  it('finds a config faster than the default, and compile --db applies it (never slower)', async () => {
    const bytes = oneOpModel({ op: 'MatMul', inputs: [['f32', [1, 512]], randomTensor('f32', [512, 256], 3)] });
    const model = loadOnnxBytes(bytes);
    const db = join(dir, 'gemv.db');
    const s = await tuneModel(model, { target: 'pim', db, trials: 16, seed: 2 });
    expect(s.kernels).toHaveLength(1);
    const k = s.kernels[0];
    expect(k.defaultCost).toBeGreaterThan(0);
    expect(k.best!).toBeLessThan(k.defaultCost!);
    // Every measured config is valid and none beats the best (the record compile will apply).
    const tk = targetKey(await tuningFingerprint(await loadTarget('pim')));
    const t = TuningDb.open(db, { readonly: true });
    try {
      const rows = t.lookup(k.workloadKey, tk);
      expect(rows.length).toBe(k.measured);
      for (const r of rows) { expect(r.ok).toBe(true); expect(r.cost!).toBeGreaterThanOrEqual(k.best!); }
    } finally { t.close(); }
    // A second run resumes: every config it proposes was measured already, none is measured again.
    const again = await tuneModel(model, { target: 'pim', db, trials: 16, seed: 2 });
    expect(again.kernels[0].best).toBe(k.best);
    expect(again.kernels[0].measured).toBe(k.measured);

    const plain = await compileModel(model, { target: 'pim' });
    const tuned = await compileModel(model, { target: 'pim', db });
    expect(tuned.artifact.kernels[0].tuned).toBe(true);
    expect(tuned.artifact.cycles).toBe(k.best);
    expect(plain.artifact.cycles).toBe(k.defaultCost);
    // The tuned artifact runs on the simulator (timing re-checked) and matches onnxruntime.
    const inputs = randomInputs(bytes, { seed: 4 });
    const r = await tuned.target.run!(tuned.artifact, inputs);
    expect(r.cycles).toBe(k.best);
    const ref = await runOrt(bytes, inputs);
    for (const [name, want] of Object.entries(ref)) {
      const d = compareTensors(name, r.outputs[name], want, 1e-2);
      expect(d.ok && d.shapeMatch, `${name}: max|a-b| = ${d.maxAbs}`).toBe(true);
    }
  });
});
