/** Messages between the render pool and its child processes. */
export type OutputFormat = "png" | "svg";

/** A filled Vega-Lite spec, or an SVG file from a repository to rasterise. */
export type RenderInput = { kind: "vega-lite"; spec: unknown } | { kind: "svg"; data: Uint8Array };

export interface RenderRequest {
  id: number;
  input: RenderInput;
  format: OutputFormat;
}

export type RenderReply = { id: number; ok: true; data: Uint8Array; maxRssKb: number } | { id: number; ok: false; error: string; maxRssKb: number };

/** Sent once by a child when its modules are loaded and it can take work. */
export interface ReadyMessage {
  ready: true;
}

/** 2× density: PNGs stay sharp on high-DPI screens, where PR comments are mostly read. */
export const PNG_DENSITY = 144;
/** Larger rasters come from hostile width/height, not from a plot. */
export const MAX_OUTPUT_PIXELS = 40_000_000;
