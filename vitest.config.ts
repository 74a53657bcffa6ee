import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Strict HTTP mocks for every file: unused interceptors and unmatched requests fail the test.
    setupFiles: ["test/setup/http-mock.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests spawn git and the built CLI; two cores, so keep the pool small.
    pool: "forks",
    maxWorkers: 2,
  },
});
