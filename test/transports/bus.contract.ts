/** The one contract every Bus implementation must pass, run per transport by its own test file. */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BusClosed, NoResponders, PayloadTooLarge, RequestTimeout, type Bus, type BusMessage } from "../../transports/index.ts";

/** What a transport's test file supplies: fresh connections to one shared network. */
export interface ContractNetwork {
  connect(): Promise<Bus> | Bus;
  /** The largest payload a connection may send: nats.conf's `max_payload`, and the in-process network's alike. */
  readonly maxPayload: number;
  teardown(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (data: Uint8Array): string => decoder.decode(data);
const echo = (message: BusMessage): void => void message.respond(message.data);
const eventually = (assertion: () => void): Promise<void> =>
  vi.waitFor(assertion, { timeout: 5_000, interval: 2 });

export function busContract(name: string, makeNetwork: () => Promise<ContractNetwork>): void {
  describe(`${name} bus`, () => {
    let network: ContractNetwork;
    const opened: Bus[] = [];

    beforeAll(async () => {
      network = await makeNetwork();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((bus) => bus.close()));
    });
    afterAll(async () => {
      await network?.teardown();
    });

    /** `count` separate connections, closed after the test. */
    async function open(count: number): Promise<Bus[]> {
      const buses = await Promise.all(Array.from({ length: count }, () => network.connect()));
      opened.push(...buses);
      return buses;
    }

    /** Subscribes and records each message's payload as text. */
    function record(bus: Bus, subject: string, queue?: string): string[] {
      const received: string[] = [];
      bus.subscribe(subject, (message) => void received.push(text(message.data)), queue === undefined ? {} : { queue });
      return received;
    }

    // Over NATS a subscription only counts once the server has seen it.
    const ready = (...buses: Bus[]): Promise<void[]> => Promise.all(buses.map((bus) => bus.flush()));

    it("answers a request from another connection", async () => {
      const [server, client] = await open(2);
      server!.subscribe("svc.greet", (message) => void message.respond(bytes(`hello ${text(message.data)}`)));
      await ready(server!);
      expect(text(await client!.request("svc.greet", bytes("alice")))).toBe("hello alice");
    });

    it("matches many concurrent replies to their requests", async () => {
      const [server, client] = await open(2);
      server!.subscribe("svc.echo", echo);
      await ready(server!);
      const replies = await Promise.all(
        Array.from({ length: 500 }, (_, i) => client!.request("svc.echo", bytes(String(i))).then(text)),
      );
      expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    });

    it("returns false from respond() when the message has no reply subject", async () => {
      const [receiver, sender] = await open(2);
      const outcomes: [string | undefined, boolean][] = [];
      receiver!.subscribe("note.plain", (message) => void outcomes.push([message.reply, message.respond(bytes("x"))]));
      await ready(receiver!);
      sender!.publish("note.plain", bytes("hi"));
      await eventually(() => expect(outcomes).toEqual([[undefined, false]]));
    });

    it("delivers to a fresh inbox given as a publish's reply subject", async () => {
      const [server, client] = await open(2);
      const inbox = client!.inbox();
      expect(inbox).toMatch(/^_INBOX\.[^.\s]+/);
      expect(client!.inbox()).not.toBe(inbox);
      const replies = record(client!, inbox);
      server!.subscribe("svc.upper", (message) => void message.respond(bytes(text(message.data).toUpperCase())));
      await ready(server!, client!);
      client!.publish("svc.upper", bytes("abc"), { reply: inbox });
      await eventually(() => expect(replies).toEqual(["ABC"]));
    });

    it("rejects a request nobody answers with RequestTimeout", async () => {
      const [server, client] = await open(2);
      server!.subscribe("svc.silent", () => {});
      await ready(server!);
      const started = Date.now();
      const error = await client!.request("svc.silent", bytes("?"), { timeoutMs: 150 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestTimeout);
      expect(error).toMatchObject({ subject: "svc.silent", timeoutMs: 150 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it("rejects a request with no subscribers with NoResponders, well before the timeout", async () => {
      const [client] = await open(1);
      const started = Date.now();
      const error = await client!.request("svc.nobody", bytes("?"), { timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoResponders);
      expect(error).toMatchObject({ subject: "svc.nobody" });
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it("answers a publish with a reply subject that nobody hears with one empty message on the reply subject (NATS's no-responders status)", async () => {
      const [client] = await open(1);
      const inbox = client!.inbox();
      const got: number[] = [];
      client!.subscribe(inbox, (m) => void got.push(m.data.byteLength));
      await client!.flush();
      client!.publish("svc.nobody.hears", bytes("?"), { reply: inbox });
      const until = Date.now() + 2000;
      while (got.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(got).toEqual([0]);
    });

    it("gives each message to exactly one queue group member while plain subscribers get all", async () => {
      const [a, b, watcher, publisher] = await open(4);
      const counts = [0, 0, 0];
      a!.subscribe("work.jobs", () => void counts[0]!++, { queue: "workers" });
      b!.subscribe("work.jobs", () => void counts[1]!++, { queue: "workers" });
      b!.subscribe("work.jobs", () => void counts[2]!++, { queue: "workers" });
      const all = record(watcher!, "work.jobs");
      await ready(a!, b!, watcher!);
      for (let i = 0; i < 200; i++) publisher!.publish("work.jobs", bytes(String(i)));
      await publisher!.flush();
      const total = (): number => counts[0]! + counts[1]! + counts[2]!;
      await eventually(() => {
        expect(total()).toBe(200);
        expect(all).toHaveLength(200);
      });
      await ready(publisher!, a!, b!, watcher!);
      expect(total()).toBe(200);
      for (const count of counts) expect(count).toBeGreaterThan(0);
    });

    it("loses no message when a queue member drains its subscription while messages stream in", async () => {
      const [a, b, publisher] = await open(3);
      const got: string[] = [];
      const subA = a!.subscribe("drain.jobs", (m) => void got.push(text(m.data)), { queue: "workers" });
      b!.subscribe("drain.jobs", (m) => void got.push(text(m.data)), { queue: "workers" });
      await ready(a!, b!);
      const N = 2000;
      let sent = 0;
      // Started halfway through the stream, whatever the machine's speed: messages come before and after.
      let draining: Promise<void> | undefined;
      const sending = (async () => {
        while (sent < N) {
          for (let i = 0; i < 50; i++) publisher!.publish("drain.jobs", bytes(String(sent++)));
          if (draining === undefined && sent >= N / 2) draining = subA.drain().then(() => subA.drain()); // the second: idempotent
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await sending;
      await draining;
      await publisher!.flush();
      await eventually(() => expect(got).toHaveLength(N));
      expect(new Set(got).size).toBe(N);
    });

    it("delivers nothing more to a drained subscription", async () => {
      const [receiver, sender] = await open(2);
      const got: string[] = [];
      const sub = receiver!.subscribe("drained.one", (m) => void got.push(text(m.data)));
      await ready(receiver!);
      sender!.publish("drained.one", bytes("before"));
      await sender!.flush();
      await eventually(() => expect(got).toEqual(["before"]));
      await sub.drain();
      sender!.publish("drained.one", bytes("after"));
      await sender!.flush();
      await ready(receiver!);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(got).toEqual(["before"]);
    });

    it("drains many subscriptions asked for in one turn: each gets what came before, nothing after, and resolves", async () => {
      const [receiver, sender] = await open(2);
      const N = 40;
      const got = Array.from({ length: N }, () => [] as string[]);
      const subs = got.map((list, i) => receiver!.subscribe(`drained.many.${i}`, (m) => void list.push(text(m.data))));
      await ready(receiver!);
      for (let i = 0; i < N; i++) sender!.publish(`drained.many.${i}`, bytes("before"));
      await sender!.flush();
      await eventually(() => expect(got.every((list) => list.length === 1)).toBe(true));
      // All in one synchronous turn, as sessions ending on the same timer tick do.
      await Promise.all(subs.map((sub) => sub.drain()));
      for (let i = 0; i < N; i++) sender!.publish(`drained.many.${i}`, bytes("after"));
      await sender!.flush();
      await ready(receiver!);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(got).toEqual(Array.from({ length: N }, () => ["before"]));
    });

    it("matches exactly one token with '*'", async () => {
      const [receiver, sender] = await open(2);
      const received: string[] = [];
      receiver!.subscribe("star.*", (message) => void received.push(message.subject));
      await ready(receiver!);
      for (const subject of ["star.b.c", "star", "other.x", "star.x", "star.y"]) sender!.publish(subject, bytes(""));
      // Same sender, so per-subscription order: once the last match is in, any over-match would be too.
      await eventually(() => expect(received).toContain("star.y"));
      expect(received).toEqual(["star.x", "star.y"]);
    });

    it("matches one or more trailing tokens with '>' but not the bare prefix", async () => {
      const [receiver, sender] = await open(2);
      const received: string[] = [];
      receiver!.subscribe("tail.>", (message) => void received.push(message.subject));
      await ready(receiver!);
      for (const subject of ["tail", "other.tail.b", "tail.b", "tail.b.c.d"]) sender!.publish(subject, bytes(""));
      await eventually(() => expect(received).toContain("tail.b.c.d"));
      expect(received).toEqual(["tail.b", "tail.b.c.d"]);
    });

    it("delivers messages to a subscription in publish order", async () => {
      const [receiver, sender] = await open(2);
      const received = record(receiver!, "seq.numbers");
      await ready(receiver!);
      const sent = Array.from({ length: 1_000 }, (_, i) => String(i));
      for (const value of sent) sender!.publish("seq.numbers", bytes(value));
      await eventually(() => expect(received).toHaveLength(1_000));
      expect(received).toEqual(sent);
    });

    it("stops delivery on unsubscribe, and unsubscribing twice is harmless", async () => {
      const [receiver, sender] = await open(2);
      const received: string[] = [];
      const subscription = receiver!.subscribe("unsub.x", (message) => void received.push(text(message.data)));
      const done = record(receiver!, "unsub.done");
      expect(subscription.subject).toBe("unsub.x");
      await ready(receiver!);
      sender!.publish("unsub.x", bytes("1"));
      await eventually(() => expect(received).toEqual(["1"]));
      subscription.unsubscribe();
      subscription.unsubscribe();
      await ready(receiver!);
      sender!.publish("unsub.x", bytes("2"));
      sender!.publish("unsub.done", bytes("end"));
      await eventually(() => expect(done).toEqual(["end"]));
      expect(received).toEqual(["1"]);
    });

    it("throws a TypeError for invalid publish subjects", async () => {
      const [bus] = await open(1);
      for (const subject of ["", "a..b", ".a", "a.", "a b", "a\tb", "a\r\nb", "a.*", "a.>", ">", "*"]) {
        expect(() => bus!.publish(subject, bytes("x")), JSON.stringify(subject)).toThrow(TypeError);
        await expect(bus!.request(subject, bytes("x")), JSON.stringify(subject)).rejects.toThrow(TypeError);
      }
      expect(() => bus!.publish("ok", bytes("x"), { reply: "bad reply" })).toThrow(TypeError);
    });

    it("throws a TypeError for invalid subscribe subjects and queue names", async () => {
      const [bus] = await open(1);
      for (const subject of ["", "a..b", ".a", "a.", "a b", "a\nb", "a.>.b", ">.a"]) {
        expect(() => bus!.subscribe(subject, () => {}), JSON.stringify(subject)).toThrow(TypeError);
      }
      expect(() => bus!.subscribe("ok", () => {}, { queue: "bad queue" })).toThrow(TypeError);
      expect(() => bus!.subscribe("ok", () => {}, { queue: "" })).toThrow(TypeError);
      expect(() => bus!.subscribe("a.*.>", () => {}).unsubscribe()).not.toThrow();
    });

    it("lets an in-flight handler respond during drain, then closes and rejects requests with BusClosed", async () => {
      const [server, client] = await open(2);
      let started!: () => void;
      const handlerStarted = new Promise<void>((resolve) => (started = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      server!.subscribe("svc.slow", async (message) => {
        started();
        await released;
        message.respond(bytes("done"));
      });
      await ready(server!);
      const reply = client!.request("svc.slow", bytes("go"), { timeoutMs: 5_000 });
      await handlerStarted;
      let drained = false;
      const draining = server!.drain().then(() => void (drained = true));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(drained).toBe(false);
      release();
      expect(text(await reply)).toBe("done");
      await draining;
      await server!.closed;
      await expect(server!.request("svc.slow", bytes("again"))).rejects.toBeInstanceOf(BusClosed);
      const afterDrain = client!.request("svc.slow", bytes("again"), { timeoutMs: 2_000 });
      await expect(afterDrain).rejects.toBeInstanceOf(NoResponders);
    });

    it("rejects pending requests with BusClosed on close", async () => {
      const [server, client] = await open(2);
      server!.subscribe("svc.never", () => {});
      await ready(server!);
      const request = client!.request("svc.never", bytes("?"), { timeoutMs: 5_000 });
      const pending = expect(request).rejects.toBeInstanceOf(BusClosed);
      await client!.close();
      await pending;
      await client!.closed;
    });

    it("delivers what was published right before close", async () => {
      const [receiver, sender] = await open(2);
      const got: string[] = [];
      receiver!.subscribe("last.words", (message) => void got.push(text(message.data)));
      await ready(receiver!);
      sender!.publish("last.words", bytes("goodbye"));
      await sender!.close();
      await receiver!.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(got).toEqual(["goodbye"]);
    });

    it("delivers everything published right before close, even more than the socket writes at once", async () => {
      // A service's last words (a stopping realm's release notices) may be many: 512 messages of
      // 16 KiB (8 MiB) are far more than one socket write takes, and all must leave before close.
      const [receiver, sender] = await open(2);
      let got = 0;
      receiver!.subscribe("last.words", () => void got++);
      await ready(receiver!);
      const payload = new Uint8Array(16 * 1024);
      for (let i = 0; i < 512; i++) sender!.publish("last.words", payload);
      await sender!.close();
      await eventually(() => expect(got).toBe(512));
    });

    it("runs no handler once closed, even for messages already on their way", async () => {
      const [receiver, sender] = await open(2);
      let closing: Promise<void> | undefined;
      let handledAfterClose = 0;
      // The first message closes the bus; the others, read with it, are on their way.
      receiver!.subscribe("late", () => {
        if (closing === undefined) closing = receiver!.close();
        else handledAfterClose++;
      });
      await ready(receiver!);
      for (let i = 0; i < 500; i++) sender!.publish("late", bytes("x"));
      await sender!.flush();
      await eventually(() => expect(closing).toBeDefined());
      await closing;
      expect(handledAfterClose).toBe(0);
    });

    it("refuses publish, subscribe, request and flush after close with BusClosed", async () => {
      const [bus] = await open(1);
      await bus!.close();
      await bus!.close();
      expect(() => bus!.publish("x", bytes("x"))).toThrow(BusClosed);
      expect(() => bus!.subscribe("x", () => {})).toThrow(BusClosed);
      await expect(bus!.request("x", bytes("x"))).rejects.toBeInstanceOf(BusClosed);
      await expect(bus!.flush()).rejects.toBeInstanceOf(BusClosed);
      await expect(bus!.drain()).resolves.toBeUndefined();
    });

    it("keeps delivering to other subscriptions when a handler throws, warning once per subscription", async () => {
      const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
      try {
        const [receiver, sender] = await open(2);
        const seen = { throwing: 0, rejecting: 0 };
        receiver!.subscribe("boom", () => {
          seen.throwing++;
          throw new Error("handler failure");
        });
        receiver!.subscribe("boom", async () => {
          seen.rejecting++;
          throw new Error("async handler failure");
        });
        const healthy = record(receiver!, "boom");
        await ready(receiver!);
        sender!.publish("boom", bytes("1"));
        sender!.publish("boom", bytes("2"));
        await eventually(() => expect(healthy).toEqual(["1", "2"]));
        await eventually(() => expect(warn).toHaveBeenCalledTimes(2));
        expect(seen).toEqual({ throwing: 2, rejecting: 2 });
      } finally {
        warn.mockRestore();
      }
    });

    it("handles no request whose reply subject is not an inbox (its answer would go wherever the sender chose), warning once, and answers inboxes", async () => {
      const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
      try {
        const [server, client] = await open(2);
        const handled: string[] = [];
        server!.subscribe("svc.deputy", (message) => {
          handled.push(message.reply ?? "(none)");
          message.respond(bytes("answer"));
        });
        const landed = record(client!, "$JS.API.STREAM.PURGE.KV_x");
        const elsewhere = record(client!, "cred.session.x.logout");
        await ready(server!, client!);
        client!.publish("svc.deputy", bytes("1"), { reply: "$JS.API.STREAM.PURGE.KV_x" });
        client!.publish("svc.deputy", bytes("2"), { reply: "cred.session.x.logout" });
        client!.publish("svc.deputy", bytes("3"), { reply: "_INBOXES.x" });
        // A plain publish and an inbox (also a per-user one) are handled as ever.
        client!.publish("svc.deputy", bytes("4"));
        const perUser = record(client!, "_INBOX_alice.r1");
        await ready(client!);
        client!.publish("svc.deputy", bytes("5"), { reply: "_INBOX_alice.r1" });
        expect(text(await client!.request("svc.deputy", bytes("6")))).toBe("answer");
        await eventually(() => expect(perUser).toEqual(["answer"]));
        expect(handled).toHaveLength(3);
        expect(handled.filter((r) => r.startsWith("$") || r.startsWith("cred") || r.startsWith("_INBOXES"))).toEqual([]);
        expect(landed).toEqual([]);
        expect(elsewhere).toEqual([]);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toContain("not an inbox");
      } finally {
        warn.mockRestore();
      }
    });

    it("round-trips every byte value unchanged", async () => {
      const [server, client] = await open(2);
      server!.subscribe("bin.echo", echo);
      await ready(server!);
      const payload = Uint8Array.from({ length: 1_024 }, (_, i) => i % 256);
      expect(await client!.request("bin.echo", payload)).toEqual(payload);
      expect(await client!.request("bin.echo", new Uint8Array(0))).toEqual(new Uint8Array(0));
    });

    it("round-trips a 1 MiB payload", async () => {
      const [server, client] = await open(2);
      server!.subscribe("bin.big", echo);
      await ready(server!);
      const payload = randomBytes(1024 * 1024);
      const reply = await client!.request("bin.big", payload, { timeoutMs: 5_000 });
      expect(reply.length).toBe(payload.length);
      expect(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).equals(payload)).toBe(true);
    });

    it("refuses a payload over the connection's limit with PayloadTooLarge, sending nothing, and goes on serving", async () => {
      const [server, client] = await open(2);
      expect(client!.maxPayload).toBe(network.maxPayload);
      const heard: number[] = [];
      server!.subscribe("big.heard", (m) => void heard.push(m.data.byteLength));
      // A responder whose answer is too large hears so from `respond`, and can still answer something.
      server!.subscribe("big.answer", (m) => {
        try {
          m.respond(new Uint8Array(network.maxPayload + 1));
        } catch (error) {
          m.respond(bytes(error instanceof PayloadTooLarge ? `too large: ${error.bytes} > ${error.limit}` : "other"));
        }
      });
      server!.subscribe("big.echo", echo);
      await ready(server!);
      expect(() => client!.publish("big.heard", new Uint8Array(network.maxPayload + 1))).toThrow(PayloadTooLarge);
      await expect(client!.request("big.echo", new Uint8Array(network.maxPayload + 1))).rejects.toThrow(PayloadTooLarge);
      expect(text(await client!.request("big.answer", bytes("{}")))).toBe(`too large: ${network.maxPayload + 1} > ${network.maxPayload}`);
      client!.publish("big.heard", new Uint8Array(8));
      await eventually(() => expect(heard).toEqual([8]));
      expect(text(await client!.request("big.echo", bytes("still here")))).toBe("still here");
    });
  });
}
