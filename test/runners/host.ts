import { Probot } from "probot";
import { runners as githubRunners } from "../../src/forges/github/runners.js";
import { runners as gitlabRunners } from "../../src/forges/gitlab/runners.js";
import type { ForgeHost } from "../../src/forges/types.js";
import type { AppSettings } from "../../src/app/settings.js";
import type { RunnerForge } from "../../src/runners/service.js";

/** The two forges' runner sides, as the registry's modules carry them. */
export const GITHUB: RunnerForge = { id: "github", runners: githubRunners };
export const GITLAB: RunnerForge = { id: "gitlab", runners: gitlabRunners };
export const FORGES: readonly RunnerForge[] = [GITHUB, GITLAB];

/** A server for the runner service: the settings it reads (GitLab's), a Probot, and nothing queued. */
export function testHost(o: { gitlab?: { url: string; token: string }; probot?: Probot; settings?: Partial<AppSettings> } = {}): ForgeHost {
  const settings: AppSettings = { appId: 1, publicUrl: undefined, dataDir: "/nonexistent", imageKey: "k", ...(o.gitlab ? { gitlab: { ...o.gitlab, secret: "s" } } : {}), ...o.settings };
  const probot = o.probot ?? new Probot({ appId: 1, privateKey: "unused", logLevel: "fatal" });
  return {
    settings,
    probot,
    addHandler: undefined,
    submit: async () => {
      throw new Error("the runner service submits no task");
    },
    remember: async () => {},
    recall: async () => undefined,
    images: undefined,
    log: probot.log,
  };
}

/** A runner task's deadline in the tests: never reached. */
export const signal = () => AbortSignal.timeout(60_000);
