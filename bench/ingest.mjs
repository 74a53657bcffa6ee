// Webhook ingest on loopback: signed pull_request deliveries (100 different pull requests, a fresh
// delivery id each time) at the bot's HTTP endpoint with autocannon, 10 s, 50 connections.
import { fork } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import autocannon from "autocannon";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const server = fork(new URL("./ingest-server.mjs", import.meta.url), [], { env: { ...process.env, BENCH_KEY: privateKey } });
const { port } = await new Promise((r) => server.once("message", r));

const requests = [];
for (let pr = 1; pr <= 100; pr++) {
  const body = JSON.stringify({
    action: "synchronize",
    number: pr,
    installation: { id: 1 },
    repository: { full_name: "acme/model", name: "model", owner: { login: "acme" }, clone_url: "https://github.com/acme/model.git", html_url: "https://github.com/acme/model" },
    pull_request: { number: pr, head: { sha: `${"a".repeat(39)}${pr % 10}`, ref: "feature" }, base: { sha: "b".repeat(40), ref: "main" } },
  });
  requests.push({ method: "POST", path: "/api/github/webhooks", body, headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-hub-signature-256": await sign("bench-secret", body) } });
}
let n = 0;
const run = (extra) =>
  autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: 10,
    requests: requests.map((r) => ({ ...r, setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-github-delivery": `bench-${++n}` } }) })),
    ...extra,
  });
// Saturation: as fast as the server goes. Then an offered load of 1,000/s (twice the target rate):
// the latency a sender sees when the server is not simply queueing requests behind a busy core.
const saturated = await run({});
const paced = await run({ overallRate: 1000 });
server.send("count");
const { worked } = await new Promise((r) => server.once("message", r));
server.kill();
const row = (name, r) => ({ load: name, deliveries_per_s: Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, ok_2xx: r["2xx"], non_2xx: r.non2xx, errors: r.errors });
console.log(`\ningest: signed pull_request webhooks on loopback (autocannon, 50 connections, 10 s each), server in its own process:`);
console.table([row("saturated", saturated), row("offered 1,000/s", paced)]);
console.log(`tasks reached the queue's worker: ${worked} (100 pull requests; redeliveries of a head already reported are absorbed)`);
const met = saturated.requests.average >= 500 && paced.requests.average >= 500 && paced.latency.p99 < 50 && saturated.non2xx === 0 && paced.non2xx === 0;
console.log(`target ≥ 500/s with p99 < 50 ms: ${met ? "OK" : "MISSED"} (throughput ${Math.round(saturated.requests.average)}/s; p99 ${paced.latency.p99} ms at 1,000/s, ${saturated.latency.p99} ms when saturated)`);
