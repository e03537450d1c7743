/**
 * Reading manifests: multi-document YAML (or JSON, a subset) into plain objects, with every
 * syntax error reported per document instead of thrown.
 */
import { parseAllDocuments } from 'yaml';

/** A document that could not be read. */
export interface ManifestError {
  /** 0-based index of the document in the text. */
  readonly document: number;
  /** 1-based line of the problem, when known. */
  readonly line: number | undefined;
  /** What is wrong. */
  readonly message: string;
}

/** Objects read from a manifest, and the documents that failed. */
export interface ManifestResult {
  readonly objects: unknown[];
  readonly errors: ManifestError[];
}

/**
 * Parses a manifest. Empty documents are skipped; a `kind: List` document contributes its
 * `items`. Never throws.
 */
export function parseManifests(text: string): ManifestResult {
  const objects: unknown[] = [];
  const errors: ManifestError[] = [];
  if (typeof text !== 'string') return { objects, errors: [{ document: 0, line: undefined, message: 'manifest is not text' }] };
  let docs;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true });
  } catch (err) {
    return { objects, errors: [{ document: 0, line: undefined, message: (err as Error).message }] };
  }
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((d, i) => {
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      errors.push({ document: i, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0]! });
      return;
    }
    let v: unknown;
    try {
      v = d.toJS({ maxAliasCount: 100 });
    } catch (err) {
      errors.push({ document: i, line: undefined, message: (err as Error).message });
      return;
    }
    if (v === null || v === undefined) return;
    if (typeof v === 'object' && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'List' && Array.isArray((v as { items?: unknown }).items)) {
      objects.push(...((v as { items: unknown[] }).items));
    } else {
      objects.push(v);
    }
  });
  return { objects, errors };
}
