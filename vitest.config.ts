import { defineConfig } from "vitest/config";

// One run over every package and app; the JSON report is what .ci/run counts.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
  },
});
