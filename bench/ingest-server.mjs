// The bot's HTTP side in its own process, for the ingest bench: Probot's webhook middleware with
// signature verification, mlreview's handlers, and the in-process queue taking every task (its
// worker only counts them: the bench measures ingest, the report work is measured elsewhere).
import { createServer } from "node:http";
import { createNodeMiddleware, Probot } from "probot";

const { createApp } = await import(new URL("../dist/app/index.js", import.meta.url).href);
const { MemoryQueue } = await import(new URL("../dist/queue/memory.js", import.meta.url).href);

class CountingQueue extends MemoryQueue {
  worked = 0;
  work() {
    super.work(async () => void this.worked++);
  }
}
const queue = new CountingQueue();
const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: "/tmp/mlreview-ingest", imageKey: "k" }, { queue });
const probot = new Probot({ appId: 1, privateKey: process.env.BENCH_KEY, secret: "bench-secret", logLevel: "error" });
const middleware = await createNodeMiddleware(mlreview.app, { probot });
const server = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("message", (m) => m === "count" && process.send({ worked: queue.worked }));
