import { describe, expect, it } from "vitest";
import { MemoryQueue } from "../../src/queue/memory.js";

describe("the in-process queue has the Redis queue's semantics", () => {
  it("a redelivered old push neither runs again nor rolls the newest head back; a new delivery of an old head does count", async () => {
    const q = new MemoryQueue();
    const posted: string[] = [];
    // sha1's build is still running when sha2 arrives: its build waits for the second push.
    let secondPush!: () => void;
    const pushed = new Promise<void>((ok) => (secondPush = ok));
    q.work(async (task, ctx) => {
      await pushed;
      await ctx.publish(async () => posted.push(task.version));
    });
    const push = (version: string, delivery: string) => q.submit({ kind: "review", forge: "github", key: "pr#1", version, delivery, data: {} });
    await push("sha1", "d1");
    await push("sha2", "d2");
    secondPush();
    await q.idle();
    await push("sha1", "d1"); // GitHub redelivers the first push
    await q.idle();
    expect(posted.at(-1)).toBe("sha2");
    await push("sha1", "d3"); // a force-push back to sha1 is a new delivery
    await q.idle();
    expect(posted.at(-1)).toBe("sha1");
    expect(posted.filter((p) => p === "sha2")).toHaveLength(1);
  });

  it("tasks submitted before a worker exists are kept and run once it starts", async () => {
    const q = new MemoryQueue();
    await q.submit({ kind: "runner", forge: "github", key: "job#1", version: "queued", data: {} });
    const ran: string[] = [];
    q.work(async (task) => void ran.push(task.key));
    await q.idle();
    expect(ran).toEqual(["job#1"]);
  });
});
