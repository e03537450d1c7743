/**
 * `deploy/crds/*.yaml` is rendered from `src/crd/crds.ts`. This test fails when the two
 * drift apart; `UPDATE_CRDS=1 npx vitest run src/crds-generated.spec.ts` rewrites the files.
 */
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CRD_FILES } from './crd/crds.js';

const CRD_DIR = join(import.meta.dirname, '../../../deploy/crds');
const HEADER =
  '# Generated from libs/config/src/crd/crds.ts; do not edit by hand.\n' +
  '# Regenerate: cd libs/config && UPDATE_CRDS=1 npx vitest run src/crds-generated.spec.ts\n';

function render(crd: unknown): string {
  return HEADER + '---\n' + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false });
}

describe('deploy/crds is generated from src/crd/crds.ts', () => {
  if (process.env.UPDATE_CRDS === '1') {
    for (const { file, crd } of CRD_FILES) writeFileSync(join(CRD_DIR, file), render(crd));
  }
  it('has exactly one file per CRD', () => {
    const files = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(CRD_FILES.map((c) => c.file).sort());
  });
  for (const { file, crd } of CRD_FILES) {
    it(`${file} matches its source`, () => {
      expect(readFileSync(join(CRD_DIR, file), 'utf8')).toBe(render(crd));
    });
  }
});
