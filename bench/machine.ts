/** One line naming the machine and versions the numbers were measured on. */
import { arch, cpus, platform } from "node:os";

export function describeMachine(nats: { version: string; config: string | null }): string {
  const cpuList = cpus();
  const model = cpuList[0]?.model.trim() ?? "unknown CPU";
  return [
    `${model}, ${cpuList.length} cores`,
    `${platform()} ${arch()}`,
    `Node ${process.version}`,
    `nats-server ${nats.version} (${nats.config ? "with nats.conf" : "no nats.conf"})`,
  ].join(" · ");
}
