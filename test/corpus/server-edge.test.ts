// The HTTP edge of the real server (node dist/server.js on a loopback port): what it logs (no
// credential, at any level), how much of a body it reads (GitHub's 25 MB, as the bytes arrive), and
// how long and how many clients may hold it (timeouts, connection cap).
import { createServer, request, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { sign } from "@octokit/webhooks-methods";
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { example } from "../forges/github/helpers.js";
import { tempDir } from "../helpers/git-repo.js";
import { freePort, startServer, stopServer, type Started } from "../helpers/server.js";
import { title } from "./cases.js";
import { testPrivateKey } from "../helpers/keys.js";

const privateKey = testPrivateKey("pkcs1");
const WEBHOOK_SECRET = "gh-hook-secret-5b1d7e9a";
// None of these has a well-known token shape: only their configured values can redact them.
const SECRETS = {
  WEBHOOK_SECRET,
  GITLAB_WEBHOOK_SECRET: "gl-hook-secret-8c3f2a71",
  GITLAB_TOKEN: "gitlab-api-token-0e6d4b93",
  MLREVIEW_METRICS_TOKEN: "metrics-bearer-7a2c9d15e4",
  MLREVIEW_IMAGE_KEY: "image-name-key-3f8b1c6d",
  AWS_SECRET_ACCESS_KEY: "aws-secret-key-9d4e2b7f1a",
  AWS_SESSION_TOKEN: "aws-session-token-6c1a8e3d",
};
/** Every value that must never be in the log: the secrets, and every line of the private key. */
const NEVER = [...Object.values(SECRETS), ...privateKey.split("\n").filter((l) => l && !l.startsWith("-----"))];

/** A raw request on its own connection, with what came back and when the connection closed. */
interface Raw {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
  t0: number;
}

function raw(port: number, head: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const t0 = Date.now();
    const closed = new Promise<number>((ok) => socket.once("close", () => ok(Date.now() - t0)));
    socket.on("data", (c: Buffer) => (received += c.toString("latin1")));
    socket.on("error", () => {});
    socket.once("connect", () => {
      socket.write(head);
      resolve({ socket, received: () => received, closed, t0 });
    });
    socket.once("error", reject);
  });
}

/** Resolves with the close time, or with undefined if still open after `ms` (the guard against a hang). */
const closedWithin = (r: Raw, ms: number) => Promise.race([r.closed, new Promise<undefined>((ok) => setTimeout(() => ok(undefined), ms))]);

