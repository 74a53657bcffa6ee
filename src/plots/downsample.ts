/**
 * Thinning of large series that leaves the rendered picture unchanged.
 *
 * Lines use M4 (Jugel et al., VLDB 2014): per pixel column keep the points with the smallest and
 * largest x and y; a line drawn through them covers the same pixels as one through all points.
 * Points keep the first point per pixel cell. Both return sorted row indices.
 */

/** Series longer than this are thinned; below it rendering is already fast. */
export const DOWNSAMPLE_ABOVE = 2_000;

/** Smallest and largest finite value (NaN and ±Infinity are skipped without copying the array). */
function extent(a: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) continue; // not finite
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

const bucket = (v: number, lo: number, hi: number, n: number): number => (hi > lo ? Math.min(n - 1, Math.floor(((v - lo) / (hi - lo)) * n)) : 0);

/** Indices of the M4 points over `columns` pixel columns; non-finite points are dropped. */
export function m4(xs: Float64Array, ys: Float64Array, columns: number): number[] {
  const [lo, hi] = extent(xs);
  const scale = hi > lo ? columns / (hi - lo) : 0;
  const minX = new Int32Array(columns).fill(-1);
  const maxX = new Int32Array(columns).fill(-1);
  const minY = new Int32Array(columns).fill(-1);
  const maxY = new Int32Array(columns).fill(-1);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x - x !== 0 || y - y !== 0) continue; // not finite
    const c = Math.min(columns - 1, Math.floor((x - lo) * scale));
    if (minX[c] === -1) {
      minX[c] = maxX[c] = minY[c] = maxY[c] = i;
      continue;
    }
    if (x < xs[minX[c]!]!) minX[c] = i;
    if (x >= xs[maxX[c]!]!) maxX[c] = i;
    if (y < ys[minY[c]!]!) minY[c] = i;
    if (y > ys[maxY[c]!]!) maxY[c] = i;
  }
  const keep = new Set<number>();
  for (let c = 0; c < columns; c++) {
    if (minX[c] === -1) continue;
    keep.add(minX[c]!).add(maxX[c]!).add(minY[c]!).add(maxY[c]!);
  }
  return [...keep].sort((a, b) => a - b);
}

/** Indices of the first point in each occupied cell of a `columns` × `rows` grid. */
export function gridPoints(xs: Float64Array, ys: Float64Array, columns: number, rows: number): number[] {
  const [xlo, xhi] = extent(xs);
  const [ylo, yhi] = extent(ys);
  const seen = new Uint8Array(columns * rows);
  const keep: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const cell = bucket(y, ylo, yhi, rows) * columns + bucket(x, xlo, xhi, columns);
    if (seen[cell] === 0) {
      seen[cell] = 1;
      keep.push(i);
    }
  }
  return keep;
}
