import sharp from "sharp";
import type { FileTree, ReadResult } from "../../src/revisions/types.js";

/** An in-memory revision: path → content. */
export function memTree(label: string, files: Record<string, string | Buffer>): FileTree {
  const data = new Map(Object.entries(files).map(([p, c]) => [p, Buffer.isBuffer(c) ? c : Buffer.from(c)]));
  return {
    label,
    commit: label === "workspace" ? undefined : "0".repeat(40),
    async read(paths) {
      const out = new Map<string, ReadResult>();
      for (const p of paths) {
        const d = data.get(p);
        out.set(p, d === undefined ? { ok: false, error: { code: "missing", message: "no such file" } } : { ok: true, data: d });
      }
      return out;
    },
    async list(dir) {
      return [...data.keys()].filter((p) => dir === "" || p.startsWith(`${dir}/`)).sort();
    },
  };
}

export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
}

export async function pixels(png: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** Pixels within `tolerance` (per channel) of a #rrggbb colour. */
export function countColour(p: Pixels, hex: string, tolerance = 24, region?: { x0: number; y0: number; x1: number; y1: number }): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const { x0 = 0, y0 = 0, x1 = p.width, y1 = p.height } = region ?? {};
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * p.width + x) * p.channels;
      if (Math.abs(p.data[o]! - r) <= tolerance && Math.abs(p.data[o + 1]! - g) <= tolerance && Math.abs(p.data[o + 2]! - b) <= tolerance) n++;
    }
  }
  return n;
}

/** Dark ("ink") pixels in a region: text and axes are drawn in near-black/grey on white. */
export function ink(p: Pixels, region?: { x0: number; y0: number; x1: number; y1: number }): number {
  const { x0 = 0, y0 = 0, x1 = p.width, y1 = p.height } = region ?? {};
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * p.width + x) * p.channels;
      if (p.data[o]! < 128 && p.data[o + 1]! < 128 && p.data[o + 2]! < 128) n++;
    }
  }
  return n;
}
