/**
 * The two layouts of Python's tabulate 0.9.0 that DVC prints (`disable_numparse=True`, so every column is
 * left-aligned). markdown-table pads differently (no header min-padding), and DVC users diff this output
 * byte for byte in CI, so it is reproduced exactly here.
 */
const MIN_PADDING = 2;

/** Characters of padding a table may cost in total before its columns stop widening. */
const MAX_PADDED_CHARS = 32 * 1024 * 1024;

export function tabulate(headers: readonly string[], rows: readonly (readonly string[])[], format: "github" | "plain"): string {
  // A loop, not Math.max(...rows): spreading 150,000 rows overflows the stack.
  let widths = headers.map((h, i) => rows.reduce((w, r) => Math.max(w, len(r[i] ?? "")), len(h) + MIN_PADDING));
  // One huge cell would pad every other row to its width: 100,000 rows next to a 1 MB string is 100 GB.
  // Past MAX_PADDED_CHARS the columns stop widening (the long cells overflow); real tables never get here.
  if (rows.length * widths.reduce((a, b) => a + b, 0) > MAX_PADDED_CHARS) {
    const cap = Math.floor(MAX_PADDED_CHARS / Math.max(1, rows.length) / headers.length);
    widths = widths.map((w, i) => Math.max(len(headers[i]!) + MIN_PADDING, Math.min(w, cap)));
  }
  const pad = (cells: readonly string[]) => cells.map((c, i) => c + " ".repeat(Math.max(0, widths[i]! - len(c))));
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
