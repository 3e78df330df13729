// Three kinds of tests: Node (the local server, scripts, the whole stack), Worker tests inside workerd, and
// browser tests in the system Chromium.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./test/support/secrets.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/worker/**", "test/web/**"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                PASSWORD_PEPPER: TEST_SECRETS.PASSWORD_PEPPER,
                SESSION_SIGNING_KEYS: TEST_SECRETS.SESSION_SIGNING_KEYS,
                // Each test file points the Worker at its own namespace (test/worker/support.ts).
                LIBSQL_URL: inject<string>("libsqlServerUrl"),
                TEST_LIBSQL_SERVER: inject<string>("libsqlServerUrl"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts"],
          setupFiles: ["test/worker/setup/production-crypto.ts"],
          globalSetup: ["test/support/libsql-global-setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "browser",
          environment: "node",
          include: ["test/web/**/*.test.ts"],
          globalSetup: ["test/support/stack-global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
