/**
 * Start-up validation of the server's configuration (environment and runners file): every problem
 * is one line naming the variable and what is expected, never its value (most are secrets).
 */
import { createPrivateKey } from "node:crypto";
import { accessSync, constants, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseRunnersConfig } from "../runners/config.js";
import { parseSourcesConfig, type SourcesConfig } from "../sources/config.js";
import { numberSettingProblems } from "./settings.js";
import { httpLimitProblems } from "../server/http-limits.js";

export interface ValidateOptions {
  /** Where relative paths (PRIVATE_KEY_PATH, MLREVIEW_RUNNERS, a lone *.pem) are resolved; default process.cwd(). */
  cwd?: string;
  /**
   * Probot's setup mode (no APP_ID outside production): the GitHub App does not exist yet, so its
   * credentials are not required; everything else is still checked.
   */
  setupMode?: boolean;
}

/** The environment as given: any strings (Probot narrows NodeJS.ProcessEnv's LOG_LEVEL, which is what is being checked). */
export type EnvInput = Record<string, string | undefined>;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Probot's setup mode: no APP_ID and NODE_ENV is not production (then `npm start` creates the app from app.yml). */
export function isSetupMode(env: EnvInput): boolean {
  return !env.APP_ID && env.NODE_ENV !== "production";
}

export function validateEnv(env: EnvInput, o: ValidateOptions = {}): string[] {
  const cwd = o.cwd ?? process.cwd();
  const problems: string[] = [];
  const set = (name: string) => env[name] !== undefined && env[name] !== "";

  // The GitHub App.
  if (!o.setupMode) {
    if (!set("APP_ID")) problems.push(`APP_ID is not set: the GitHub App's id${env.NODE_ENV === "production" ? " (to create the app, start once without NODE_ENV=production and open /probot)" : ""}`);
    else if (!/^[1-9]\d{0,15}$/.test(env.APP_ID!)) problems.push("APP_ID must be the GitHub App's numeric id (digits only)");
    const key = privateKeyProblem(env, cwd);
    if (key) problems.push(key);
    if (!set("WEBHOOK_SECRET")) problems.push("WEBHOOK_SECRET is not set: the GitHub App's webhook secret (Probot would otherwise accept deliveries signed with \"development\")");
  }

  // Probot's server and logging.
  if (set("PORT") && !isPort(env.PORT!)) problems.push("PORT must be a TCP port number from 1 to 65535");
  if (set("LOG_LEVEL") && !LOG_LEVELS.includes(env.LOG_LEVEL!)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  if (set("LOG_FORMAT") && env.LOG_FORMAT !== "json" && env.LOG_FORMAT !== "pretty") problems.push("LOG_FORMAT must be json or pretty");
  if (set("GHE_HOST") && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(env.GHE_HOST!)) problems.push("GHE_HOST must be a host name (and optional :port) without a scheme or path, e.g. github.example.com");
  if (set("GHE_PROTOCOL") && env.GHE_PROTOCOL !== "https" && env.GHE_PROTOCOL !== "http") problems.push("GHE_PROTOCOL must be https or http");
  if (set("WEBHOOK_PROXY_URL") && !isHttpUrl(env.WEBHOOK_PROXY_URL!)) problems.push("WEBHOOK_PROXY_URL must be an http(s) URL");
  problems.push(...httpLimitProblems(env));

  // mlreview's own.
  if (set("MLREVIEW_PUBLIC_URL") && !isHttpUrl(env.MLREVIEW_PUBLIC_URL!)) problems.push("MLREVIEW_PUBLIC_URL must be an http(s) URL, e.g. https://mlreview.example.com");
  if (set("MLREVIEW_IMAGES")) {
    if (env.MLREVIEW_IMAGES !== "serve" && env.MLREVIEW_IMAGES !== "branch") problems.push("MLREVIEW_IMAGES must be serve or branch");
    else if (env.MLREVIEW_IMAGES === "serve" && !set("MLREVIEW_PUBLIC_URL")) problems.push("MLREVIEW_IMAGES=serve needs MLREVIEW_PUBLIC_URL (the URL the images are served under)");
  }
  if (set("MLREVIEW_IMAGE_KEY") && env.MLREVIEW_IMAGE_KEY!.length < 16) problems.push("MLREVIEW_IMAGE_KEY must be at least 16 characters (it keys the image names)");
  if (set("MLREVIEW_DATA_DIR")) {
    const p = dataDirProblem(resolve(cwd, env.MLREVIEW_DATA_DIR!));
    if (p) problems.push(`MLREVIEW_DATA_DIR ${p}`);
  }
  if (set("MLREVIEW_METRICS_TOKEN") && env.MLREVIEW_METRICS_TOKEN!.length < 16) problems.push("MLREVIEW_METRICS_TOKEN must be at least 16 characters");
  problems.push(...numberSettingProblems(env));

  // GitLab: all or none (GITLAB_URL alone defaults to gitlab.com and means nothing without the others).
  const gitlab = ["GITLAB_TOKEN", "GITLAB_WEBHOOK_SECRET"];
  const given = gitlab.filter(set);
  if (given.length > 0 && given.length < gitlab.length) problems.push(`${gitlab.filter((n) => !set(n)).join(" and ")} must be set too: GitLab needs GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET (GITLAB_URL defaults to https://gitlab.com)`);
  else if (given.length === 0 && set("GITLAB_URL")) problems.push("GITLAB_URL is set but GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET are not: set all three, or none");
  if (set("GITLAB_URL") && !isHttpUrl(env.GITLAB_URL!)) problems.push("GITLAB_URL must be an http(s) URL, e.g. https://gitlab.com or https://git.example.com/gitlab");

  // The operator's files: GPU runners, and the sources (DVC remotes, trackers) the bot may contact.
  problems.push(...operatorFileProblems(env, "MLREVIEW_RUNNERS", cwd, (text) => void parseRunnersConfig(text, env.MLREVIEW_RUNNERS)));
  problems.push(...operatorFileProblems(env, "MLREVIEW_SOURCES", cwd, (text) => sourcesEnvProblems(parseSourcesConfig(text, env.MLREVIEW_SOURCES), env)));

  // The queue (REDIS_URL unset: in-process, one replica).
  if (set("REDIS_URL") && !isRedisUrl(env.REDIS_URL!)) problems.push("REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis:6379");

  return problems;
}

/** Mirrors @probot/get-private-key (PRIVATE_KEY first, else PRIVATE_KEY_PATH, else a lone *.pem in cwd), then parses the key. */
function privateKeyProblem(env: EnvInput, cwd: string): string | undefined {
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

function isPort(s: string): boolean {
  return /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65_535;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

function isRedisUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "redis:" || u.protocol === "rediss:") && u.hostname !== "";
  } catch {
    return false;
  }
}

