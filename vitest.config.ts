import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Strict HTTP mocks for every file: unused interceptors and unmatched requests fail the test.
    // fresh-modules first: its afterAll (after every other hook of the file) gives the next file fresh src/ modules.
    setupFiles: ["test/setup/fresh-modules.ts", "test/setup/http-mock.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests spawn git and the built CLI; two cores, so keep the pool small.
    pool: "forks",
    maxWorkers: 2,
    // A worker runs many files, one after the other (see test/setup/fresh-modules.ts): a fork and the
    // external packages cost ~0.8 s a file, paid once per worker instead of 93 times.
    isolate: false,
    // Two workers on two cores: V8's own helper threads (parallel GC, background compilation) only
    // contend with the other worker. One thread per worker: ~8% less CPU for the suite (README).
    execArgv: ["--single-threaded"],
  },
});
