import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "hub",
    include: ["src/**/*.test.ts"],
    setupFiles: ["../../vitest.setup.ts"],
    // Property tests run thousands of cases; the limit guards against hangs, not speed.
    testTimeout: 120_000,
  },
});
