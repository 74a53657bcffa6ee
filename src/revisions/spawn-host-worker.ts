/**
 * The spawn host (spawn-host.ts): a small process that starts git for a large one. It holds no
 * secrets (its own environment is PATH alone; each command brings the environment git.ts gave it)
 * and exits when its parent goes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { killGroup } from "./kill-group.js";
import type { HostReply, HostRequest } from "./spawn-host-protocol.js";

const children = new Map<number, { child: ChildProcess; detached: boolean }>();
const send = (m: HostReply): void => void process.send?.(m);

process.on("message", (m: HostRequest) => {
  switch (m.t) {
    case "spawn": {
      const child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: m.detached, stdio: ["pipe", "pipe", "pipe"] });
      children.set(m.id, { child, detached: m.detached });
      if (child.pid !== undefined) send({ t: "spawned", id: m.id, pid: child.pid });
      child.stdout!.on("data", (d: Buffer) => send({ t: "out", id: m.id, fd: 1, data: d }));
      child.stderr!.on("data", (d: Buffer) => send({ t: "out", id: m.id, fd: 2, data: d }));
      // A command that exits without reading its input: its stdin's EPIPE is no one's error.
      child.stdin!.on("error", () => undefined);
      child.on("error", (e: NodeJS.ErrnoException) => send({ t: "error", id: m.id, message: e.message, ...(e.code ? { code: e.code } : {}) }));
      child.on("close", (code, signal) => {
        children.delete(m.id);
        send({ t: "close", id: m.id, code, signal });
      });
      return;
    }
    case "in":
      children.get(m.id)?.child.stdin?.write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      return;
    case "end":
      children.get(m.id)?.child.stdin?.end();
      return;
    case "kill": {
      const c = children.get(m.id);
      if (c !== undefined) killGroup(c.child, c.detached, m.signal);
      return;
    }
  }
});

// The parent died or closed the channel: its commands die with it, as they would as its own children.
process.on("disconnect", () => {
  for (const c of children.values()) killGroup(c.child, c.detached, "SIGKILL");
  process.exit(0);
});

send({ t: "ready" });
