/**
 * The two layouts of Python's tabulate 0.9.0 that DVC prints (`disable_numparse=True`, so every column is
 * left-aligned). markdown-table pads differently (no header min-padding), and DVC users diff this output
 * byte for byte in CI, so it is reproduced exactly here.
 */
const MIN_PADDING = 2;

export function tabulate(headers: readonly string[], rows: readonly (readonly string[])[], format: "github" | "plain"): string {
  const widths = headers.map((h, i) => Math.max(len(h) + MIN_PADDING, ...rows.map((r) => len(r[i] ?? ""))));
  const pad = (cells: readonly string[]) => cells.map((c, i) => c + " ".repeat(widths[i]! - len(c)));
  if (format === "plain") {
    return [headers, ...rows].map((r) => pad(r).join("  ").trimEnd()).join("\n");
  }
  const line = (cells: readonly string[]) => `| ${pad(cells).join(" | ")} |`;
  const separator = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(headers), separator, ...rows.map(line)].join("\n");
}

/** Python's len(): code points, not UTF-16 units. */
function len(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * What DVC's `ui.table` prints: markdown gets a trailing blank line (dvc#4123) and is printed even
 * with no rows; a plain table with no rows prints nothing.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], markdown: boolean): string {
  if (markdown) return `${tabulate(headers, rows, "github")}\n\n`;
  if (rows.length === 0) return "";
  return `${tabulate(headers, rows, "plain")}\n`;
}
