import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "client",
    include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
    setupFiles: ["../../vitest.setup.ts"],
    // MLS key generation and real HTTPS servers: the limit guards against hangs, not speed.
    testTimeout: 120_000,
  },
});
