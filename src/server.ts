/**
 * The server's production entry point (`npm start`, the Docker image): `node dist/server.js`.
 *
 * 1. Reads `.env` (as `probot run` does; `MLREVIEW_ENV_FILE` names another file) and builds the
 *    settings from the whole configuration (src/app/settings.ts): each problem is one line on stderr
 *    (`mlreview: …`), then exit 1.
 * 2. One logger for everything (src/server/log.ts): Probot's format and LOG_* variables, every line
 *    redacted of credentials; stdout and stderr too.
 * 3. Without APP_ID outside production: Probot's setup mode (create the GitHub App from app.yml).
 * 4. Otherwise Probot (createProbot: APP_ID, the private key, WEBHOOK_SECRET, GHE_*, WEBHOOK_PATH as
 *    Probot reads them) on mlreview's own HTTP listener (src/server/http-server.ts: HOST, PORT, the
 *    timeouts, connection cap and body caps of src/server/http-limits.ts), with the app, `GET /healthz`
 *    and `GET /metrics`.
 * 5. SIGTERM or SIGINT: /healthz turns 503, no new connections, the queue's worker stops taking
 *    tasks and finishes the running ones (waiting tasks stay in Redis for the other replicas), timers
 *    stop, render workers end; exit 0, or 1 after 25 s with a log line saying what was left. A
 *    second signal exits at once.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { createNodeMiddleware, createProbot, run, type ApplicationFunction } from "probot";
import { SettingsError, settingsFromEnv, settingsSecrets, type AppSettings } from "./app/settings.js";
import { isSetupMode, normalizeEnv } from "./app/validate.js";
import { DEFAULT_HTTP_LIMITS } from "./server/http-limits.js";
import { startHttpServer } from "./server/http-server.js";
import { gracefulShutdown } from "./server/lifecycle.js";
import { createLogger, redactStdio } from "./server/log.js";
import { DEFAULT_WEBHOOK_PATH } from "./settings/env.js";

/** Docker's default stop timeout is 10 s: run with --stop-timeout 30 (compose: stop_grace_period). */
export const SHUTDOWN_TIMEOUT_MS = 25_000;

async function main(): Promise<void> {
  // The one place the bot reads its process's environment: the settings, Probot and the logger get it from here.
  const env = process.env;
  const envFile = resolve(env.MLREVIEW_ENV_FILE || ".env");
  loadEnvFile(envFile);
  normalizeEnv(env);

  const setup = isSetupMode(env);
  let settings: AppSettings;
  try {
    settings = settingsFromEnv(env, { setupMode: setup });
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    for (const p of e.problems) process.stderr.write(`mlreview: ${p}\n`);
    process.exit(1);
  }

  const { log, redactor } = await createLogger({ env, secrets: settingsSecrets(settings) });
  redactStdio(redactor);
  // A crash's message and stack go through the logger too (Node would print them raw).
  process.on("uncaughtException", (e) => {
    log.fatal({ err: e }, "mlreview: uncaught exception");
    setTimeout(() => process.exit(1), 100);
  });

  // REDIS_URL is mlreview's queue. Probot would also use it for its own rate-limit clustering and
  // fetch ioredis at run time with npx to do so: not in a locked-down image, so Probot does not see it.
  const probotEnv: NodeJS.ProcessEnv = { ...env };
  delete probotEnv.REDIS_URL;

  if (setup) {
    // Probot serves /probot, GitHub creates the app from app.yml, and the credentials land in the env file.
    const server = await run(() => {}, { env: probotEnv, log, updateEnv: (values) => writeEnvFile(envFile, values) });
    const stop = () => void server.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    return;
  }

  // The app is loaded only now: the environment is complete and valid.
  const [{ createApp }, { metrics, metricsRoute }, { closeRenderer }] = await Promise.all([import("./app/index.js"), import("./server/metrics.js"), import("./plots/index.js")]);
  const mlreview = createApp(settings);
  metrics.queueDepth(() => mlreview.queue.depth());
  const app: ApplicationFunction = async (probot, options) => {
    probot.onAny((ctx) => metrics.webhook(ctx.name));
    options.addHandler(metricsRoute(settings.metricsToken));
    await mlreview.app(probot, options);
  };

  const http = settings.http ?? { host: "localhost", port: 3000, webhookPath: DEFAULT_WEBHOOK_PATH, limits: DEFAULT_HTTP_LIMITS };
  const probot = createProbot({ env: probotEnv, overrides: { log } });
  const handler = await createNodeMiddleware(app, { probot, webhooksPath: http.webhookPath });
  if (settings.webhookProxyUrl) log.warn("mlreview: WEBHOOK_PROXY_URL is for Probot's development server and is ignored here: run the smee client beside this server, or deliver to it directly");
  const server = await startHttpServer({ host: http.host, port: http.port, limits: http.limits, log, webhookPath: http.webhookPath, handler });
  log.info(`mlreview: listening on ${server.url}`);

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const logger = log;
    if (stopping) {
      logger.error({ signal }, "mlreview: second signal during shutdown: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "mlreview: signal received");
    void gracefulShutdown({
      stopAccepting: () => server.stop(),
      stopTimers: () => mlreview.runners()?.stop(),
      // The queue's close stops its worker taking tasks and waits for the running ones (in memory:
      // for all of them; with Redis, waiting tasks stay in Redis for the other replicas, and a task
      // cut off by the deadline is taken up again by another worker once BullMQ sees it stalled).
      idle: async () => {
        await mlreview.queue.close();
        await mlreview.runners()?.idle();
      },
      close: () => closeRenderer(),
      describeLeft: async () => {
        const waiting = mlreview.runners()?.service.scheduler.waiting();
        const depth = mlreview.queue.backend === "memory" ? await mlreview.queue.depth() : undefined;
        return { ...(waiting ? { runner_jobs_waiting_for_capacity: waiting } : {}), ...(depth ? { tasks_not_done: depth } : {}) };
      },
      timeoutMs: SHUTDOWN_TIMEOUT_MS,
      log: logger,
    }).then(async (code) => {
      // Probot's logger writes through a stream: let the last lines out.
      await new Promise((r) => setTimeout(r, 100));
      process.exit(code);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** Probot's semantics: the file's values override the environment's. A missing file is no error. */
function loadEnvFile(path: string): void {
  if (!existsSync(path)) return;
  try {
    Object.assign(process.env, parseEnv(readFileSync(path, "utf8")));
  } catch (e) {
    process.stderr.write(`mlreview: ${path}: cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    process.exit(1);
  }
}

/** What Probot's setup writes (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET…), merged into the env file, readable by its owner only. */
function writeEnvFile(path: string, values: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...(existsSync(path) ? parseEnv(readFileSync(path, "utf8")) : {}), ...values };
  // Values are not always strings: the app id comes back from GitHub as a number.
  const text = Object.entries(merged as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${String(v).replace(/\n/g, "\\n")}`)
    .join("\n");
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
  Object.assign(process.env, merged);
  return merged;
}

main().catch((e: unknown) => {
  process.stderr.write(`mlreview: ${(e as Error).message ?? String(e)}\n`);
  process.exit(1);
});
