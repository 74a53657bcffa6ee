import nock from "nock";

/**
 * The EC2 query API as the SDK really speaks it: a form-encoded POST in, XML out. Each `on()` is one
 * expected call, consumed in order per action; every body is kept for assertions.
 */
export const EC2_URL = "https://ec2.us-east-1.amazonaws.com";
const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

export interface Ec2Call {
  action: string;
  params: URLSearchParams;
}

export type Reply = [status: number, xml: string];

export class Ec2Mock {
  readonly calls: Ec2Call[] = [];
  readonly unexpected: string[] = [];
  // Loopback is where tests run their own servers (the bot's endpoint): not an unexpected call.
  private readonly onNoMatch = (req: { method?: string; path?: string; href?: string }) => {
    if (!/^https?:\/\/127\.0\.0\.1[:/]/.test(req.href ?? "")) this.unexpected.push(`${req.method ?? "?"} ${req.href ?? req.path ?? "?"}`);
  };

  constructor(readonly base = EC2_URL) {
    nock.disableNetConnect();
    nock.emitter.on("no match", this.onNoMatch);
  }

  on(action: string, reply: Reply | ((params: URLSearchParams) => Reply)): this {
    nock(this.base)
      .post("/", (body: Record<string, unknown>) => body.Action === action)
      .reply((_uri, body) => {
        const params = new URLSearchParams(typeof body === "string" ? body : "");
        this.calls.push({ action, params });
        const [status, xml] = typeof reply === "function" ? reply(params) : reply;
        return [status, xml, { "content-type": "text/xml;charset=UTF-8" }];
      });
    return this;
  }

  /** Calls of one action, in order. */
  of(action: string): URLSearchParams[] {
    return this.calls.filter((c) => c.action === action).map((c) => c.params);
  }

