/** The public transport API: the Bus interface, its errors, and the in-process and NATS buses. */
export type {
  Bus,
  BusMessage,
  BusSubscription,
  MessageHandler,
  RequestOptions,
  SubscribeOptions,
} from "./bus.ts";
export { BusClosed, ForbiddenReplySubject, NoResponders, PayloadTooLarge, RequestTimeout } from "./errors.ts";
export type { HandlerErrorListener } from "./handler-runner.ts";
export { createInProcessBus, InProcessNetwork, type InProcessOptions } from "./in-process.ts";
export { connectNatsBus, type NatsBus, type NatsBusOptions } from "./nats.ts";
export { parseNatsServers, redactNatsUrl, type NatsTarget } from "./nats-url.ts";
export { jsonCodec, KvConflict, openKvStore, type KvItem, type KvStore, type KvStoreOptions, type KvValueCodec } from "./kv.ts";