/** GET over a connection of its own (closed after), so that no pooled keep-alive connection counts against the cap. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent: false, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Until `url` answers 200 over a connection closed after each probe, or throws with what the server said. */
async function up(url: string, s: Started, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (s.child.exitCode !== null) throw new Error(`server exited ${s.child.exitCode}: ${s.err()} ${s.out()}`);
    if ((await get(url, { connection: "close" }).catch(() => undefined))?.status === 200) return;
    if (Date.now() > end) throw new Error(`${url} never answered 200: ${s.err()} ${s.out()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ghHeaders = async (event: string, body: string) => ({
  "content-type": "application/json",
  "x-github-event": event,
  "x-github-delivery": `d-${Math.random()}`,
  "x-hub-signature-256": await sign(WEBHOOK_SECRET, body),
});

async function until(what: string, ok: () => boolean, ms: number, s: Started): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`never: ${what}\n${s.out()}\n${s.err()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The server's JSON log lines. */
const lines = (s: Started) =>
  (s.out() + s.err())
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, any>);

const baseEnv = (port: number, dir: string) => ({ APP_ID: "123", PRIVATE_KEY: privateKey, WEBHOOK_SECRET, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production", LOG_FORMAT: "json" as const, MLREVIEW_DATA_DIR: `${dir}/data` });

describe.concurrent("secrets in logs: at LOG_LEVEL=trace no configured secret and no credential header reaches stdout or stderr", () => {
  let s: Started;
  let url: string;
  let fake: Server;
  let fakeUrl: string;
  /** The credentials the bot sent to the fake forges: they must not be logged either. */
  const sent: string[] = [];
  /** Every response body the server gave: none may echo a secret. */
  const answers: string[] = [];

  beforeAll(async () => {
    // GitHub and GitLab APIs that refuse everything and echo the credentials they were given, as a
    // careless error page does: the bot's error lines then carry them.
    fake = createServer((req, res) => {
      const creds = [req.headers.authorization, req.headers["private-token"]].filter((c): c is string => !!c);
      sent.push(...creds.map((c) => c.replace(/^(bearer|token)\s+/i, "")));
      req.resume();
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: `Bad credentials: ${creds.join(" ")}` }));
    });
    await new Promise<void>((ok) => fake.listen(0, "127.0.0.1", ok));
    fakeUrl = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const dir = tempDir();
    const port = await freePort();
    s = startServer({ ...baseEnv(port, dir), ...SECRETS, LOG_LEVEL: "trace", GITLAB_URL: `http://${fakeUrl}`, GHE_HOST: fakeUrl, GHE_PROTOCOL: "http" }, dir);
    url = `http://127.0.0.1:${port}`;
    await up(`${url}/healthz`, s);
  }, 30_000);

  afterAll(async () => {
    await stopServer(s);
    await new Promise<void>((ok) => fake.close(() => ok()));
  });

  const requestLine = (method: string, path: string) => lines(s).find((l) => l.req?.method === method && String(l.req?.url).startsWith(path) && l.res?.statusCode);

  it.sequential(title("N01"), async () => {
    const hook = { object_kind: "note" };
    answers.push((await post(`${url}/gitlab/webhook`, { "content-type": "application/json", "x-gitlab-event": "Note Hook", "x-gitlab-token": SECRETS.GITLAB_WEBHOOK_SECRET }, JSON.stringify(hook))).body);
    answers.push((await post(`${url}/gitlab/webhook`, { "content-type": "application/json", "x-gitlab-event": "Note Hook", "x-gitlab-token": "a-wrong-token-guessed-by-someone" }, "{}")).body);
    await until("both GitLab requests logged", () => lines(s).filter((l) => l.req?.url === "/gitlab/webhook" && l.res?.statusCode).length === 2, 5_000, s);
    const logged = lines(s).filter((l) => l.req?.url === "/gitlab/webhook" && l.res?.statusCode);
    expect(logged.map((l) => l.res.statusCode).sort()).toEqual([200, 401]);
    for (const l of logged) expect(l.req.headers["x-gitlab-token"]).toBe("[REDACTED]");
    expect(s.out() + s.err()).not.toContain("a-wrong-token-guessed-by-someone");
    for (const secret of NEVER) expect(s.out() + s.err()).not.toContain(secret);
  });

  it.sequential(title("N02"), async () => {
    const ok = await get(`${url}/metrics`, { authorization: `Bearer ${SECRETS.MLREVIEW_METRICS_TOKEN}`, cookie: "session=cookie-value-1f2e3d" });
    expect(ok.status).toBe(200);
    const refused = await get(`${url}/metrics`, { authorization: "Bearer another-bearer-tried-2b4d6f" });
    expect(refused.status).toBe(401);
    answers.push(refused.body);
    await until("both /metrics requests logged", () => lines(s).filter((l) => l.req?.url === "/metrics" && l.res?.statusCode).length === 2, 5_000, s);
    for (const l of lines(s).filter((l) => l.req?.url === "/metrics" && l.res?.statusCode)) expect(l.req.headers.authorization).toBe("[REDACTED]");
    expect(requestLine("GET", "/metrics")!.req.headers.cookie).toBe("[REDACTED]");
    const all = s.out() + s.err();
    for (const v of ["another-bearer-tried-2b4d6f", "cookie-value-1f2e3d", ...NEVER]) expect(all).not.toContain(v);
  });

  it.sequential(title("N03"), async () => {
    const body = JSON.stringify({ zen: "Design for failure.", hook_id: 7 });
    const headers = { ...(await ghHeaders("ping", body)), "x-hub-signature": `sha1=${createHmac("sha1", WEBHOOK_SECRET).update(body).digest("hex")}` };
    const r = await post(`${url}/api/github/webhooks`, headers, body);
    expect(r.status).toBe(200);
    const forged = await post(`${url}/api/github/webhooks`, await ghHeaders("ping", `${body} `), body);
    expect(forged.status).toBe(400);
    answers.push(r.body, forged.body);
    await until("both deliveries logged", () => lines(s).filter((l) => l.req?.url === "/api/github/webhooks" && l.res?.statusCode).length === 2, 5_000, s);
    const logged = lines(s).filter((l) => l.req?.url === "/api/github/webhooks" && l.res?.statusCode);
    for (const l of logged) expect(l.req.headers["x-hub-signature-256"]).toBe("[REDACTED]");
    const all = s.out() + s.err();
    for (const v of [headers["x-hub-signature-256"], headers["x-hub-signature"], headers["x-hub-signature-256"].slice(7), ...NEVER]) expect(all).not.toContain(v);
  });

  it.sequential(title("N04"), async () => {
    // A GitHub pull request and a GitLab merge request whose reports fail: the forges refuse the bot
    // and echo its credentials in their error bodies, and the failures are logged with those bodies.
    const p = example<Record<string, any>>("pull_request", "opened");
    p.installation = { id: 1 };
    const gh = JSON.stringify(p);
    answers.push((await post(`${url}/api/github/webhooks`, await ghHeaders("pull_request", gh), gh)).body);
    const mr = {
      object_kind: "merge_request",
      project: { id: 42, path_with_namespace: "acme/model", git_http_url: `http://${fakeUrl}/acme/model.git` },
      object_attributes: { iid: 3, action: "open", state: "opened", source_branch: "feature", target_branch: "main", last_commit: { id: "a".repeat(40) } },
    };
    answers.push((await post(`${url}/gitlab/webhook`, { "content-type": "application/json", "x-gitlab-event": "Merge Request Hook", "x-gitlab-token": SECRETS.GITLAB_WEBHOOK_SECRET }, JSON.stringify(mr))).body);
    await until("both reports failed and were logged", () => lines(s).filter((l) => l.level >= 50 && /failed/.test(String(l.msg))).length >= 2, 20_000, s);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const all = s.out() + s.err();
    for (const v of [...new Set(sent), ...NEVER]) expect(all).not.toContain(v);
    // The failures still say what failed.
    expect(all).toContain("[REDACTED]");
    expect(lines(s).some((l) => l.level >= 50 && /401/.test(JSON.stringify(l.err ?? {})))).toBe(true);
  });

  it.sequential(title("N05"), async () => {
    // Secrets in a URL: the request line keeps its path, not the value.
    for (const secret of NEVER.slice(0, Object.keys(SECRETS).length)) answers.push((await get(`${url}/healthz?k=${encodeURIComponent(secret)}`)).body, (await get(`${url}/nowhere/${encodeURIComponent(secret)}`)).body);
    await until("the URLs logged", () => lines(s).filter((l) => String(l.req?.url).startsWith("/nowhere/") && l.res?.statusCode).length === Object.keys(SECRETS).length, 5_000, s);
    expect(
      lines(s)
        .filter((l) => String(l.req?.url).startsWith("/nowhere/"))
        .every((l) => l.req.url === "/nowhere/[REDACTED]"),
    ).toBe(true);
    const all = s.out() + s.err();
    for (const v of NEVER) expect(all).not.toContain(v);
    // And no answer the server gave, refusals included, echoes one.
    expect(answers.length).toBeGreaterThan(10);
    for (const a of answers) for (const v of [...NEVER, ...sent]) expect(a).not.toContain(v);
  });
});

describe.concurrent("bodies: GitHub's 25 MB cap as the bytes arrive, before Probot reads them", () => {
  let s: Started;
  let url: string;
  let port: number;
  const auth = { authorization: `Bearer ${SECRETS.MLREVIEW_METRICS_TOKEN}` };
  const rss = async () => Number(/^process_resident_memory_bytes (\d+)/m.exec((await get(`${url}/metrics`, auth)).body)?.[1]);
  const MB = 1024 * 1024;

  beforeAll(async () => {
    const dir = tempDir();
    port = await freePort();
    s = startServer({ ...baseEnv(port, dir), LOG_LEVEL: "warn", MLREVIEW_METRICS_TOKEN: SECRETS.MLREVIEW_METRICS_TOKEN }, dir);
    url = `http://127.0.0.1:${port}`;
    await up(`${url}/healthz`, s);
  }, 30_000);
  afterAll(() => stopServer(s));

  const head = (extra: string) => `POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: big\r\nX-Hub-Signature-256: sha256=${"0".repeat(64)}\r\n${extra}\r\n`;

  it.sequential(
    title("N06"),
    async () => {
      // 26 MB announced, not a byte of it sent: the answer comes anyway, and the connection closes.
      const r = await raw(port, head(`Content-Length: ${26 * MB}\r\n`));
      const closed = await closedWithin(r, 10_000);
      expect(r.received()).toMatch(/^HTTP\/1\.1 413 /);
      expect(closed).toBeDefined();
    },
    15_000,
  );

  it.sequential(
    title("N07"),
    async () => {
      const before = await rss();
      const r = await raw(port, head("Transfer-Encoding: chunked\r\n"));
      // 200 MB of one growing body, 1 MB per chunk, as fast as the server takes it, until it hangs up.
      const chunk = Buffer.concat([Buffer.from(`${MB.toString(16)}\r\n`), Buffer.alloc(MB, 0x20), Buffer.from("\r\n")]);
      let written = 0;
      let open = true;
      void r.closed.then(() => (open = false));
      while (open && written < 200 * MB) {
        const more = r.socket.write(chunk);
        written += MB;
        if (!more) await Promise.race([new Promise((ok) => r.socket.once("drain", ok)), r.closed]);
      }
      const closed = await closedWithin(r, 10_000);
      expect(r.received()).toMatch(/^HTTP\/1\.1 413 /);
      expect(closed).toBeDefined();
      // What was sent before the hang-up: the cap, plus what the sockets' buffers took.
      expect(written).toBeLessThan(80 * MB);
      const after = await rss();
      expect(after - before).toBeLessThan(150 * MB);
    },
    60_000,
  );

  it.sequential(
    title("N08"),
    async () => {
      expect((await get(`${url}/healthz`)).status).toBe(200);
      const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
      expect((await post(`${url}/api/github/webhooks`, await ghHeaders("ping", body), body)).status).toBe(200);
      // A delivery just under the cap is still taken whole (and refused for its signature, not its size).
      const big = JSON.stringify({ zen: "x".repeat(24 * MB) });
      const r = await post(`${url}/api/github/webhooks`, { ...(await ghHeaders("ping", big)), "x-hub-signature-256": `sha256=${"0".repeat(64)}` }, big);
      expect(r.status).toBe(400);
      expect((await post(`${url}/api/github/webhooks`, await ghHeaders("ping", big), big)).status).toBe(200);
      expect((await get(`${url}/metrics`, auth)).body).toContain('mlreview_webhooks_total{forge="github",event="ping"} 2');
    },
    30_000,
  );
});

describe.concurrent("slow clients and many: timeouts and a connection cap (short values set by env)", () => {
  let s: Started;
  let url: string;
  let port: number;
  const LIMITS = { MLREVIEW_HTTP_HEADERS_TIMEOUT_MS: "2000", MLREVIEW_HTTP_REQUEST_TIMEOUT_MS: "3000", MLREVIEW_HTTP_IDLE_TIMEOUT_MS: "1000", MLREVIEW_HTTP_MAX_CONNECTIONS: "4" };
  const sigHeaders = "Content-Type: application/json\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: slow\r\nX-Hub-Signature-256: sha256=" + "0".repeat(64) + "\r\n";

  beforeAll(async () => {
    const dir = tempDir();
    port = await freePort();
    s = startServer({ ...baseEnv(port, dir), LOG_LEVEL: "warn", ...LIMITS }, dir);
    url = `http://127.0.0.1:${port}`;
    // A probe on a connection of its own, closed after: none is left open to count against the cap.
    await up(`${url}/healthz`, s);
  }, 30_000);
  afterAll(() => stopServer(s));

  /** Writes `piece` every `ms` until the connection closes. */
  const trickle = (r: Raw, piece: string, ms: number) => {
    const t = setInterval(() => r.socket.writable && r.socket.write(piece), ms);
    void r.closed.then(() => clearInterval(t));
    return () => clearInterval(t);
  };

  it(
    title("N09"),
    async () => {
      // A header every 300 ms (never idle for the idle timeout), never the blank line that ends them.
      const r = await raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
      const stop = trickle(r, "X-Slow: a\r\n", 300);
      const closed = await closedWithin(r, 10_000);
      stop();
      expect(closed).toBeDefined();
      expect(closed!).toBeLessThan(5_000);
    },
    15_000,
  );

  it(
    title("N10"),
    async () => {
      // Headers complete, then the body a byte every 300 ms: cut by the request timeout.
      const r = await raw(port, `POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\n${sigHeaders}Content-Length: 1000\r\n\r\n`);
      const stop = trickle(r, " ", 300);
      const closed = await closedWithin(r, 12_000);
      stop();
      expect(closed).toBeDefined();
      expect(closed!).toBeLessThan(8_000);
    },
    15_000,
  );

  it(
    title("N11"),
    async () => {
      // Headers complete, ten bytes of the body, then nothing: cut by the idle timeout, before the request timeout.
      const r = await raw(port, `POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\n${sigHeaders}Content-Length: 1000\r\n\r\n{"zen": 1 `);
      const closed = await closedWithin(r, 10_000);
      expect(closed).toBeDefined();
      expect(closed!).toBeLessThan(2_900);
    },
    15_000,
  );

  it.sequential(
    title("N12"),
    async () => {
      // Four slow clients take every connection; a fifth is refused while they are held.
      const held = await Promise.all([0, 1, 2, 3].map(() => raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n")));
      const stops = held.map((r) => trickle(r, "X-Slow: a\r\n", 200));
      await new Promise((r) => setTimeout(r, 200));
      const fifth = await raw(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      const refused = await closedWithin(fifth, 800);
      const stillHeld = held.filter((r) => !r.socket.destroyed).length;
      stops.forEach((f) => f());
      expect(refused).toBeDefined();
      expect(fifth.received()).toBe("");
      expect(stillHeld).toBe(4);
      // The slow ones are cut by the headers timeout; then the server serves again.
      for (const r of held) expect(await closedWithin(r, 10_000)).toBeDefined();
      expect((await get(`${url}/healthz`)).status).toBe(200);
      expect(s.out() + s.err()).toContain("connection limit reached");
    },
    30_000,
  );
});
