/**
 * Child-process entry that turns one Vega-Lite spec at a time into PNG (or SVG). It runs in its
 * own process with a capped heap, started by pool.ts, because a hostile spec can exhaust memory
 * and V8 then aborts the whole process (worker_threads resourceLimits do not prevent that).
 *
 * Lockdown: every loader method refuses (no URL fetch, no file read, no image href), expressions
 * are interpreted from the AST (no code generation), and the environment holds no secrets
 * (the pool passes only FONTCONFIG_FILE and MLREVIEW_FONT_DIR).
 */
import sharp from "sharp";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { expressionInterpreter } from "vega-interpreter";
import { textWidthFunction, type TextItem } from "./font-metrics.js";
import { MAX_OUTPUT_PIXELS, PNG_DENSITY, type RenderReply, type RenderRequest } from "./protocol.js";

sharp.cache(false);

// This process's environment is not the bot's: it is exactly what pool.ts gave the fork (a child process,
// so there is no workerData), and fontconfig reads FONTCONFIG_FILE from it in any case.
const fontDir = process.env.MLREVIEW_FONT_DIR;
if (fontDir !== undefined && fontDir !== "") {
  const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  metrics.width = textWidthFunction(fontDir);
}

function deniedLoader(attempts: string[]): vega.Loader {
  const deny = async (uri: string): Promise<never> => {
    attempts.push(String(uri));
    throw new Error(`blocked: ${String(uri)}`);
  };
  return { ...vega.loader(), load: deny, sanitize: deny, http: deny, file: deny };
}

function quietLogger(warnings: string[]): vega.LoggerInterface {
  const log = vega.logger(vega.Warn);
  log.warn = (...args: readonly unknown[]) => {
    warnings.push(args.map(String).join(" "));
    return log;
  };
  log.info = () => log;
  log.debug = () => log;
  return log;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";

const rasterise = (svg: Uint8Array, density: number): Promise<Buffer> => sharp(svg, { density, limitInputPixels: MAX_OUTPUT_PIXELS }).png().toBuffer();

async function render(req: RenderRequest): Promise<Uint8Array> {
  // sharp's librsvg does not follow <image href> (file, path or http), verified; no loader needed.
  if (req.input.kind === "svg") return rasterise(req.input.data, 72);
  const attempts: string[] = [];
  const warnings: string[] = [];
  let vgSpec: vega.Spec;
  try {
    vgSpec = compile(req.input.spec as TopLevelSpec, { logger: quietLogger(warnings) }).spec;
  } catch (e) {
    throw new Error(`invalid Vega-Lite spec: ${firstLine(e)}`);
  }
  const view = new vega.View(vega.parse(vgSpec, undefined, { ast: true }), {
    renderer: "none",
    loader: deniedLoader(attempts),
    logger: quietLogger(warnings),
    expr: expressionInterpreter,
  });
  let svg: string;
  try {
    await view.runAsync();
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (attempts.length > 0) throw new Error(`the spec tries to load '${attempts[0]}': external data is not allowed`);
  if (req.format === "svg") return Buffer.from(svg);
  return rasterise(Buffer.from(svg), PNG_DENSITY);
}

const maxRssKb = (): number => process.resourceUsage().maxRSS;

process.on("message", (req: RenderRequest) => {
  render(req).then(
    (data) => send({ id: req.id, ok: true, data, maxRssKb: maxRssKb() }),
    (e: unknown) => send({ id: req.id, ok: false, error: firstLine(e), maxRssKb: maxRssKb() }),
  );
});
process.on("disconnect", () => process.exit(0));

function send(reply: RenderReply): void {
  process.send?.(reply);
}

process.send?.({ ready: true });
