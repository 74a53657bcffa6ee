import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./git-repo.js";
import { venvBin } from "./python.js";

const home = tempDir("mlreview-dvc-home-");
mkdirSync(join(home, ".config"), { recursive: true });

/** The real dvc (pinned, test/helpers/python.ts), with a throw-away HOME: no user or site config, no analytics. */
export function dvc(cwd: string, ...args: string[]): string {
  return execFileSync(venvBin("dvc"), args, {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_CACHE_HOME: join(home, ".cache"),
      DVC_NO_ANALYTICS: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
