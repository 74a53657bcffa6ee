import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCapacity } from "../../src/runners/capacity.js";
import { RedisCapacity } from "../../src/runners/capacity-redis.js";
import { parseRunnersConfig } from "../../src/runners/config.js";
import { startRedis, type RedisServer } from "../helpers/redis.js";

const config = parseRunnersConfig(`
region: us-east-1
max_instances: 2
allow: [acme/*]
profiles:
  gpu: {instance_types: [g5.xlarge], image: ami-0123456789abcdef0, subnets: [subnet-a], max_instances: 1}
  cpu: {instance_types: [c7i.large], image: ami-0123456789abcdef0, subnets: [subnet-a]}
`);
const job = (key: string, profile: string, queuedAt: number) => ({ key, profile, queuedAt });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runner capacity in Redis, shared by replicas", () => {
  let redis: RedisServer;
  beforeAll(async () => (redis = await startRedis()));
  afterAll(async () => redis.stop());

  it("grants within the global and per-profile limits, oldest first across replicas; a dead replica's launching slots and places in line lapse", async () => {
    const leases = { launchMs: 400, waitMs: 400 };
    const a = new RedisCapacity(redis.url, config, { prefix: "t1", leases });
    const b = new RedisCapacity(redis.url, config, { prefix: "t1", leases });
    try {
      expect((await a.acquire([job("g1", "gpu", 1), job("g2", "gpu", 2)])).granted).toEqual(new Set(["g1"])); // gpu: 1
      expect((await b.acquire([job("c1", "cpu", 3)])).granted).toEqual(new Set(["c1"])); // global: 2
      // The same job asked for by another replica (a redelivery there) is not granted twice.
      expect((await b.acquire([job("g1", "gpu", 1)])).taken).toEqual(new Set(["g1"]));
      expect((await b.acquire([job("c2", "cpu", 4)])).granted.size).toBe(0);
      await a.release("g1"); // g2 (A, older) comes before c2 (B)
      expect((await b.acquire([job("c2", "cpu", 4)])).granted.size).toBe(0);
      expect((await a.acquire([job("g2", "gpu", 2)])).granted).toEqual(new Set(["g2"]));
      // A dies: it neither launches g2 nor releases it, and g3 loses its place. Both lapse.
      await a.acquire([job("g3", "gpu", 0)]);
      await a.close();
      expect((await b.acquire([job("c2", "cpu", 4)])).granted.size).toBe(0);
      await sleep(450);
      expect((await b.acquire([job("c2", "cpu", 4)])).granted).toEqual(new Set(["c2"]));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("reconcile: live instances hold slots (also ones nobody asked for); a held slot whose instance is gone is freed, and every replica hears of it", async () => {
    const a = new RedisCapacity(redis.url, config, { prefix: "t2", leases: { graceMs: 100 } });
    const b = new RedisCapacity(redis.url, config, { prefix: "t2", leases: { graceMs: 100 } });
    const heard: (string | undefined)[] = [];
    b.onFreed((k) => heard.push(k));
    try {
      await sleep(100); // b's subscription
      await a.reconcile([
        { key: "x1", profile: "cpu" },
        { key: "x2", profile: "cpu" },
      ]);
      expect((await b.acquire([job("c1", "cpu", 1)])).granted.size).toBe(0);
      await sleep(150);
      await a.reconcile([{ key: "x2", profile: "cpu" }]);
      expect((await b.acquire([job("c1", "cpu", 1)])).granted).toEqual(new Set(["c1"]));
      await a.release("x2");
      await sleep(100);
      expect(heard).toEqual([undefined, "x2"]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("runner capacity in process (one replica)", () => {
  it("keeps the same rules: limits, oldest first, reconcile from the listing", async () => {
    let now = 0;
    const c = new MemoryCapacity(config, () => now);
    expect(c.acquire([job("g1", "gpu", 1), job("g2", "gpu", 2), job("c1", "cpu", 3)]).granted).toEqual(new Set(["g1", "c1"]));
    await c.confirm({ key: "g1", profile: "gpu" });
    await c.confirm({ key: "c1", profile: "cpu" });
    now += 3 * 60_000;
    await c.reconcile([{ key: "c1", profile: "cpu" }]); // g1's instance ended unseen
    expect(c.acquire([job("g2", "gpu", 2)]).granted).toEqual(new Set(["g2"]));
    expect(c.size()).toBe(2);
  });
});
