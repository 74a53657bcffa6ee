import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { metrics, metricsRoute, metricsText } from "../../src/server/metrics.js";
import { telemetry } from "../../src/telemetry.js";

describe("/metrics (Prometheus)", () => {
  it("every mlreview metric, with its labels, plus the default process metrics", async () => {
    metrics.webhook("pull_request");
    metrics.webhook("pull_request");
    metrics.webhook("Merge Request Hook", "gitlab");
    metrics.webhook("X-Evil {label}\n", "gitlab");
    metrics.webhook('bad label"}');
    metrics.report("built");
    metrics.report("failed");
    metrics.queueDepth(async () => 7);
    // Through the telemetry hooks the EC2 fleet, the reaper and the renderer call.
    telemetry.ec2Error("InsufficientInstanceCapacity");
    telemetry.ec2Error("InsufficientInstanceCapacity");
    telemetry.renderSeconds(0.3);
    telemetry.runnerInstances([
      { profile: "gpu", state: "running" },
      { profile: "gpu", state: "running" },
      { profile: "gpu", state: "pending" },
      { profile: undefined, state: "running" },
    ]);
    const { contentType, body } = await metricsText();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('mlreview_webhooks_total{forge="github",event="pull_request"} 2');
    expect(body).toContain('mlreview_webhooks_total{forge="gitlab",event="merge_request"} 1');
    expect(body).toContain('mlreview_webhooks_total{forge="gitlab",event="other"} 1');
    expect(body).toContain('mlreview_webhooks_total{forge="github",event="other"} 1');
    expect(body).toContain('mlreview_reports_total{result="built"} 1');
    expect(body).toContain('mlreview_reports_total{result="failed"} 1');
    expect(body).toContain("mlreview_queue_depth 7");
    expect(body).toContain('mlreview_ec2_errors_total{code="InsufficientInstanceCapacity"} 2');
    expect(body).toContain("mlreview_render_seconds_count 1");
    expect(body).toContain('mlreview_render_seconds_bucket{le="0.5"} 1');
    expect(body).toContain('mlreview_runner_instances{profile="gpu",state="running"} 2');
    expect(body).toContain('mlreview_runner_instances{profile="gpu",state="pending"} 1');
    expect(body).toContain('mlreview_runner_instances{profile="unknown",state="running"} 1');
    expect(body).toContain("process_cpu_seconds_total");
    expect(body).toContain("nodejs_eventloop_lag_seconds");

    // A new listing replaces the old one: instances that ended are gone.
    telemetry.runnerInstances([{ profile: "gpu", state: "stopping" }]);
    const after = (await metricsText()).body;
    expect(after).not.toContain('state="running"');
    expect(after).toContain('mlreview_runner_instances{profile="gpu",state="stopping"} 1');
  });

  it("the route: GET only, the right content type, optional bearer token", async () => {
    for (const token of [undefined, "a-long-metrics-token"]) {
      const handler = metricsRoute(token);
      const server = createServer((req, res) => void handler(req, res).then((done) => done || res.writeHead(404).end()));
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        const r = await fetch(`${url}/metrics`, { headers: auth });
        expect(r.status).toBe(200);
        expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8/);
        expect(await r.text()).toContain("# TYPE mlreview_reports_total counter");
        expect((await fetch(`${url}/metrics`, { method: "POST", headers: auth })).status).toBe(405);
        expect((await fetch(`${url}/other`)).status).toBe(404);
        if (token) {
          expect((await fetch(`${url}/metrics`)).status).toBe(401);
          expect((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
        }
      } finally {
        server.close();
      }
    }
  });
});
