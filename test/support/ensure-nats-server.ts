/** Vitest global setup: makes sure a nats-server binary exists before any end-to-end test runs. */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const INSTALL_COMMAND = "sudo apt-get update && sudo apt-get install -y nats-server";
// Debian's package installs to /usr/sbin, which is often missing from a non-root PATH.
const EXTRA_LOCATIONS = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server"];

/** The nats-server binary on PATH or in its usual places; undefined when there is none. */
export function findNatsServer(): string | undefined {
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, "nats-server"));
  return [...onPath, ...EXTRA_LOCATIONS].find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export default function ensureNatsServer(): void {
  if (findNatsServer() !== undefined) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (isRoot && hasApt) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const updated = spawnSync("apt-get", ["update"], { stdio: "inherit", env }).status === 0;
    if (updated) spawnSync("apt-get", ["install", "-y", "nats-server"], { stdio: "inherit", env });
    if (findNatsServer() !== undefined) return;
  }
  throw new Error(INSTALL_COMMAND);
}
