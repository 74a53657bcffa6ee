import { readFileSync } from "node:fs";

/** The report's layout lives in templates/report.md so that it can be read and changed as Markdown. */
let cached: string | undefined;
export function reportTemplate(): string {
  return (cached ??= readFileSync(new URL("../../templates/report.md", import.meta.url), "utf8"));
}

/**
 * `{{name}}` is replaced by the value; `{{#name}}…{{/name}}` is kept only when the value is non-empty.
 * Values are inserted verbatim: escaping repository text is the caller's job (see escape.ts).
 */
export function fill(template: string, values: Record<string, string>): string {
  const sections = template.replace(/\{\{#(\w+)\}\}\n?([\s\S]*?)\{\{\/\1\}\}\n?/g, (_, name: string, body: string) => (values[name] ? body : ""));
  return sections.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? "");
}
