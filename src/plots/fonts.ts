/**
 * The bundled font (DejaVu, from the dejavu-fonts-ttf package) and a fontconfig file that points
 * librsvg at it and at nothing else, so that text renders, and renders the same, on a machine or
 * slim container without system fonts.
 */
import { rmSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";

export function bundledFontDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json")), "ttf");
}

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * This process's own directory (mkdtemp: a fresh name, mode 0700), never a predictable /tmp path,
 * which another local user could plant a symlink at to have us write through it. Removed at exit.
 */
let privateDir: Promise<string> | undefined;
function ownDir(): Promise<string> {
  privateDir ??= mkdtemp(join(tmpdir(), "mlreview-fontconfig-")).then((dir) => {
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  privateDir.catch(() => (privateDir = undefined));
  return privateDir;
}

/** Write (once per set of dirs) a fonts.conf listing only `dirs`; returns its path for FONTCONFIG_FILE. */
export async function fontconfigFile(dirs: readonly string[] = [bundledFontDir()]): Promise<string> {
  const base = await ownDir();
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
  let write = written.get(file);
  if (write === undefined) {
    write = writeFile(file, body, { mode: 0o600 });
    written.set(file, write);
    write.catch(() => written.delete(file));
  }
  await write;
  return file;
}

/** Each file is written once per process: two pools starting together must not race on it. */
const written = new Map<string, Promise<void>>();
