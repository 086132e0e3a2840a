// Golden text tests of the graph passes: each case in cases.ts has golden/<name>.txt holding the graph
// before, the passes run, and the graph after; the rewritten graph must also compute what the
// original does on the reference runtime. Goldens change only through
//
//   UPDATE_GOLDEN=1 npx vitest run test/passes/golden.test.ts
//
// which rewrites them and deletes files no case claims; without it a missing or orphaned golden fails.
import { existsSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { printGraph } from '../../src/ir/graph/print.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { lookupPass, passContext, runPasses, verifyInstrument } from '../../passes/index.ts';
import { CASES } from './cases.ts';

const DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('graph pass goldens', () => {
  it('every golden file has a case and every case a golden file', () => {
    const names = new Set(CASES.map((c) => c.name));
    expect(names.size, 'case names must be unique').toBe(CASES.length);
    const orphans = readdirSync(DIR).filter((f) => f.endsWith('.txt') && !names.has(f.slice(0, -4)));
    if (UPDATE) for (const f of orphans) unlinkSync(join(DIR, f));
    else expect(orphans, 'golden files without a case in test/passes/cases.ts (delete them or run with UPDATE_GOLDEN=1)').toEqual([]);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const before = loadOnnxBytes(c.model(), { fold: !c.noFold }).graph;
      const after = runPasses(before, c.passes.map(lookupPass), passContext({}, [verifyInstrument()]));
      const text = `## before\n${printGraph(before)}\n## passes\n${c.passes.join(', ')}\n## after\n${printGraph(after)}\n`;
      const file = join(DIR, `${c.name}.txt`);
      if (UPDATE) writeFileSync(file, text);
      expect(existsSync(file), `missing golden ${file}; create it with UPDATE_GOLDEN=1`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
      expect(after.outputs.map((v) => v.name)).toEqual(before.outputs.map((v) => v.name));
      const inputs = Object.fromEntries(before.inputs.map((v, i) => [v.name, randomTensor(v.type.dtype, v.type.shape as number[], 40 + i, -2, 2)]));
      const want = runGraph(before, inputs), got = runGraph(after, inputs);
      for (const v of before.outputs) {
        const d = compareTensors(v.name, got[v.name], want[v.name], 1e-5);
        expect(d.ok && d.shapeMatch, `${v.name}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
      }
    });
  }
});