/** Exists and is a writable directory, or can be created (the nearest existing ancestor is writable). */
function dataDirProblem(dir: string): string | undefined {
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

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

/**
 * `docker run --env-file` keeps quotes as part of the value, and Probot's setup writes the key as
 * PRIVATE_KEY="-----BEGIN …\n…": a PRIVATE_KEY wrapped in one pair of double quotes is unwrapped
 * (a PEM never starts with a quote), so the same .env works with npm start, compose and docker run.
 */
export function normalizeEnv(env: EnvInput): void {
  const key = env.PRIVATE_KEY;
  if (key && key.length >= 2 && key.startsWith('"') && key.endsWith('"')) env.PRIVATE_KEY = key.slice(1, -1);
}

/** A file the operator names in `name`: readable, and `check` (which throws, or returns problems) passes. */
function operatorFileProblems(env: EnvInput, name: string, cwd: string, check: (text: string) => string[] | void): string[] {
  const value = env[name];
  if (value === undefined || value === "") return [];
  let text: string;
  try {
    text = readFileSync(resolve(cwd, value), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return [`${name}: ${value}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable (permission denied)" : code === "EISDIR" ? "is a directory" : "cannot be read"}`];
  }
  try {
    return (check(text) ?? []).map((p) => `${name}: ${p}`);
  } catch (e) {
    return [`${name}: ${oneLine((e as Error).message)}`];
  }
}

/** Every environment variable a sources entry names must be set: a missing secret found at start-up, not on a PR. */
function sourcesEnvProblems(config: SourcesConfig, env: EnvInput): string[] {
  const problems: string[] = [];
  const need = (where: string, key: string, name: string | undefined) => {
    if (name !== undefined && !env[name]) problems.push(`${where}.${key} names ${name}, which is not set`);
  };
  config.dvc_remotes.forEach((r, i) => {
    need(`dvc_remotes[${i}]`, "password_env", r.password_env);
    need(`dvc_remotes[${i}]`, "connection_string_env", r.connection_string_env);
  });
  for (const kind of ["mlflow", "wandb", "comet"] as const) {
    config[kind].forEach((t, i) => {
      need(`${kind}[${i}]`, "token_env", t.token_env);
      need(`${kind}[${i}]`, "api_key_env", t.api_key_env);
    });
  }
  return problems;
}
