const SURROGATE = /[\ud800-\udfff]/;

/** Sort strings in Python's order; the native comparison is the same unless a string has astral characters. */
export function sortCodepoint(strings: string[]): string[] {
  if (!strings.some((s) => SURROGATE.test(s))) return strings.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return strings.sort(byCodepoint);
}

/** Python's string order (by code point); JS `<` compares UTF-16 units, which differs above U+FFFF. */
export function byCodepoint(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
