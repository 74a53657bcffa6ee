import { readFileSync } from "node:fs";
import { MAX_USER_DATA_BYTES } from "./ec2/launch-plan.js";

/** A bootstrap script's blanks filled, for any forge: the forge's runner platform supplies the values. */
export class UserDataError extends Error {
  override readonly name = "UserDataError";
}

const templates = new Map<string, string>();
/** A bootstrap script under templates/runner/, read once. */
export function bootstrapTemplate(file: string): string {
  let t = templates.get(file);
  if (t === undefined) {
    const raw = readFileSync(new URL(`../../templates/runner/${file}`, import.meta.url), "utf8");
    // `{{> part.sh}}` inlines a shared part: user data must be one self-contained script.
    t = raw.replace(/\{\{> ([a-z0-9-]+\.sh)\}\}/g, (_m, part: string) => bootstrapTemplate(part).trimEnd());
    templates.set(file, t);
  }
  return t;
}

export function minutes(name: string, value: number, max: number): string {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UserDataError(`${name} must be a whole number of minutes from 1 to ${max}`);
  return String(value);
}

/** Every `{{BLANK}}` of the template filled, each value used, and the result within EC2's 16 KB. */
export function fillBlanks(file: string, values: Record<string, string>): string {
  // A function replacer: a string replacement would give `$&`, `$'` and friends a meaning.
  const seen = new Set<string>();
  const out = bootstrapTemplate(file).replace(/\{\{([A-Z0-9_]+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new UserDataError(`${file} has an unknown blank {{${key}}}`);
    seen.add(key);
    return v;
  });
  for (const key of Object.keys(values)) if (!seen.has(key)) throw new UserDataError(`${file} lacks the blank {{${key}}}`);
  const bytes = Buffer.byteLength(out, "utf8");
  if (bytes > MAX_USER_DATA_BYTES) throw new UserDataError(`user data would be ${bytes} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`);
  return out;
}
