/**
 * Text widths from the font file itself (cmap + hmtx), so that Vega lays out labels with the
 * advances of the font librsvg draws them with, without node-canvas. Vega's fallback estimates
 * 0.8 em per character, which misplaces titles and truncates labels.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

class FontMetrics {
  private readonly advances: Uint16Array;
  private readonly glyphs = new Map<number, number>();
  readonly unitsPerEm: number;

  constructor(font: Buffer) {
    const tables = new Map<string, number>();
    const numTables = font.readUInt16BE(4);
    for (let i = 0; i < numTables; i++) {
      const rec = 12 + 16 * i;
      tables.set(font.toString("latin1", rec, rec + 4), font.readUInt32BE(rec + 8));
    }
    const table = (tag: string): number => {
      const off = tables.get(tag);
      if (off === undefined) throw new Error(`font has no ${tag} table`);
      return off;
    };
    this.unitsPerEm = font.readUInt16BE(table("head") + 18);
    const numberOfHMetrics = font.readUInt16BE(table("hhea") + 34);
    const hmtx = table("hmtx");
    this.advances = new Uint16Array(numberOfHMetrics);
    for (let g = 0; g < numberOfHMetrics; g++) this.advances[g] = font.readUInt16BE(hmtx + 4 * g);
    this.readCmap(font, table("cmap"));
  }

  /** Unicode BMP (format 4) subtable: the one every TrueType font for Windows carries. */
  private readCmap(font: Buffer, cmap: number): void {
    const n = font.readUInt16BE(cmap + 2);
    for (let i = 0; i < n; i++) {
      const rec = cmap + 4 + 8 * i;
      const platform = font.readUInt16BE(rec);
      const encoding = font.readUInt16BE(rec + 2);
      const sub = cmap + font.readUInt32BE(rec + 4);
      if (platform !== 3 || encoding !== 1 || font.readUInt16BE(sub) !== 4) continue;
      const segX2 = font.readUInt16BE(sub + 6);
      const ends = sub + 14;
      const starts = ends + segX2 + 2;
      const deltas = starts + segX2;
      const ranges = deltas + segX2;
      for (let s = 0; s < segX2; s += 2) {
        const end = font.readUInt16BE(ends + s);
        const start = font.readUInt16BE(starts + s);
        const delta = font.readUInt16BE(deltas + s);
        const range = font.readUInt16BE(ranges + s);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let g: number;
          if (range === 0) g = (c + delta) & 0xffff;
          else {
            const at = ranges + s + range + 2 * (c - start);
            g = font.readUInt16BE(at);
            if (g !== 0) g = (g + delta) & 0xffff;
          }
          if (g !== 0) this.glyphs.set(c, g);
        }
      }
      return;
    }
  }

  /** Width in px of `text` at `size` px: the sum of glyph advances, as librsvg lays out unkerned runs. */
  width(text: string, size: number): number {
    let units = 0;
    const last = this.advances.length - 1;
    for (const ch of text) {
      const g = this.glyphs.get(ch.codePointAt(0)!) ?? 0;
      units += this.advances[Math.min(g, last)]!;
    }
    return (units * size) / this.unitsPerEm;
  }
}

export interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  fontStyle?: string;
}

/** A `vega.textMetrics.width` replacement for the DejaVu Sans family in `fontDir`. */
export function textWidthFunction(fontDir: string): (item: TextItem, text: unknown) => number {
  const load = (file: string): FontMetrics => new FontMetrics(readFileSync(join(fontDir, file)));
  const faces = {
    regular: load("DejaVuSans.ttf"),
    bold: load("DejaVuSans-Bold.ttf"),
    italic: load("DejaVuSans-Oblique.ttf"),
    boldItalic: load("DejaVuSans-BoldOblique.ttf"),
  };
  return (item, text) => {
    const s = Array.isArray(text) ? text.join(" ") : text == null ? "" : String(text);
    if (s === "") return 0;
    const w = item.fontWeight;
    const bold = w === "bold" || w === "bolder" || (typeof w === "number" && w >= 600) || (typeof w === "string" && Number(w) >= 600);
    const italic = item.fontStyle === "italic" || item.fontStyle === "oblique";
    const face = bold ? (italic ? faces.boldItalic : faces.bold) : italic ? faces.italic : faces.regular;
    return face.width(s, item.fontSize ?? 11);
  };
}
