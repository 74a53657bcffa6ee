/**
 * Safe, unique file names for images written into an output directory: plot ids and image paths are
 * repository text and must not choose where we write (no "/", no "..", no dot-files).
 */
export function uniqueFileNames(): (name: string, ext: string) => string {
  const used = new Set<string>();
  return (name, ext) => {
    const stem = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "") || "image";
    let file = `${stem}.${ext}`;
    for (let n = 2; used.has(file); n++) file = `${stem}-${n}.${ext}`;
    used.add(file);
    return file;
  };
}
