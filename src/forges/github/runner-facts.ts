import type { Probot, ProbotOctokit } from "probot";
import type { JobFacts } from "../../runners/reaper.js";
import { jobStatus, runnerBusy } from "./runner-api.js";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** What the reaper asks GitHub, with the installation of each repository (looked up once, then cached). */
export function githubFacts(probot: Probot): JobFacts {
  const installations = new Map<string, Promise<Octokit>>();
  const octokitFor = (repo: string): Promise<Octokit> => {
    let o = installations.get(repo);
    if (!o) {
      const [owner, name] = repo.split("/") as [string, string];
      o = probot.auth().then(async (app) => probot.auth((await app.rest.apps.getRepoInstallation({ owner, repo: name })).data.id));
      o.catch(() => installations.delete(repo));
      installations.set(repo, o);
    }
    return o;
  };
  return {
    status: async (repo, job) => jobStatus(await octokitFor(repo), repo, job),
    runnerBusy: async (repo, runner) => runnerBusy(await octokitFor(repo), repo, runner),
  };
}
