import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { addReadinessCheck, gracefulShutdown, isDraining, onShutdown, readiness, setDraining } from "../../src/server/lifecycle.js";
import { routes } from "../../src/server/routes.js";

function quietLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: "info", obj, msg }), error: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: "error", obj, msg }) };
}

async function serve(): Promise<{ url: string; server: Server }> {
  const handler = routes(undefined);
  const server = createServer((req, res) => void handler(req, res).then((done) => done || res.writeHead(404).end()));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("GET /healthz is a readiness check", () => {
  afterEach(() => setDraining(false));

  it("200 with a small JSON body when ready, 503 while shutting down or when a check fails", async () => {
    const { url, server } = await serve();
    try {
      const ok = await fetch(`${url}/healthz`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe("application/json");
      expect(await ok.json()).toMatchObject({ status: "ok" });

      let redis = false;
      addReadinessCheck("redis", () => redis);
      let asked: () => void = () => {};
      const slowAsked = new Promise<void>((ok) => (asked = ok));
      addReadinessCheck("slow", () => (asked(), new Promise<boolean>(() => {})));
      // A check that never answers fails at readiness's 2 s timeout (src/server/lifecycle.ts): that clock
      // is faked and, once the check has been asked (its timer set), moved on by those 2 s.
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      let failing: Response;
      try {
        const pending = fetch(`${url}/healthz`);
        await slowAsked;
        await vi.advanceTimersByTimeAsync(2_000);
        failing = await pending;
      } finally {
        vi.useRealTimers();
      }
      expect(failing.status).toBe(503);
      expect(await failing.json()).toMatchObject({ status: "not ready", failing: ["redis", "slow"] });
      redis = true;
      addReadinessCheck("slow", () => true);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      setDraining();
      const draining = await fetch(`${url}/healthz`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ status: "shutting down" });
      expect((await fetch(`${url}/healthz`, { method: "HEAD" })).status).toBe(503);
    } finally {
      server.close();
    }
  }, 10_000);
});

describe("gracefulShutdown", () => {
  afterEach(() => setDraining(false));

  it("in order: not ready, stop accepting, hooks, timers, idle, close; exit code 0", async () => {
    const order: string[] = [];
    onShutdown("queue worker", async () => {
      expect(isDraining()).toBe(true);
      order.push("hook");
    });
    const log = quietLog();
    const code = await gracefulShutdown({
      stopAccepting: async () => void order.push("stopAccepting"),
      stopTimers: () => order.push("timers"),
      idle: async () => {
        await new Promise((r) => setImmediate(r)); // idle ends a turn later: close must await it
        order.push("idle");
      },
      close: async () => void order.push("close"),
      timeoutMs: 2_000,
      log,
    });
    expect(code).toBe(0);
    expect(order).toEqual(["stopAccepting", "hook", "timers", "idle", "close"]);
    expect((await readiness()).ready).toBe(false);
    expect(log.lines.at(-1)?.msg).toBe("mlreview: shutdown complete");
    onShutdown("queue worker", () => {});
  });

  it("work that does not finish in time: exit code 1, what was left is logged, the render workers are still closed", async () => {
    const log = quietLog();
    let closed = false;
    const t0 = Date.now();
    const code = await gracefulShutdown({
      stopAccepting: async () => {},
      idle: () => new Promise(() => {}),
      close: async () => void (closed = true),
      describeLeft: () => ({ runner_jobs_waiting_for_capacity: 2 }),
      timeoutMs: 300,
      log,
    });
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(closed).toBe(true);
    const last = log.lines.at(-1)!;
    expect(last.level).toBe("error");
    expect(last.obj).toMatchObject({ unfinished: ["reports and runner launches"], runner_jobs_waiting_for_capacity: 2 });
  });

  it("a failing step is logged and the others still run", async () => {
    const log = quietLog();
    let idled = false;
    const code = await gracefulShutdown({
      stopAccepting: async () => {
        throw new Error("close failed");
      },
      idle: async () => void (idled = true),
      timeoutMs: 1_000,
      log,
    });
    expect(code).toBe(0);
    expect(idled).toBe(true);
    expect(log.lines.some((l) => l.level === "error" && l.obj.step === "http connections")).toBe(true);
  });
});
