/** Shared by the notification scenarios: a subscriber in the bench process that resolves a waiter per counter. */
import type { NatsConnection } from "@nats-io/transport-node";

const decoder = new TextDecoder();

/** Subscribes `subject`; `expect(n)` resolves when a message whose `pick(json)` is `n` arrives. */
export function counterSubscriber(
  nc: NatsConnection,
  subject: string,
  pick: (message: Record<string, unknown>) => number,
): { expect(n: number): Promise<void>; delivered(): number } {
  const waiting = new Map<number, () => void>();
  let delivered = 0;
  nc.subscribe(subject, {
    callback: (_error, msg) => {
      delivered++;
      const n = pick(JSON.parse(decoder.decode(msg.data)) as Record<string, unknown>);
      const resolve = waiting.get(n);
      waiting.delete(n);
      resolve?.();
    },
  });
  return {
    expect: (n) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(n);
          reject(new Error(`notification ${n} never arrived`));
        }, 10_000);
        waiting.set(n, () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    delivered: () => delivered,
  };
}
