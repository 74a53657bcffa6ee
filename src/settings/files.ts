/**
 * What the settings check on disk at start-up: the GitHub App's key as Probot will find it, the data
 * directory, and the operator's files. Every problem is one line naming the variable, never a value.
 */
import { createPrivateKey } from "node:crypto";
import { accessSync, constants, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** Mirrors @probot/get-private-key (PRIVATE_KEY first, else PRIVATE_KEY_PATH, else a lone *.pem in cwd), then parses the key. */
export function privateKeyProblem(env: Env, cwd: string): string | undefined {
  if (env.PRIVATE_KEY) {
    let key = env.PRIVATE_KEY;
    if (!key.includes("-----BEGIN") && Buffer.from(key, "base64").toString("base64") === key) key = Buffer.from(key, "base64").toString();
    key = key.replace(/\\n/g, "\n");
    if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(key)) return "PRIVATE_KEY is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----; newlines may be written \\n)";
    if (!key.includes("\n")) key = key.replace(/(-----BEGIN [A-Z ]+-----)\s*(.*?)\s*(-----END [A-Z ]+-----)/, (_m, b: string, mid: string, e: string) => `${b}\n${mid.replace(/\s+/g, "\n")}\n${e}`);
    return keyParses(key) ? undefined : "PRIVATE_KEY looks like PEM but is not a valid private key (copy the whole .pem file GitHub gave you)";
  }
  if (env.PRIVATE_KEY_PATH) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, env.PRIVATE_KEY_PATH), "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return `PRIVATE_KEY_PATH: ${env.PRIVATE_KEY_PATH}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable (permission denied)" : "cannot be read"}`;
    }
    if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(text) || !keyParses(text)) return `PRIVATE_KEY_PATH: ${env.PRIVATE_KEY_PATH}: not a PEM private key`;
    return undefined;
  }
  let pems: string[] = [];
  try {
    pems = readdirSync(cwd).filter((f) => f.endsWith(".pem"));
  } catch {
    // no directory listing: no key found
  }
  if (pems.length === 1) return undefined;
  if (pems.length > 1) return `PRIVATE_KEY_PATH is not set and ${pems.length} .pem files are in ${cwd}: say which one`;
  return "PRIVATE_KEY or PRIVATE_KEY_PATH is not set: the GitHub App's private key (PEM)";
}

function keyParses(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** Exists and is a writable directory, or can be created (the nearest existing ancestor is writable). */
export function dataDirProblem(dir: string): string | undefined {
  let st;
  try {
    st = statSync(dir);
  } catch {
    let parent = dirname(dir);
    for (;;) {
      try {
        if (!statSync(parent).isDirectory()) return "cannot be created: a parent is not a directory";
        accessSync(parent, constants.W_OK);
        return undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") return "cannot be created: a parent directory is not writable";
      }
      const up = dirname(parent);
      if (up === parent) return "cannot be created";
      parent = up;
    }
  }
  if (!st.isDirectory()) return "is not a directory";
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return "is not writable by this user";
  }
  return undefined;
}

/** The text of a file the operator names in variable `name`, or the one line saying why it cannot be read. */
export function readOperatorFile(name: string, value: string, cwd: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(resolve(cwd, value), "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: `${name}: ${value}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable (permission denied)" : code === "EISDIR" ? "is a directory" : "cannot be read"}` };
  }
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}
