import { Probot } from "probot";
import { runners as githubRunners } from "../../src/forges/github/runners.js";
import { GitLabClient } from "../../src/forges/gitlab/client.js";
import { gitlabRunners } from "../../src/forges/gitlab/runners.js";
import type { ForgeHost } from "../../src/forges/types.js";
import type { AppSettings } from "../../src/app/settings.js";
import type { RunnerForge } from "../../src/runners/service.js";

/** The two forges' runner sides, as the registry's modules carry them. */
export const GITHUB: RunnerForge = { id: "github", runners: githubRunners };
/** GitLab's client as the server builds it, its retries without their waits. */
const clients = new WeakMap<AppSettings, GitLabClient>();
export const GITLAB: RunnerForge = {
  id: "gitlab",
  runners: gitlabRunners({
    clientFor: (host) => {
      const gl = host.settings.gitlab;
      if (!gl) return undefined;
      let c = clients.get(host.settings);
      if (!c) clients.set(host.settings, (c = new GitLabClient({ url: gl.url, token: gl.token, retry: { sleep: async () => {} } })));
      return c;
    },
  }),
};
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
