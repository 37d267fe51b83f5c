import { defineConfig } from "vitest/config";

// The embedded engine binds one data directory per process: every test file runs in its
// own forked process (vitest isolates files in forks), so each can open its own store.
export default defineConfig({
  test: {
    pool: "forks",
    isolate: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // A question's tests live in its folder (services/query/src/questions/<question>/).
          include: [
            "packages/*/test/unit/**/*.test.ts",
            "apps/*/test/unit/**/*.test.ts",
            "tools/*/test/unit/**/*.test.ts",
            "services/*/test/unit/**/*.test.ts",
            "services/*/src/**/*.test.ts",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: [
            "packages/*/test/integration/**/*.test.ts",
            "apps/*/test/integration/**/*.test.ts",
            "tools/*/test/integration/**/*.test.ts",
            "services/*/test/integration/**/*.test.ts",
            "test/**/*.test.ts",
          ],
        },
      },
    ],
  },
});
