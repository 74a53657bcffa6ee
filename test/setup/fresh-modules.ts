import { afterAll, vi } from "vitest";

/**
 * The config runs test files without isolation (`isolate: false`): a worker process runs file after file,
 * so the fork's start and the external packages (nock, probot, the cloud SDKs: loaded by Node, cached
 * by it) are paid once per worker instead of once per file. What isolation gave the tests is kept: after
 * a file (this afterAll runs last, being the first setup file's), every module vitest evaluated — src/
 * and test/ — is forgotten, so the next file gets fresh module state (registries, caches, singletons),
 * as it did in its own process.
 */
afterAll(() => {
  vi.resetModules();
});
