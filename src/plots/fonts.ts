/**
 * The bundled font (DejaVu, from the dejavu-fonts-ttf package) and a fontconfig file that points
 * librsvg at it and at nothing else, so that text renders, and renders the same, on a machine or
 * slim container without system fonts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";

export function bundledFontDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json")), "ttf");
}

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Write (once per set of dirs) a fonts.conf listing only `dirs`; returns its path for FONTCONFIG_FILE. */
export async function fontconfigFile(dirs: readonly string[] = [bundledFontDir()]): Promise<string> {
  const base = join(tmpdir(), `mlreview-fontconfig-${userInfo().uid}`);
  const body = [
    `<?xml version="1.0"?>`,
    `<!DOCTYPE fontconfig SYSTEM "fonts.dtd">`,
    `<fontconfig>`,
    ...dirs.map((d) => `  <dir>${xml(d)}</dir>`),
    `  <cachedir>${xml(join(base, "cache"))}</cachedir>`,
    `  <alias><family>sans-serif</family><prefer><family>DejaVu Sans</family></prefer></alias>`,
    `</fontconfig>`,
    ``,
  ].join("\n");
  const file = join(base, `fonts-${createHash("sha256").update(body).digest("hex").slice(0, 12)}.conf`);
  await mkdir(join(base, "cache"), { recursive: true });
  await writeFile(file, body);
  return file;
}
