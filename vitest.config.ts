/** Test configuration: every *.test.ts under test/, with nats-server ensured for the end-to-end tier. */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests import the package by name, as its users do.
    alias: [{ find: /^portcullis$/, replacement: fileURLToPath(new URL("./index.ts", import.meta.url)) }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/ensure-nats-server.ts"],
    // Vitest's default on two cores is one worker: the files then ran one after another (8.5 min),
    // though most of their time is spent waiting on timers and other processes (under one core
    // busy on average). Two workers halve the run; the timing-sensitive tests passed under them.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
