import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { checkBatch, dvcBatch, type DvcCall } from "./dvc-session.js";
import { tempDir } from "./git-repo.js";

export type { DvcCall } from "./dvc-session.js";

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

/** The real dvc (pinned, test/helpers/python.ts), with a throw-away HOME: no user or site config, no analytics. Its stdout; a failure throws with its output. */
export async function dvc(cwd: string, ...args: string[]): Promise<string> {
  return (await dvcAll([{ cwd, args }]))[0]!;
}

/**
 * The same dvc commands, one after the other in this worker's dvc session (test/helpers/dvc-session.ts):
 * their stdouts, in order; a failure throws with its output and runs nothing after it.
 */
export async function dvcAll(calls: DvcCall[]): Promise<string[]> {
  return checkBatch(calls, await dvcBatch(calls, ENV, true));
}

/** dvc in `cwd` once per argument list. */
export function dvcSteps(cwd: string, ...commands: string[][]): Promise<string[]> {
  return dvcAll(commands.map((args) => ({ cwd, args })));
}
