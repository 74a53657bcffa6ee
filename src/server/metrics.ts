/**
 * GET /metrics: Prometheus text format (DESIGN §7). Importing this module installs the telemetry
 * sink (src/telemetry.ts), so that the EC2 fleet, the reaper and the plot renderer are measured in
 * the server and cost nothing in the CLI.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { setTelemetrySink, type RunnerInstanceSample } from "../telemetry.js";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const webhooks = new Counter({
  name: "mlreview_webhooks_total",
  help: "Webhook deliveries accepted (signature or token verified), by forge and event.",
  labelNames: ["forge", "event"] as const,
  registers: [registry],
});

const reports = new Counter({
  name: "mlreview_reports_total",
  help: "Reports built and posted, and report jobs that failed.",
  labelNames: ["result"] as const,
  registers: [registry],
});
reports.inc({ result: "built" }, 0);
reports.inc({ result: "failed" }, 0);

const render = new Histogram({
  name: "mlreview_render_seconds",
  help: "Time to render one plot to PNG, waiting for a render worker included.",
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  registers: [registry],
});

type DepthSource = () => number | Promise<number>;
let depthSource: DepthSource | undefined;
let depthValue = 0;
new Gauge({
  name: "mlreview_queue_depth",
  help: "Report jobs waiting or running.",
  registers: [registry],
  async collect() {
    if (depthSource) {
      try {
        depthValue = await depthSource();
      } catch {
        // keep the last value
      }
    }
    this.set(depthValue);
  },
});

type StoreSource = () => Promise<{ bytes: number; files: number }>;
let storeSource: StoreSource | undefined;
const storeValue = { bytes: 0, files: 0 };
/** The store's size now (the source is an in-memory count once the store is loaded), else the last known. */
async function readStore(): Promise<{ bytes: number; files: number }> {
  try {
    if (storeSource) Object.assign(storeValue, await storeSource());
  } catch {
    // keep the last value
  }
  return storeValue;
}
new Gauge({
  name: "mlreview_image_store_bytes",
  help: "Bytes of report images the bot serves (MLREVIEW_DATA_DIR/images), kept under MLREVIEW_IMAGE_STORE_MB.",
  registers: [registry],
  async collect() {
    this.set((await readStore()).bytes);
  },
});
new Gauge({
  name: "mlreview_image_store_files",
  help: "Report image files the bot serves.",
  registers: [registry],
  async collect() {
    this.set((await readStore()).files);
  },
});

const instances = new Gauge({
  name: "mlreview_runner_instances",
  help: "Managed EC2 runner instances at the reaper's last listing, by profile and state.",
  labelNames: ["profile", "state"] as const,
  registers: [registry],
});

const ec2Errors = new Counter({
  name: "mlreview_ec2_errors_total",
  help: "EC2 API calls that failed, by error code (each attempt, retries included).",
  labelNames: ["code"] as const,
  registers: [registry],
});

const GITLAB_EVENTS = new Map([
  ["Merge Request Hook", "merge_request"],
  ["Pipeline Hook", "pipeline"],
  ["Job Hook", "job"],
  ["Push Hook", "push"],
  ["Note Hook", "note"],
]);

/** A label value from outside (an event name, an AWS error code) stays short and tame: the series count must not grow without bound. */
function label(value: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : "other";
}

export const metrics = {
  /** A verified delivery: GitHub's event name (`pull_request`), or GitLab's X-Gitlab-Event (`Merge Request Hook`). */
  webhook(event: string, forge: "github" | "gitlab" = "github"): void {
    const name = forge === "gitlab" ? (GITLAB_EVENTS.get(event) ?? "other") : label(event);
    webhooks.inc({ forge, event: name });
  },
  /** A report job ended: posted ("built"), or threw ("failed"). A job dropped as stale counts as neither. */
  report(result: "built" | "failed"): void {
    reports.inc({ result });
  },
  renderSeconds(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) render.observe(seconds);
  },
  /** The queue's depth: a number now, or a function read at every scrape (may be async, e.g. a Redis count). */
  queueDepth(depth: number | DepthSource): void {
    if (typeof depth === "function") depthSource = depth;
    else depthValue = depth;
  },
  /** The image store's size, read at every scrape. */
  imageStore(source: StoreSource): void {
    storeSource = source;
  },
  runnerInstances(list: readonly RunnerInstanceSample[]): void {
    const counts = new Map<string, { profile: string; state: string; n: number }>();
    for (const i of list) {
      const profile = label(i.profile ?? "unknown");
      const state = label(i.state);
      const key = `${profile}\0${state}`;
      const c = counts.get(key) ?? { profile, state, n: 0 };
      c.n++;
      counts.set(key, c);
    }
    instances.reset();
    for (const c of counts.values()) instances.set({ profile: c.profile, state: c.state }, c.n);
  },
  ec2Error(code: string): void {
    ec2Errors.inc({ code: label(code) });
  },
};

setTelemetrySink({ ec2Error: metrics.ec2Error, renderSeconds: metrics.renderSeconds, runnerInstances: metrics.runnerInstances });

export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * GET /metrics. With `token` (MLREVIEW_METRICS_TOKEN), only for `Authorization: Bearer <token>`,
 * compared in constant time; otherwise open, like /healthz (counts only, nothing from a repository).
 */
export function metricsRoute(token?: string) {
  const expected = token ? digest(token) : undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "text/plain", allow: "GET, HEAD" }).end("GET only\n");
      return true;
    }
    if (expected) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        res.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" }).end("unauthorized\n");
        return true;
      }
    }
    const { contentType, body } = await metricsText();
    res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
