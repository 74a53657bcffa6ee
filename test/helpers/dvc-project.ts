import { startMoto as startMotoServer, type MotoServer } from "./moto.js";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { git, tempDir, writeFiles } from "./git-repo.js";
import { checkBatch, dvcBatch, type DvcCall } from "./dvc-session.js";
import { VENV_DIR } from "./python.js";

/**
 * Real DVC projects for the differential tests: built with the pinned `dvc` (dvc repro, dvc add, dvc push)
 * in a clean environment (a throw-away HOME, no user or site config, no analytics), then cloned where
 * nothing was pulled.
 */

const home = tempDir("mlreview-dvc-home-");
mkdirSync(join(home, ".config"), { recursive: true });

/** What both tools see: moto's credentials, and the venv first on PATH so stages run its `python` (with PyYAML). */
export const S3_ENV = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_DEFAULT_REGION: "us-east-1" };

export function dvcEnv(): Record<string, string> {
  return {
    PATH: `${join(VENV_DIR, "bin")}:${process.env.PATH ?? ""}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    DVC_NO_ANALYTICS: "1",
    DVC_NO_SITE_CONFIG: "1",
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
    ...S3_ENV,
  };
}

export interface DvcRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** The real dvc, in this worker's dvc session (test/helpers/dvc-session.ts), for building: a failure throws with dvc's output. */
export async function dvc(cwd: string, ...args: string[]): Promise<string> {
  return (await dvcSteps(cwd, args))[0]!;
}

/** The real dvc in `cwd` once per argument list, one after the other; a failure throws with its output and runs nothing after it. */
export async function dvcSteps(cwd: string, ...commands: string[][]): Promise<string[]> {
  const calls = commands.map((args) => ({ cwd, args }));
  return checkBatch(calls, await dvcBatch(calls, dvcEnv(), true));
}

/** The real dvc for each call, one after the other; never throws for a command's exit code, the caller looks at it. */
export function runDvcAll(calls: DvcCall[]): Promise<DvcRun[]> {
  return dvcBatch(calls, dvcEnv());
}

export const md5 = (data: Buffer | string) => createHash("md5").update(data).digest("hex");

/** DVC 2's md5-dos2unix for a file under 1 MiB (one chunk): CRLF → LF when the block looks like text. */
export function dos2unixMd5(data: Buffer): string {
  const head = data.subarray(0, 512);
  const text = head.length === 0 || (!head.includes(0) && nonText(head) <= head.length * 0.3);
  return md5(text ? Buffer.from(data.toString("latin1").replaceAll("\r\n", "\n"), "latin1") : data);
}
function nonText(b: Buffer): number {
  let n = 0;
  for (const c of b) if (!((c >= 32 && c < 127) || [10, 13, 9, 12, 8].includes(c))) n++;
  return n;
}

/**
 * A DVC 2 stage as DVC 2 wrote it: a lock entry without `hash: md5`, objects in the legacy layout
 * (`.dvc/cache/xx/rest`) hashed with md5-dos2unix. `files` are written to the workspace too (they are
 * outs, git-ignored). Returns the lock `outs` (a file and a directory).
 */
export function writeLegacyOuts(repo: string, wdir: string, file: { path: string; data: Buffer }, dir: { path: string; files: Record<string, Buffer> }): object[] {
  const cache = join(repo, ".dvc", "cache");
  const put = (oid: string, data: Buffer | string) => {
    mkdirSync(join(cache, oid.slice(0, 2)), { recursive: true });
    writeFileSync(join(cache, oid.slice(0, 2), oid.slice(2)), data);
  };
  const fileOid = dos2unixMd5(file.data);
  put(fileOid, file.data);
  writeFiles(join(repo, wdir), { [file.path]: file.data });
  const entries = Object.entries(dir.files)
    .map(([relpath, data]) => {
      const oid = dos2unixMd5(data);
      put(oid, data);
      writeFiles(join(repo, wdir, dir.path), { [relpath]: data });
      return { md5: oid, relpath };
    })
    .sort((a, b) => (a.relpath < b.relpath ? -1 : 1));
  // dvc_data's Tree: json.dumps(sort_keys=True), Python's default separators, no newline.
  const manifest = `[${entries.map((e) => `{"md5": "${e.md5}", "relpath": "${e.relpath}"}`).join(", ")}]`;
  const dirOid = `${md5(manifest)}.dir`;
  put(dirOid, manifest);
  const size = Object.values(dir.files).reduce((n, d) => n + d.length, 0);
  return [
    { path: dir.path, md5: dirOid, size, nfiles: entries.length },
    { path: file.path, md5: fileOid, size: file.data.length },
  ];
}

/** Where a lock out's object lives under a cache or remote root, in DVC 3 or DVC 2 layout. */
export function objectKey(oid: string, legacy = false): string {
  return legacy ? `${oid.slice(0, 2)}/${oid.slice(2)}` : `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;
}

/** The md5 of `path` among a dvc.lock's stage outs (the first stage that has it). */
export function lockOid(repo: string, lockPath: string, path: string): string {
  const lock = parse(readFileSync(join(repo, lockPath), "utf8")) as { stages: Record<string, { outs?: { path: string; md5: string }[] }> };
  for (const stage of Object.values(lock.stages)) for (const o of stage.outs ?? []) if (o.path === path) return o.md5;
  throw new Error(`${path} is not an out in ${lockPath}`);
}

/** The md5 of `relpath` in a .dir manifest stored under `root` (a local remote). */
export function dirEntryOid(root: string, dirOid: string, relpath: string): string {
  const entries = JSON.parse(readFileSync(join(root, objectKey(dirOid)), "utf8")) as { md5: string; relpath: string }[];
  const e = entries.find((x) => x.relpath === relpath);
  if (!e) throw new Error(`${relpath} is not in ${dirOid}`);
  return e.md5;
}

/** A `git clone` of `repo` (nothing pulled: no .dvc/cache), with `config.local` written if given. */
export function cloneFresh(repo: string, configLocal?: string): string {
  const dir = join(tempDir("mlreview-dvc-clone-"), "repo");
  execFileSync("git", ["clone", "-q", repo, dir]);
  if (configLocal !== undefined) writeFileSync(join(dir, ".dvc", "config.local"), configLocal);
  return dir;
}

export function copyDir(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

/** moto's S3 server (test/helpers/moto.ts) with `bucket` created (moto checks no signature here). */
export async function startMoto(bucket: string): Promise<MotoServer> {
  const moto = await startMotoServer();
  const r = await fetch(`${moto.endpoint}/${bucket}`, { method: "PUT" });
  if (!r.ok) throw new Error(`moto: creating bucket ${bucket} answered ${r.status}`);
  return moto;
}

export { git };
