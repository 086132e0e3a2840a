import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supportedOpsTable } from '../src/driver/ops-table.ts';

describe('generated docs', () => {
  it('docs/ops.md is current (regenerate with `npx tscc ops --markdown > docs/ops.md`)', () => {
    expect(readFileSync('docs/ops.md', 'utf8').trim()).toBe(supportedOpsTable(true).trim());
  });
});
