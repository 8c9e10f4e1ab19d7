/** The in-process bus's routing and delivery, shared by every endpoint of one network. */
import type { BusMessage, BusSubscription, MessageHandler } from "./bus.ts";
import type { HandlerRunner } from "./handler-runner.ts";
import { Sublist, type Match } from "./sublist.ts";
import { ForbiddenReplySubject } from "./errors.ts";
import { answersInboxes } from "./reply-subjects.ts";

/** A subscription's life: draining ones have left the routing table but still get what was queued. */
export const SubscriptionState = { open: 0, draining: 1, closed: 2 } as const;
export type SubscriptionState = (typeof SubscriptionState)[keyof typeof SubscriptionState];

/** What the router needs from the endpoint that owns a subscription. */
export interface Endpoint {
  readonly runner: HandlerRunner;
  publish(subject: string, data: Uint8Array): void;
  forget(sub: RoutedSubscription): void;
  drainOne(sub: RoutedSubscription): Promise<void>;
}

/** A subscription as the router sees it. */
export class RoutedSubscription implements BusSubscription {
  state: SubscriptionState = SubscriptionState.open;

  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
    readonly handler: MessageHandler,
    readonly endpoint: Endpoint,
  ) {}

  unsubscribe(): void {
    this.endpoint.forget(this);
  }

  drain(): Promise<void> {
    return this.endpoint.drainOne(this);
  }
}

class RoutedMessage implements BusMessage {
  constructor(
    readonly subject: string,
    readonly data: Uint8Array,
    readonly reply: string | undefined,
    // The receiving endpoint answers, as a NATS message is answered on the subscriber's connection.
    private readonly endpoint: Endpoint,
  ) {}

  respond(data: Uint8Array): boolean {
    if (this.reply === undefined) return false;
    this.endpoint.publish(this.reply, data);
    return true;
  }
}

/** Routes by subject and delivers asynchronously (never inside `route`), in route order. */
export class Router {
  readonly #routes = new Sublist<RoutedSubscription>();
  // Deliveries wait in two parallel arrays, swapped with spares per batch: no object per delivery.
  #queuedSubs: RoutedSubscription[] = [];
  #queuedMessages: RoutedMessage[] = [];
  #spareSubs: RoutedSubscription[] = [];
  #spareMessages: RoutedMessage[] = [];
  #scheduled = false;

  add(sub: RoutedSubscription): void {
    this.#routes.insert(sub.subject, sub);
  }

  remove(sub: RoutedSubscription): void {
    this.#routes.remove(sub.subject, sub);
  }

  match(subject: string): Match<RoutedSubscription> {
    return this.#routes.match(subject);
  }

  /** Queues one delivery per plain subscription and one per queue group. */
  route(match: Match<RoutedSubscription>, subject: string, data: Uint8Array, reply: string | undefined): void {
    if (match.plain.length === 0 && match.groups.length === 0) return;
    // One copy per publish: the sender may reuse its buffer before the asynchronous delivery.
    // `new Uint8Array` rather than `slice()`, which on a Buffer is a view, not a copy.
    const payload = new Uint8Array(data);
    for (const sub of match.plain) this.#enqueue(sub, subject, payload, reply);
    for (const group of match.groups) {
      const member = group.members[group.next % group.members.length]!;
      group.next = (group.next + 1) % group.members.length;
      this.#enqueue(member, subject, payload, reply);
    }
  }

  /** Resolves after every delivery queued so far has reached its handler. */
  delivered(): Promise<void> {
    // Immediates run in order, so this one runs after the pending delivery batch.
    return new Promise((resolve) => setImmediate(resolve));
  }

  #enqueue(sub: RoutedSubscription, subject: string, data: Uint8Array, reply: string | undefined): void {
    sub.endpoint.runner.hold();
    this.#queuedSubs.push(sub);
    this.#queuedMessages.push(new RoutedMessage(subject, data, reply, sub.endpoint));
    if (!this.#scheduled) {
      this.#scheduled = true;
      // setImmediate, not a microtask: handlers publishing to each other must not starve timers and I/O.
      setImmediate(this.#deliver);
    }
  }

  readonly #deliver = (): void => {
    this.#scheduled = false;
    const subs = this.#queuedSubs;
    const messages = this.#queuedMessages;
    this.#queuedSubs = this.#spareSubs;
    this.#queuedMessages = this.#spareMessages;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      const runner = sub.endpoint.runner;
      const message = messages[i]!;
      if (sub.state === SubscriptionState.closed) {
        // Left before delivery: nothing to do.
      } else if (message.reply !== undefined && !answersInboxes(message.reply)) {
        // As a NatsBus does: an answer would go wherever the sender chose (reply-subjects.ts).
        runner.report(new ForbiddenReplySubject(message.reply), sub);
      } else runner.run(sub, sub.handler, message);
      runner.release();
    }
    subs.length = 0;
    messages.length = 0;
    this.#spareSubs = subs;
    this.#spareMessages = messages;
  };
}
