import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./git-repo.js";
import { checkBatch, dvcBatchSync, venvBin, type DvcCall } from "./python.js";

export type { DvcCall } from "./python.js";

const home = tempDir("mlreview-dvc-home-");
mkdirSync(join(home, ".config"), { recursive: true });

const ENV = {
  PATH: process.env.PATH ?? "",
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  XDG_CACHE_HOME: join(home, ".cache"),
  DVC_NO_ANALYTICS: "1",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
};

/** The real dvc (pinned, test/helpers/python.ts), with a throw-away HOME: no user or site config, no analytics. */
export function dvc(cwd: string, ...args: string[]): string {
  return execFileSync(venvBin("dvc"), args, { cwd, encoding: "utf8", env: ENV, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The same dvc commands, one after the other in one Python process (test/helpers/python.ts dvcBatch):
 * their stdouts, in order; a failure throws with its output and runs nothing after it.
 */
export function dvcAll(calls: DvcCall[]): string[] {
  return checkBatch(calls, dvcBatchSync(calls, ENV, true));
}

/** dvc in `cwd` once per argument list, in one process. */
export function dvcSteps(cwd: string, ...commands: string[][]): string[] {
  return dvcAll(commands.map((args) => ({ cwd, args })));
}
