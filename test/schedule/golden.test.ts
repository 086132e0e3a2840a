// Golden text tests of the schedule steps: each case in cases.ts has a file golden/<name>.txt with
// the kernel before, the steps, and the kernel after (or the error the schedule must raise). The
// scheduled kernel must also compute exactly what the original does. Goldens change only through
//
//   UPDATE_GOLDEN=1 npx vitest run test/schedule/golden.test.ts
//
// which rewrites them and deletes files no case claims; without it a missing or orphaned golden fails.
import { existsSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { applySchedule } from '../../src/schedule/apply.ts';
import { stepText } from '../../src/schedule/step.ts';
import { TsccError } from '../../src/util/errors.ts';
import { CASES, type GoldenCase } from './cases.ts';

const DIR = fileURLToPath(new URL('./golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function render(c: GoldenCase): { text: string; after?: ReturnType<typeof applySchedule> } {
  const before = parseFunc(c.before, `${c.name}.before`);
  const head = `## before\n${printFunc(before)}\n## steps\n${c.steps.map(stepText).join('\n')}\n\n## after\n`;
  try {
    const after = applySchedule(before, c.steps);
    return { text: head + printFunc(after), after };
  } catch (e) {
    if (!(e instanceof TsccError)) throw e;
    return { text: `${head}error ${e.code}: ${e.message}\n` };
  }
}

describe('schedule goldens', () => {
  it('every golden file has a case and every case a golden file', () => {
    const names = new Set(CASES.map((c) => c.name));
    expect(names.size, 'case names must be unique').toBe(CASES.length);
    const orphans = readdirSync(DIR).filter((f) => f.endsWith('.txt') && !names.has(f.slice(0, -4)));
    if (UPDATE) for (const f of orphans) unlinkSync(join(DIR, f));
    else expect(orphans, 'golden files without a case in test/schedule/cases.ts (delete them or run with UPDATE_GOLDEN=1)').toEqual([]);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const file = join(DIR, `${c.name}.txt`);
      const { text, after } = render(c);
      if (UPDATE) writeFileSync(file, text);
      expect(existsSync(file), `missing golden ${file}; create it with UPDATE_GOLDEN=1`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
      if (!after) return;
      const before = parseFunc(c.before);
      const inputs = before.inputs.map((b, i) => randomTensor(b.dtype, b.shape, 100 + i, -2, 2));
      const want = runFunc(before, inputs), got = runFunc(after, inputs);
      got.forEach((t, k) => expect(Array.from(t.data as Float32Array)).toEqual(Array.from(want[k].data as Float32Array)));
    });
  }
});
