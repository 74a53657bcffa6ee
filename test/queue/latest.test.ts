import { describe, expect, it } from "vitest";
import { LatestPerKey } from "../../src/queue/latest.js";

describe("per-PR coalescing", () => {
  it("runs the first push, skips the superseded middle one, runs the newest; stale work knows it is stale", async () => {
    const q = new LatestPerKey();
    const ran: string[] = [];
    const stale: Record<string, boolean> = {};
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const aRunning = new Promise<void>((r) => (started = r));
    const job = (v: string) => async (ctx: { isStale(): boolean }) => {
      ran.push(v);
      if (v === "a") (started(), await gate);
      stale[v] = ctx.isStale();
    };
    const all = [q.submit("pr1", "a", job("a"))];
    await aRunning; // b and c arrive while a runs
    all.push(q.submit("pr1", "b", job("b")), q.submit("pr1", "c", job("c")));
    release();
    await Promise.all(all);
    expect(ran).toEqual(["a", "c"]);
    expect(stale).toEqual({ a: true, c: false });
  });

  it("a redelivered version (running, waiting or done) is not run again; other keys run in parallel", async () => {
    const q = new LatestPerKey();
    const ran: string[] = [];
    // Each job holds until both keys' jobs run: were pr2 waiting behind pr1, this would never end.
    let release!: () => void;
    const bothRunning = new Promise<void>((r) => (release = r));
    const job = (v: string) => async () => {
      ran.push(v);
      if (ran.length === 2) release();
      await bothRunning;
    };
    await Promise.all([q.submit("pr1", "x", job("1x")), q.submit("pr1", "x", job("1x-again")), q.submit("pr2", "x", job("2x"))]);
    await q.submit("pr1", "x", job("1x-later"));
    expect(ran.sort()).toEqual(["1x", "2x"]);
    await q.idle();
  });

  it("a failing job is reported and does not block the next version", async () => {
    const errors: unknown[] = [];
    const q = new LatestPerKey((_, e) => errors.push(e));
    await q.submit("pr", "1", async () => {
      throw new Error("boom");
    });
    let ran = false;
    await q.submit("pr", "2", async () => {
      ran = true;
    });
    expect([ran, (errors[0] as Error).message]).toEqual([true, "boom"]);
    // A failed version is not remembered as done: a redelivery retries it.
    let retried = false;
    await q.submit("pr", "1", async () => {
      retried = true;
    });
    expect(retried).toBe(true);
  });
});
