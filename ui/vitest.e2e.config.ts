import { defineConfig } from "vitest/config";

// Browser tests against the built app (run `vite build` first; npm run
// test:browser does). One file at a time: the machine has two cores.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
