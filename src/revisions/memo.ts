/** The value for `key`, made once: a directory is listed once per tree, however many globs ask. */
export function memo<K, V>(cache: Map<K, V>, key: K, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = make()));
  return v;
}
