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
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
