import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll } from "vitest";
import type { CheckResult, CloneAccess, ReviewSession } from "../../src/forges/types.js";
import type { TaskContext } from "../../src/queue/task.js";
import { forgeChange } from "../helpers/forge.js";
import { gitHttpServer } from "../helpers/git-http.js";
import { type Files, tempDir } from "../helpers/git-repo.js";

/** What the fake forge was asked to do, in order. */
export interface Recorded {
  comments: string[];
  checks: CheckResult[];
  /** The signal each setCheck was given. */
  checkSignals: AbortSignal[];
}

/** A plain object implementing ReviewSession (the review step is forge-neutral): records every post. */
export function fakeSession(o: { clone: () => CloneAccess; base: string; head: string; artifacts?: ReviewSession["artifacts"]; fail?: Partial<Record<"mergeBase" | "upsertReport" | "setCheck", () => Error>> }): ReviewSession & Recorded {
  const rec: Recorded = { comments: [], checks: [], checkSignals: [] };
  return {
    cr: { repo: "acme/model", number: 7, headSha: o.head, baseRef: "main" },
    labels: { base: "main", head: "feature" },
    async mergeBase() {
      if (o.fail?.mergeBase) throw o.fail.mergeBase();
      return o.base;
    },
    clone: async () => o.clone(),
    lfsEndpoint: () => undefined,
    ...(o.artifacts ? { artifacts: o.artifacts } : {}),
    publish: undefined,
    async upsertReport(body) {
      if (o.fail?.upsertReport) throw o.fail.upsertReport();
      rec.comments.push(body);
      return { id: 1, action: "created" as const };
    },
    async setCheck(result, signal) {
      rec.checkSignals.push(signal);
      if (o.fail?.setCheck) throw o.fail.setCheck();
      rec.checks.push(result);
    },
    get comments() {
      return rec.comments;
    },
    get checks() {
      return rec.checks;
    },
    get checkSignals() {
      return rec.checkSignals;
    },
  };
}

/** A queue context for one direct call: never stale unless told, posts run at once. */
export function directContext(signal: AbortSignal, stale = false): TaskContext {
  return { signal, isStale: async () => stale, publish: async (post) => (stale ? undefined : post()) };
}

/** A base and a head commit of a real repository, served over smart HTTP on loopback. */
export async function servedChange(base: Files, head: Files): Promise<{ url: string; origin: string; base: string; head: string; requests: { authorization: string | undefined }[] }> {
  const { bare, base: baseSha, head: headSha } = forgeChange({ base, head: { ...base, ...head }, message: "head" });
  const server = await gitHttpServer();
  afterAll(() => server.close());
  const url = server.serve("acme/model.git", bare);
  return { url, origin: server.origin, base: baseSha, head: headSha, requests: server.requests };
}

/**
 * A forge whose git answers nothing while `stalled`: requests are held open (as a server that accepted
 * the connection and went silent), then passed to `target` once it is not. `closed` resolves when a held
 * request's connection is closed by the client (git was killed).
 */
export async function stallingProxy(target: string): Promise<{ origin: string; stalled: boolean; held: number; closed: Promise<void> }> {
  let onClosed!: () => void;
  const state = { origin: "", stalled: true, held: 0, closed: new Promise<void>((r) => (onClosed = r)) };
  const server = createServer((req: IncomingMessage, res) => {
    if (state.stalled) {
      state.held++;
      res.on("close", onClosed);
      return;
    }
    const up = request(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  state.origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  afterAll(() => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))));
  return state;
}

export const reviewDirs = () => ({ reposDir: tempDir(), dvc: { rules: [], objectCacheDir: tempDir() } });
