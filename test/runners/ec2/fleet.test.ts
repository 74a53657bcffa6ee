import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Ec2Fleet } from "../../../src/runners/ec2/fleet.js";
import { TAGS } from "../../../src/runners/ec2/tags.js";
import { Ec2Mock, describeInstancesXml, ec2Error, formObject, terminateXml, useTestAwsEnv } from "../ec2-mock.js";

let mock: Ec2Mock;
let restoreEnv: () => void;
let sleeps: number[];
const fleet = () => new Ec2Fleet({ region: "us-east-1", sleep: async (ms) => void sleeps.push(ms) });

const tags = (job: number, runner: string, extra: Record<string, string> = {}) => ({
  Name: runner,
  [TAGS.managed]: "true",
  [TAGS.job]: String(job),
  [TAGS.runner]: runner,
  [TAGS.repo]: "acme/models",
  [TAGS.profile]: "gpu",
  [TAGS.expires]: "2026-01-02T09:00:00.000Z",
  ...extra,
});

describe("Ec2Fleet with the EC2 query API (nock)", () => {
  beforeEach(() => {
    restoreEnv = useTestAwsEnv();
    mock = new Ec2Mock();
    sleeps = [];
  });

  afterEach(() => {
    const { pending, unexpected } = mock.done();
    restoreEnv();
    expect(pending).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  describe("terminate", () => {
    it("does nothing for no ids", async () => {
      await fleet().terminate([]);
      expect(mock.calls).toEqual([]);
    });

    it("terminates every id in one call", async () => {
      mock.on("TerminateInstances", terminateXml);
      await fleet().terminate(["i-01", "i-02", "i-01"]);
      expect(formObject(mock.of("TerminateInstances")[0]!)).toEqual({ Action: "TerminateInstances", Version: "2016-11-15", "InstanceId.1": "i-01", "InstanceId.2": "i-02" });
    });

    it("tolerates an instance EC2 no longer knows", async () => {
      mock.on("TerminateInstances", ec2Error("InvalidInstanceID.NotFound", "The instance ID 'i-0gone' does not exist"));
      await expect(fleet().terminate(["i-0gone"])).resolves.toBeUndefined();
    });

    it("one unknown id among several: the others are still terminated, one by one", async () => {
      mock.on("TerminateInstances", ec2Error("InvalidInstanceID.NotFound", "The instance ID 'i-0gone' does not exist"));
      mock.on("TerminateInstances", terminateXml);
      mock.on("TerminateInstances", ec2Error("InvalidInstanceID.NotFound", "The instance ID 'i-0gone' does not exist"));
      await fleet().terminate(["i-0live", "i-0gone"]);
      expect(mock.of("TerminateInstances").map((q) => formObject(q))).toEqual([
        { Action: "TerminateInstances", Version: "2016-11-15", "InstanceId.1": "i-0live", "InstanceId.2": "i-0gone" },
        { Action: "TerminateInstances", Version: "2016-11-15", "InstanceId.1": "i-0live" },
        { Action: "TerminateInstances", Version: "2016-11-15", "InstanceId.1": "i-0gone" },
      ]);
    });

    it("backs off on throttling, and reports any other refusal", async () => {
      mock.on("TerminateInstances", ec2Error("RequestLimitExceeded"));
      mock.on("TerminateInstances", terminateXml);
      await fleet().terminate(["i-01"]);
      expect(sleeps).toHaveLength(1);

      mock.on("TerminateInstances", ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation."));
      await expect(fleet().terminate(["i-02"])).rejects.toThrow(/TerminateInstances failed: UnauthorizedOperation/);
    });
  });

  describe("managed", () => {
    it("lists live tagged instances across pages and reads the state from their tags", async () => {
      mock.on("DescribeInstances", describeInstancesXml([{ id: "i-0a", state: "running", launchTime: "2026-01-02T03:00:00.000Z", tags: tags(11, "mlreview-gpu-11-1") }], "page-2"));
      mock.on(
        "DescribeInstances",
        describeInstancesXml([
          { id: "i-0b", state: "pending", tags: tags(12, "mlreview-gpu-12-1", { [TAGS.expires]: "not a date" }) },
          { id: "i-0c", state: "stopped", tags: { [TAGS.managed]: "true" } },
        ]),
      );

      const found = await fleet().managed();

      const [first, second] = mock.of("DescribeInstances").map(formObject);
      expect(first).toEqual({
        Action: "DescribeInstances",
        Version: "2016-11-15",
        "Filter.1.Name": "tag:mlreview:managed",
        "Filter.1.Value.1": "true",
        "Filter.2.Name": "instance-state-name",
        "Filter.2.Value.1": "pending",
        "Filter.2.Value.2": "running",
        "Filter.2.Value.3": "stopping",
        "Filter.2.Value.4": "stopped",
        MaxResults: "1000",
      });
      expect(second).toEqual({ ...first, NextToken: "page-2" });
      expect(found).toEqual([
        { instanceId: "i-0a", state: "running", launchTime: new Date("2026-01-02T03:00:00.000Z"), job: 11, runner: "mlreview-gpu-11-1", repo: "acme/models", profile: "gpu", expires: new Date("2026-01-02T09:00:00.000Z") },
        { instanceId: "i-0b", state: "pending", launchTime: new Date("2026-01-02T03:04:05.000Z"), job: 12, runner: "mlreview-gpu-12-1", repo: "acme/models", profile: "gpu", expires: undefined },
        { instanceId: "i-0c", state: "stopped", launchTime: new Date("2026-01-02T03:04:05.000Z"), job: undefined, runner: undefined, repo: undefined, profile: undefined, expires: undefined },
      ]);
    });

    it("narrows by runner and job tags", async () => {
      mock.on("DescribeInstances", describeInstancesXml([]));
      expect(await fleet().managed({ runner: "mlreview-gpu-11-1", job: 11 })).toEqual([]);
      expect(formObject(mock.of("DescribeInstances")[0]!)).toMatchObject({
        "Filter.3.Name": "tag:mlreview:runner",
        "Filter.3.Value.1": "mlreview-gpu-11-1",
        "Filter.4.Name": "tag:mlreview:job",
        "Filter.4.Value.1": "11",
      });
    });
  });
});

describe("AWS_ENDPOINT_URL_EC2", () => {
  let server: Server;
  let seen: { url: string | undefined; action: string | null; auth: string | undefined }[];
  let restore: () => void;

  beforeEach(async () => {
    seen = [];
    server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        const params = new URLSearchParams(body);
        seen.push({ url: req.url, action: params.get("Action"), auth: req.headers.authorization });
        const [status, xml] = params.get("Action") === "DescribeInstances" ? describeInstancesXml([{ id: "i-0local", tags: tags(7, "mlreview-gpu-7-1") }]) : terminateXml(params);
        res.writeHead(status, { "content-type": "text/xml;charset=UTF-8" });
        res.end(xml);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    restore = useTestAwsEnv({ AWS_ENDPOINT_URL_EC2: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });

  afterEach(async () => {
    restore();
    await new Promise((r) => server.close(r));
  });

  it("routes every call to the configured EC2-compatible endpoint, signed with the default credential chain", async () => {
    const f = new Ec2Fleet({ region: "us-east-1" });
    const found = await f.managed();
    await f.terminate(found.map((i) => i.instanceId));
    expect(found.map((i) => [i.instanceId, i.job])).toEqual([["i-0local", 7]]);
    expect(seen.map((s) => s.action)).toEqual(["DescribeInstances", "TerminateInstances"]);
    expect(seen.every((s) => s.url === "/" && /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/ec2\/aws4_request/.test(s.auth ?? ""))).toBe(true);
  });
});
