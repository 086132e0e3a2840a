// Writes the shipped zoo models into models/: `npx tsx models/build.ts`. Weights are seeded, so the
// files only change when a builder does (test/models/zoo.test.ts checks they are current).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED } from './zoo/shipped.ts';

const here = dirname(fileURLToPath(import.meta.url));
for (const m of SHIPPED) {
  const bytes = m.build(m.opset).bytes;
  writeFileSync(join(here, m.file), bytes);
  console.log(`models/${m.file}: opset ${m.opset}, ${(bytes.length / 1024).toFixed(1)} KB`);
}
