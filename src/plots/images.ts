/**
 * Image plots: the same file at each revision, to be shown side by side. Bytes are checked
 * against the extension so that only real PNG/JPEG/GIF reach a comment; SVG, which a browser
 * would execute scripts from if served as-is, is rasterised to PNG in the render sandbox.
 */
import type { FileTree } from "../revisions/types.js";
import type { RenderBudget } from "./budget.js";
import type { RenderPool } from "./pool.js";

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export interface ImageSide {
  label: string;
  data?: Buffer;
  /** MIME type of `data`: an SVG file is delivered as image/png. */
  type?: string;
  error?: string;
}

const SIGNATURES: Array<[string, string, (b: Buffer) => boolean]> = [
  [".png", "image/png", (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  [".jpg", "image/jpeg", (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  [".jpeg", "image/jpeg", (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  [".gif", "image/gif", (b) => b.subarray(0, 6).toString("latin1") === "GIF87a" || b.subarray(0, 6).toString("latin1") === "GIF89a"],
];

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function readImageSide(path: string, label: string, tree: FileTree, pool: () => RenderPool, budget?: RenderBudget): Promise<ImageSide> {
  const r = (await tree.read([path])).get(path);
  if (r === undefined || !r.ok) return { label, error: r?.error.message ?? "missing" };
  const data = r.data;
  if (data.length > MAX_IMAGE_BYTES) return { label, error: `image is ${mb(data.length)}, over the ${mb(MAX_IMAGE_BYTES)} limit` };
  const ext = path.slice(path.lastIndexOf(".")).toLowerCase();
  if (ext === ".svg") {
    if (budget?.spent) return { label, error: budget.message };
    try {
      return { label, data: (await pool().rasterise(data, budget ? { tenant: budget.tenant, signal: budget.signal } : {})).data, type: "image/png" };
    } catch (e) {
      return { label, error: budget?.spent ? budget.message : `SVG could not be rendered: ${(e as Error).message}` };
    }
  }
  const sig = SIGNATURES.find(([e]) => e === ext);
  if (sig === undefined) return { label, error: "not an image (PNG, JPEG, GIF or SVG)" };
  if (!sig[2](data)) return { label, error: `not a valid ${sig[1].slice(6).toUpperCase()} file` };
  return { label, data, type: sig[1] };
}
