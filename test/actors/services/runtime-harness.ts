/** What every part of the runtime suite shares: a network per test, its buses and services closed after it, and wire helpers. */
import { afterEach, beforeEach } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm, type PortalService } from "../../../actors/index.ts";
import { type Network, json, parse } from "../../support/wire.ts";

/** What an ended session's subjects answer while it lingers (`endedLingerMs`). */
export const SESSION_ENDED = { ok: false, error: { code: "SessionEnded" } };

/** A network for each test, made by `makeNetwork` before it and torn down after it, with what was opened on it. */
export function runtimeHarness(makeNetwork: () => Promise<Network>) {
  let current: Network;
  /** Buses made by `bus()`, closed after each test; `buses[0]` is the test's first. */
  const buses: Bus[] = [];
  /** Services closed after each test, the last started first. */
  const services: Array<{ close?: () => Promise<void>; stop?: () => Promise<void> }> = [];
  /** A connection the test closes itself (to play a process that dies). */
  const network = { connect: () => current.connect() };

  const bus = async () => {
    const b = await current.connect();
    buses.push(b);
    return b;
  };
  const checker = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret", bob: "hunter2" });
  async function portal(options: Partial<Parameters<typeof servePortal>[1]> = {}): Promise<PortalService> {
    const service = await servePortal(await bus(), { realm: new SimpleRealm(), checkers: [checker()], ...options });
    services.push(service);
    return service;
  }
  /** A mind subject on `b` that records every `ended` message it receives: session and reason. */
  const endedOn = (b: Bus) => {
    const mind = b.inbox();
    const ended: Array<{ session: string; reason: string }> = [];
    b.subscribe(mind, (m) => {
      const note = parse(m.data);
      if (note["type"] === "ended") ended.push({ session: note["session"], reason: note["reason"] });
    });
    return { mind, ended };
  };
  const request = async (b: Bus, subject: string, body: unknown) => parse(await b.request(subject, json(body), { timeoutMs: 5000 }));
  /** A realm service `game` built from PROTOCOL.md alone, played on the wire: it grants every avatar, names no instance, serves no session subject. */
  const playProtocolRealm = async (b: Bus) => {
    b.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo" })));
    await b.flush();
  };
  /**
   * A realm service `game` played on the wire by `b`: it grants every avatar as process
   * `instance`, and answers that instance's questions, saying it hosts every session asked
   * about (`hosts: true`) or none. It serves no session subject: the test adds what it needs.
   */
  const playRealm = async (b: Bus, instance: string, hosts: boolean) => {
    b.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo", instance })));
    b.subscribe(`cred.realm.game.instance.${instance}`, (m) => {
      const sessions = parse(m.data)["sessions"] as string[] | undefined;
      m.respond(json(sessions ? { ok: true, ended: hosts ? [] : sessions } : { ok: true }));
    });
    await b.flush();
  };
  const login = (b: Bus, body: Record<string, unknown> = {}) =>
    request(b, "cred.login", {
      credentials: { kind: "username-password", username: "alice", password: "secret" },
      interfaces: ["echo"],
      ...body,
    });
  /** `n` logins of alice sent at once, each allowed 9 s (past the 10 s check timeout would be a failure): "ok" or the error code of each. */
  const loginsAtOnce = (b: Bus, n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const reply = parse(await b.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] }), { timeoutMs: 9_000 }));
        return reply["ok"] === true ? "ok" : (reply["error"].code as string);
      }),
    );

  beforeEach(async () => {
    current = await makeNetwork();
  });
  afterEach(async () => {
    for (const s of services.splice(0).reverse()) await (s.close?.() ?? s.stop?.());
    for (const b of buses.splice(0)) await b.close();
    await current.teardown();
  });

  /** Publishes calls on `session`, each with a reply subject of its own, and records every answer each gets. */
  const answersTo = (b: Bus) => {
    const answers = new Map<string, string[]>();
    return {
      answers,
      call(session: string, body: unknown): string {
        const reply = b.inbox();
        answers.set(reply, []);
        b.subscribe(reply, (m) => void answers.get(reply)!.push(m.data.length === 0 ? "no responders" : parse(m.data)["ok"] === true ? "ok" : `${parse(m.data)["error"].code}${parse(m.data)["error"].code === "AvatarError" ? `: ${parse(m.data)["error"].message}` : ""}`));
        b.publish(`cred.session.${session}.call`, json(body), { reply });
        return reply;
      },
    };
  };

  return { network, buses, services, bus, checker, portal, endedOn, request, playProtocolRealm, playRealm, login, loginsAtOnce, answersTo };
}
