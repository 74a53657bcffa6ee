import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli.js";
import { tempDir } from "../helpers/git-repo.js";
import { describeInstancesXml, terminateXml } from "./ec2-mock.js";

/** The CLI is another process: nock cannot reach it, so EC2 is a real server on loopback (AWS_ENDPOINT_URL_EC2). */
async function fakeEc2(instances: Parameters<typeof describeInstancesXml>[0]) {
  const actions: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const params = new URLSearchParams(body);
      actions.push(
        `${params.get("Action")} ${[...params.entries()]
          .filter(([k]) => k.startsWith("InstanceId."))
          .map(([, v]) => v)
          .join(",")}`.trim(),
      );
      const [status, xml] = params.get("Action") === "TerminateInstances" ? terminateXml(params) : describeInstancesXml(instances);
      res.writeHead(status, { "content-type": "text/xml" }).end(xml);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, actions, close: () => server.close() };
}

function run(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, HOME: tempDir(), AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_EC2_METADATA_DISABLED: "true", ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}

describe("mlreview runners list / reap", () => {
  const file = join(tempDir(), "runners.yml");
  writeFileSync(file, "region: us-east-1\nallow: [acme/*]\nprofiles:\n  gpu: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a]}\n");
  const tags = (job: string, expires: Date) => ({
    "mlreview:managed": "true",
    "mlreview:job": job,
    "mlreview:runner": `mlreview-gpu-${job}-1`,
    "mlreview:repo": "acme/model",
    "mlreview:profile": "gpu",
    "mlreview:expires": expires.toISOString(),
  });
  const live = { id: "i-0live", tags: tags("7", new Date(Date.now() + 3600_000)) };
  const old = { id: "i-0old", tags: tags("8", new Date(Date.now() - 60_000)) };

  it("lists what mlreview launched, from the tags", async () => {
    const ec2 = await fakeEc2([live, old]);
    try {
      const r = await run(["runners", "list", "--config", file], { AWS_ENDPOINT_URL_EC2: ec2.url });
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^INSTANCE\s+STATE\s+PROFILE\s+REPO\s+JOB\s+RUNNER\s+LAUNCHED\s+EXPIRES$/);
      expect(lines[1]).toMatch(/^i-0live\s+running\s+gpu\s+acme\/model\s+7\s+mlreview-gpu-7-1\s/);
      expect(lines).toHaveLength(3);
    } finally {
      ec2.close();
    }
  });

  it("reap --dry-run says what it would end; reap ends it", async () => {
    const ec2 = await fakeEc2([live, old]);
    try {
      const dry = await run(["runners", "reap", "--dry-run", "--config", file], { AWS_ENDPOINT_URL_EC2: ec2.url });
      expect(dry.stdout).toBe("would terminate i-0old (expired)\n");
      expect(ec2.actions).toEqual(["DescribeInstances"]);
      const real = await run(["runners", "reap", "--config", file], { AWS_ENDPOINT_URL_EC2: ec2.url });
      expect(real.stdout).toBe("terminated i-0old (expired)\n");
      expect(ec2.actions).toEqual(["DescribeInstances", "DescribeInstances", "TerminateInstances i-0old"]);
    } finally {
      ec2.close();
    }
  });

  it("no runners file is a usage error; a bad one names the file and the key", async () => {
    expect((await run(["runners", "list"], {})).stderr).toBe("mlreview: no runners file: pass --config FILE or set MLREVIEW_RUNNERS\n");
    const bad = join(tempDir(), "bad.yml");
    writeFileSync(bad, "region: us-east-1\nallow: [acme/*]\nprofiles:\n  gpu: {instance_types: [g5.xlarge], image: not-an-ami, subnets: [subnet-a]}\n");
    const r = await run(["runners", "list", "--config", bad], {});
    expect([r.code, r.stderr]).toEqual([1, `mlreview: ${bad}: profiles.gpu.image: expected an AMI id such as ami-0123456789abcdef0\n`]);
  });
});
