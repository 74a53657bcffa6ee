import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import nock from "nock";
import { createNodeMiddleware, Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app/index.js";
import { tempDir } from "../../helpers/git-repo.js";
import { Ec2Mock, describeImagesXml, describeInstancesXml, runInstancesXml, useTestAwsEnv } from "../../runners/ec2-mock.js";
import { testPrivateKey } from "../../helpers/keys.js";

const GITLAB = "https://gitlab.example.com/gitlab";
const SECRET = "hook-secret";
const TOKEN = "glpat-route-test";
const privateKey = testPrivateKey("pkcs8");

describe("the Job Hook through /gitlab/webhook", () => {
  let restoreEnv: () => void;
  beforeEach(() => (restoreEnv = useTestAwsEnv()));
  afterEach(() => {
    restoreEnv();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("a pending GPU job posted to the endpoint gets its GitLab runner and one instance; a bad token gets nothing", async () => {
    const hook = JSON.parse(readFileSync(new URL("../../fixtures/gitlab/job-hook-pending.json", import.meta.url), "utf8")) as { build_id: number; project_id: number; project: { path_with_namespace: string } };
    const file = join(tempDir(), "runners.yml");
    writeFileSync(file, "region: us-east-1\nallow: [gitlab-org/*]\nprofiles:\n  gpu: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a]}\n");
    const ec2 = new Ec2Mock()
      .on("DescribeInstances", describeInstancesXml([]))
      .on("DescribeImages", describeImagesXml("ami-0123456789abcdef0", "/dev/sda1"))
      .on("RunInstances", (p) => runInstancesXml(p, "i-0gl"));
    nock.enableNetConnect("127.0.0.1");
    const gl = nock(`${GITLAB}/api/v4`, { reqheaders: { "private-token": TOKEN } })
      // The allow list is matched against the project's own path, read by project_id (issue 10 M13).
      .get(`/projects/${hook.project_id}`)
      .reply(200, { id: hook.project_id, path_with_namespace: hook.project.path_with_namespace })
      .get(`/projects/${hook.project_id}/jobs/${hook.build_id}`)
      .reply(200, { id: hook.build_id, status: "pending", ref: "main", tag_list: ["mlreview-gpu"], pipeline: { id: 1, ref: "main" } })
      .post("/user/runners", (b: { tag_list: string[] }) => b.tag_list.includes("mlreview-gpu"))
      .reply(201, { id: 55, token: "glrt-routeTestTokenAbc123", token_expires_at: null });
    const mlreview = createApp(
      { appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", runnersFile: file, gitlab: { url: GITLAB, token: TOKEN, secret: SECRET } },
      { runners: { facts: { github: { status: async () => undefined, runnerBusy: async () => undefined } } } },
    );
    const probot = new Probot({ appId: 1, privateKey, secret: "x", logLevel: "fatal" });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    const server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const post = (token: string) =>
      fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/gitlab/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-gitlab-event": "Job Hook", "x-gitlab-token": token },
        body: JSON.stringify(hook),
      });
    try {
      expect((await post("wrong")).status).toBe(401);
      expect((await post(SECRET)).status).toBe(200);
      await mlreview.idle();
    } finally {
      server.close();
      mlreview.runners()?.stop();
    }
    expect(gl.pendingMocks()).toEqual([]);
    expect(ec2.of("RunInstances")).toHaveLength(1);
    expect(ec2.done()).toEqual({ pending: [], unexpected: [] });
  });
});
