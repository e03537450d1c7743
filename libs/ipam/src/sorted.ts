/**
 * Ascending `bigint` arrays: the offsets of a sharing group and the entries of the owner index.
 */

/** Three-way comparison of two bigints, for `Array.prototype.sort`. */
export function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first element of the ascending `arr` that is not below `x`. */
function lowerBound(arr: readonly bigint[], x: bigint): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `x` into an ascending array (no duplicates expected). */
export function insertSorted(arr: bigint[], x: bigint): void {
  arr.splice(lowerBound(arr, x), 0, x);
}

/** Removes `x` from an ascending array; no-op when absent. */
export function removeSorted(arr: bigint[], x: bigint): void {
  const i = lowerBound(arr, x);
  if (arr[i] === x) arr.splice(i, 1);
}
