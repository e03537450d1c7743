/**
 * The patch kinds by their `Content-Type`, in a module of their own so that `api.ts` and the
 * simulated controllers (`controllers.ts`) share them without importing each other at run time.
 */

/** Patch kinds by their `Content-Type`. */
export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** One of {@link PATCH_TYPES}. */
export type PatchType = (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES];