  done(): { pending: string[]; unexpected: string[] } {
    const result = { pending: nock.pendingMocks(), unexpected: [...this.unexpected] };
    nock.emitter.removeListener("no match", this.onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    return result;
  }
}

/** A form body as a plain object, for exact comparisons. */
export function formObject(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries([...params.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function errorXml(code: string, message = `${code} (test)`): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>00000000-0000-4000-8000-000000000000</RequestID></Response>`;
}

/** HTTP statuses EC2 pairs with these codes: capacity refusals are server errors, throttling is 503. */
export function ec2Error(code: string, message?: string): Reply {
  const status = /^Insufficient(Instance|Host|ReservedInstance)?Capacity$/.test(code) || code === "InternalError" ? 500 : code === "RequestLimitExceeded" ? 503 : 400;
  return [status, errorXml(code, message)];
}

export function runInstancesXml(params: URLSearchParams, instanceId: string): Reply {
  const market = params.get("InstanceMarketOptions.MarketType") === "spot" ? "<instanceLifecycle>spot</instanceLifecycle>" : "";
  return [
    200,
    `<?xml version="1.0" encoding="UTF-8"?>
<RunInstancesResponse xmlns="${NS}">
  <requestId>11111111-1111-4111-8111-111111111111</requestId>
  <reservationId>r-0123456789abcdef0</reservationId>
  <ownerId>123456789012</ownerId>
  <groupSet/>
  <instancesSet>
    <item>
      <instanceId>${instanceId}</instanceId>
      <imageId>${esc(params.get("ImageId") ?? "")}</imageId>
      <instanceState><code>0</code><name>pending</name></instanceState>
      <instanceType>${esc(params.get("InstanceType") ?? "")}</instanceType>
      <launchTime>2026-01-02T03:04:05.000Z</launchTime>
      <subnetId>${esc(params.get("SubnetId") ?? "")}</subnetId>
      <clientToken>${esc(params.get("ClientToken") ?? "")}</clientToken>
      ${market}
    </item>
  </instancesSet>
</RunInstancesResponse>`,
  ];
}

export function describeImagesXml(imageId: string, rootDeviceName = "/dev/xvda", rootDeviceType = "ebs"): Reply {
  return [
    200,
    `<?xml version="1.0" encoding="UTF-8"?>
<DescribeImagesResponse xmlns="${NS}">
  <requestId>22222222-2222-4222-8222-222222222222</requestId>
  <imagesSet>
    <item>
      <imageId>${imageId}</imageId>
      <imageState>available</imageState>
      <architecture>x86_64</architecture>
      <rootDeviceType>${rootDeviceType}</rootDeviceType>
      <rootDeviceName>${rootDeviceName}</rootDeviceName>
      <blockDeviceMapping>
        <item><deviceName>${rootDeviceName}</deviceName><ebs><snapshotId>snap-0123456789abcdef0</snapshotId><volumeSize>50</volumeSize><deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType></ebs></item>
      </blockDeviceMapping>
    </item>
  </imagesSet>
</DescribeImagesResponse>`,
  ];
}

export interface FakeInstance {
  id: string;
  state?: string;
  launchTime?: string;
  type?: string;
  subnet?: string;
  lifecycle?: "spot";
  tags?: Record<string, string>;
}

export function describeInstancesXml(instances: FakeInstance[], nextToken?: string): Reply {
  const items = instances
    .map((i) => {
      const tags = Object.entries(i.tags ?? {})
        .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
        .join("");
      return `<item>
      <reservationId>r-${i.id.slice(2)}</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>${i.id}</instanceId>
          <imageId>ami-0123456789abcdef0</imageId>
          <instanceState><code>16</code><name>${i.state ?? "running"}</name></instanceState>
          <instanceType>${i.type ?? "g5.xlarge"}</instanceType>
          <launchTime>${i.launchTime ?? "2026-01-02T03:04:05.000Z"}</launchTime>
          <subnetId>${i.subnet ?? "subnet-a"}</subnetId>
          ${i.lifecycle ? `<instanceLifecycle>${i.lifecycle}</instanceLifecycle>` : ""}
          <tagSet>${tags}</tagSet>
        </item>
      </instancesSet>
    </item>`;
    })
    .join("\n");
  return [
    200,
    `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="${NS}">
  <requestId>33333333-3333-4333-8333-333333333333</requestId>
  <reservationSet>${items}</reservationSet>
  ${nextToken ? `<nextToken>${esc(nextToken)}</nextToken>` : ""}
</DescribeInstancesResponse>`,
  ];
}

export function terminateXml(params: URLSearchParams): Reply {
  const ids = [...params.entries()].filter(([k]) => k.startsWith("InstanceId.")).map(([, v]) => v);
  const items = ids.map((id) => `<item><instanceId>${esc(id)}</instanceId><currentState><code>32</code><name>shutting-down</name></currentState><previousState><code>16</code><name>running</name></previousState></item>`).join("");
  return [200, `<?xml version="1.0" encoding="UTF-8"?>\n<TerminateInstancesResponse xmlns="${NS}"><requestId>44444444-4444-4444-8444-444444444444</requestId><instancesSet>${items}</instancesSet></TerminateInstancesResponse>`];
}

const AWS_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"];

/** Test credentials and no stray AWS configuration from the machine; returns the restore function. */
export function useTestAwsEnv(extra: Record<string, string> = {}): () => void {
  const saved = Object.fromEntries(AWS_ENV.map((k) => [k, process.env[k]]));
  for (const k of AWS_ENV) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_CONFIG_FILE: "/nonexistent/mlreview-test/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/mlreview-test/credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  });
  return () => {
    for (const k of AWS_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  };
}

/**
 * What every runner launch must send, whichever forge asked (for the test profiles: g5.xlarge in
 * subnet-a with sg-1 and a 200 GB root on /dev/sda1): one instance, shutdown = terminate, IMDSv2 with hop limit 1.
 */
export function launchEssentials(ami: string): Record<string, string> {
  return {
    ImageId: ami,
    InstanceType: "g5.xlarge",
    SubnetId: "subnet-a",
    "SecurityGroupId.1": "sg-1",
    MinCount: "1",
    MaxCount: "1",
    InstanceInitiatedShutdownBehavior: "terminate",
    "MetadataOptions.HttpTokens": "required",
    "MetadataOptions.HttpPutResponseHopLimit": "1",
    "BlockDeviceMapping.1.DeviceName": "/dev/sda1",
    "BlockDeviceMapping.1.Ebs.VolumeSize": "200",
  };
}

/**
 * A stateful EC2 for tests with several bots at once (replicas): instances exist from RunInstances
 * (the same ClientToken gives the same instance, as EC2 does) until TerminateInstances, and
 * DescribeInstances filters them by tag, state and client token. Any other action is unexpected.
 */
export class Ec2World {
  readonly instances: { id: string; token: string; tags: Record<string, string>; state: string }[] = [];
  /** RunInstances requests, in order. */
  readonly runs: URLSearchParams[] = [];
  readonly unexpected: string[] = [];
  /** The most instances alive at once. */
  maxLive = 0;
  private next = 1;
  private readonly onNoMatch = (req: { method?: string; href?: string }) => {
    if (!/^https?:\/\/127\.0\.0\.1[:/]/.test(req.href ?? "")) this.unexpected.push(`${req.method ?? "?"} ${req.href ?? "?"}`);
  };

  constructor(
    private readonly ami: string,
    base = EC2_URL,
  ) {
    nock.disableNetConnect();
    nock.emitter.on("no match", this.onNoMatch);
    nock(base)
      .persist()
      .post("/")
      .reply((_uri, body) => {
        const p = new URLSearchParams(typeof body === "string" ? body : "");
        const [status, xml] = this.answer(p);
        return [status, xml, { "content-type": "text/xml;charset=UTF-8" }];
      });
  }

  live(): number {
    return this.instances.filter((i) => i.state !== "terminated").length;
  }

  private answer(p: URLSearchParams): Reply {
    switch (p.get("Action")) {
      case "DescribeImages":
        return describeImagesXml(this.ami, "/dev/sda1");
      case "RunInstances": {
        this.runs.push(p);
        const token = p.get("ClientToken") ?? "";
        let i = this.instances.find((x) => x.token === token && token !== "");
        if (!i) {
          const tags: Record<string, string> = {};
          for (const [k, v] of p) {
            const m = /^TagSpecification\.1\.Tag\.(\d+)\.Key$/.exec(k);
            if (m) tags[v] = p.get(`TagSpecification.1.Tag.${m[1]}.Value`) ?? "";
          }
          i = { id: `i-0${String(this.next++).padStart(16, "0")}`, token, tags, state: "pending" };
          this.instances.push(i);
        }
        this.maxLive = Math.max(this.maxLive, this.live());
        return runInstancesXml(p, i.id);
      }
      case "DescribeInstances": {
        const filters: { name: string; values: string[] }[] = [];
        for (let n = 1; p.has(`Filter.${n}.Name`); n++) {
          const values: string[] = [];
          for (let m = 1; p.has(`Filter.${n}.Value.${m}`); m++) values.push(p.get(`Filter.${n}.Value.${m}`)!);
          filters.push({ name: p.get(`Filter.${n}.Name`)!, values });
        }
        const match = (i: Ec2World["instances"][number]) =>
          filters.every((f) =>
            f.name === "instance-state-name" ? f.values.includes(i.state) : f.name === "client-token" ? f.values.includes(i.token) : f.name.startsWith("tag:") ? f.values.includes(i.tags[f.name.slice(4)] ?? "\0") : false,
          );
        return describeInstancesXml(this.instances.filter(match).map((i) => ({ id: i.id, state: i.state, tags: i.tags })));
      }
      case "TerminateInstances":
        for (const [k, v] of p) if (k.startsWith("InstanceId.")) for (const i of this.instances) if (i.id === v) i.state = "terminated";
        return terminateXml(p);
      default:
        this.unexpected.push(`EC2 ${p.get("Action")}`);
        return ec2Error("UnsupportedOperation");
    }
  }

  done(): { unexpected: string[] } {
    nock.emitter.removeListener("no match", this.onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    return { unexpected: [...this.unexpected] };
  }
}
