/**
 * Challenge-response end to end, with a client that speaks only PROTOCOL.md: raw requests it
 * builds itself and responses computed here with node:crypto. Run over every transport.
 */
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import { NoResponders } from "../../../transports/errors.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm, UNAUTHORIZED_MESSAGE, type PortalService } from "../../../actors/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { type Network, json, parse, sleep } from "../../support/wire.ts";



export const PASSWORDS = { alice: "correct-horse-battery", bob: "hunter2-staple" } as const;


/** What each mechanism contributes to the shared suite. */
export interface MechanismCase {
  readonly mechanism: string;
  /** Who logs in (default alice); must be known to the checker. */
  readonly user?: string;
  /** The P.challenge request's extra fields (scram's client-first). */
  readonly start: (username: string) => Record<string, unknown>;
  /** The P.challenge.ID answer for `challenge`; `secret` is the password or key. */
  readonly answer: (username: string, secret: "good" | "bad", challenge: string) => Record<string, unknown>;
  /** Checks mechanism-specific reply fields of a successful login. */
  readonly verify?: (reply: Record<string, any>) => void;
  /** Secrets that must never appear in a log line. */
  readonly secrets: readonly string[];
  /** Answers made from a good one that can never be right (not hex, not base64): BadRequest, the round stays open. */
  readonly malformed?: (good: Record<string, unknown>) => Array<Record<string, unknown>>;
}

export type StartCheckers = (bus: Bus, logger: ReturnType<typeof captureLogs>["logger"], prefix: string) => Promise<Array<{ stop(): Promise<void> }>>;

export function challengeContract(
  name: string,
  makeNetwork: () => Promise<Network>,
  cases: readonly MechanismCase[],
  /** Starts the checkers served beside the portal's in-memory one, under `prefix`; returns what to stop. */
  startCheckers: StartCheckers = async () => [],
): void {
  describe(`challenge-response over ${name}`, () => {
    let network: Network;
    let buses: Bus[];
    let portal: PortalService;
    let shortPortal: PortalService;
    let checkers: Array<{ stop(): Promise<void> }>;
    let client: Bus;
    /** Several client connections, for answers racing each other. */
    let racers: Bus[];
    const logs = captureLogs();

    const request = async (subject: string, body: unknown) => parse(await client.request(subject, json(body), { timeoutMs: 5000 }));
    const raw = async (subject: string, data: Uint8Array) => parse(await client.request(subject, data, { timeoutMs: 5000 }));

    beforeAll(async () => {
      network = await makeNetwork();
      const bus = async () => {
        const b = await network.connect();
        buses.push(b);
        return b;
      };
      buses = [];
      const checkerBus = await bus();
      checkers = [...(await startCheckers(checkerBus, logs.logger, "cred")), ...(await startCheckers(checkerBus, logs.logger, "short"))];
      const options = {
        realm: new SimpleRealm(),
        checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ ...PASSWORDS }, { challenges: true })],
        logger: logs.logger,
        challenges: { host: "portal.test" },
      };
      portal = await servePortal(await bus(), options);
      shortPortal = await servePortal(await bus(), { ...options, prefix: "short", challenges: { ...options.challenges, expiresInMs: 150 } });
      client = await bus();
      racers = [client, await bus(), await bus()];
    });
    afterAll(async () => {
      await portal.close();
      await shortPortal.close();
      for (const c of checkers) await c.stop();
      for (const b of buses) await b.close();
      await network.teardown();
    });

    it("rejects a mechanism no checker handles with UnhandledCredentials", async () => {
      const reply = await request("cred.challenge", { mechanism: "x-unknown" });
      // Twisted's words: "No checker for %s".
      expect(reply).toEqual({ ok: false, error: { code: "UnhandledCredentials", message: "No checker for x-unknown" } });
    });

    it("says a kind it checks on P.login is not a challenge mechanism, rather than that no checker handles it", async () => {
      const reply = await request("cred.challenge", { mechanism: "username-password" });
      expect(reply).toEqual({ ok: false, error: { code: "UnhandledCredentials", message: "username-password is not a challenge mechanism: send those credentials to cred.login" } });
    });

    it("answers garbage on P.challenge with BadRequest", async () => {
      for (const body of [new TextEncoder().encode("not json"), json([1]), json({}), json({ mechanism: 7 }), json({ mechanism: "" })]) {
        expect(await raw("cred.challenge", body)).toMatchObject({ ok: false, error: { code: "BadRequest" } });
      }
    });

    it("refuses challenge kinds sent straight to P.login, so an answer cannot be replayed there", async () => {
      const reply = await request("cred.login", {
        credentials: { kind: "cram-md5", username: "alice", challenge: "<1.2@x>", response: "00" },
        interfaces: ["echo"],
      });
      expect(reply).toMatchObject({ ok: false, error: { code: "BadRequest" } });
    });

    const ids: string[] = [];
    for (const c of cases) {
      const user = c.user ?? "alice";
      describe(`${c.mechanism} as ${user}`, () => {
        const issue = async (username = user, prefix = "cred") => {
          const reply = await request(`${prefix}.challenge`, { mechanism: c.mechanism, ...c.start(username) });
          expect(reply).toMatchObject({ ok: true, expiresInMs: prefix === "cred" ? 60000 : 150 });
          expect(reply["id"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
          ids.push(reply["id"]);
          return reply as { id: string; challenge: string };
        };
        const answer = (id: string, body: Record<string, unknown>, prefix = "cred") =>
          request(`${prefix}.challenge.${id}`, { interfaces: ["echo"], mind: null, ...body });

        it("logs in with a correct answer and the session works", async () => {
          const { id, challenge } = await issue();
          const reply = await answer(id, c.answer(user, "good", challenge));
          expect(reply).toMatchObject({ ok: true, avatarId: user, interface: "echo", heartbeatMs: 15000 });
          expect(reply["session"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
          c.verify?.(reply);
          expect(await request(`cred.session.${reply["session"]}.call`, { method: "echo", args: [1] })).toEqual({ ok: true, result: 1 });
          expect(await request(`cred.session.${reply["session"]}.logout`, {})).toEqual({ ok: true });
        });

        it("refuses a wrong secret and an unknown user with the same UnauthorizedLogin", async () => {
          const wrong = await issue();
          const unknown = await issue("mallory");
          const r1 = await answer(wrong.id, c.answer(user, "bad", wrong.challenge));
          const r2 = await answer(unknown.id, c.answer("mallory", "good", unknown.challenge));
          expect(r1).toEqual({ ok: false, error: { code: "UnauthorizedLogin", message: UNAUTHORIZED_MESSAGE } });
          expect(r2).toEqual(r1);
        });

        it("never makes a session from a second answer to a finished challenge", async () => {
          const { id, challenge } = await issue();
          const body = c.answer(user, "good", challenge);
          expect(await answer(id, body)).toMatchObject({ ok: true });
          await expect(answer(id, body)).rejects.toBeInstanceOf(NoResponders);
        });

        it("never makes a session from a second answer sent while the first is verified", async () => {
          const { id, challenge } = await issue();
          const body = c.answer(user, "good", challenge);
          const replies = await Promise.all([answer(id, body), answer(id, body).catch((e: unknown) => e)]);
          const sessions = replies.filter((r) => (r as Record<string, unknown>)["ok"] === true);
          expect(sessions).toHaveLength(1);
          const other = replies.find((r) => (r as Record<string, unknown>)["ok"] !== true);
          if (other instanceof NoResponders) return;
          expect(other).toMatchObject({ ok: false, error: { code: "UnauthorizedLogin" } });
        });

        it("answers every one of many racing answers: one session, the rest UnauthorizedLogin or no-responders, never silence", async () => {
          for (let round = 0; round < 5; round++) {
            const { id, challenge } = await issue();
            const body = json({ interfaces: ["echo"], mind: null, ...c.answer(user, "good", challenge) });
            const outcomes = await Promise.all(
              Array.from({ length: 6 }, (_, i) =>
                racers[i % racers.length]!.request(`cred.challenge.${id}`, body, { timeoutMs: 5000 }).then(
                  (data) => {
                    const reply = parse(data);
                    return reply["ok"] === true ? "session" : reply["error"].code;
                  },
                  (error: unknown) => (error instanceof NoResponders ? "no responders" : String(error)),
                ),
              ),
            );
            expect(outcomes.filter((o) => o === "session")).toHaveLength(1);
            expect(outcomes.filter((o) => o !== "session" && o !== "UnauthorizedLogin" && o !== "no responders")).toEqual([]);
          }
        });

        it("refuses a wrong answer once: the challenge is over after it", async () => {
          const { id, challenge } = await issue();
          expect(await answer(id, c.answer(user, "bad", challenge))).toMatchObject({ ok: false, error: { code: "UnauthorizedLogin" } });
          await expect(answer(id, c.answer(user, "good", challenge))).rejects.toBeInstanceOf(NoResponders);
        });

        it("never makes a session after the challenge expired", async () => {
          const { id, challenge } = await issue(user, "short");
          await sleep(300);
          const outcome = await answer(id, c.answer(user, "good", challenge), "short").catch((e: unknown) => e);
          if (outcome instanceof NoResponders) return;
          expect(outcome).toMatchObject({ ok: false, error: { code: "UnauthorizedLogin" } });
        });

        it("answers garbage on P.challenge.ID with BadRequest and keeps the challenge open", async () => {
          const { id, challenge } = await issue();
          for (const body of [new TextEncoder().encode("{"), json("x"), json({ ...c.answer(user, "good", challenge), interfaces: [] }), json({ username: 5 })]) {
            expect(await raw(`cred.challenge.${id}`, body)).toMatchObject({ ok: false, error: { code: "BadRequest" } });
          }
          expect(await answer(id, c.answer(user, "good", challenge))).toMatchObject({ ok: true });
        });

        if (c.malformed) {
          const malformed = c.malformed;
          it("refuses answers in the wrong format with BadRequest before checking them, and keeps the challenge open", async () => {
            const { id, challenge } = await issue();
            const good = c.answer(user, "good", challenge);
            for (const body of malformed(good)) expect(await answer(id, body)).toMatchObject({ ok: false, error: { code: "BadRequest" } });
            expect(await answer(id, good)).toMatchObject({ ok: true });
          });
        }

        it("refuses a mind that is not an inbox with BadRequest and keeps the challenge open", async () => {
          const { id, challenge } = await issue();
          for (const mind of ["cred.session.x.logout", "_INBOX.>", "game.minds.alice"]) {
            expect(await answer(id, { ...c.answer(user, "good", challenge), mind })).toEqual({
              ok: false,
              error: { code: "BadRequest", message: "invalid mind: must be a plain subject under _INBOX. or _INBOX_<user>." },
            });
          }
          // Another user's inbox: this client's replies come to _INBOX.
          expect(await answer(id, { ...c.answer(user, "good", challenge), mind: "_INBOX_bob.mind" })).toEqual({
            ok: false,
            error: { code: "BadRequest", message: "invalid mind: an inbox mind must be under the request's own inbox prefix (_INBOX.)" },
          });
          // The same correct response, sent again, still logs in: the refused ones used nothing up.
          const reply = await answer(id, c.answer(user, "good", challenge));
          expect(reply).toMatchObject({ ok: true, avatarId: user });
          expect(await request(`cred.session.${reply["session"]}.logout`, {})).toEqual({ ok: true });
        });

        it("refuses issueToken on a portal that issues no tokens, and a non-boolean issueToken, with BadRequest and keeps the challenge open", async () => {
          const { id, challenge } = await issue();
          expect(await answer(id, { ...c.answer(user, "good", challenge), issueToken: true })).toEqual({
            ok: false,
            error: { code: "BadRequest", message: "this portal issues no session tokens" },
          });
          for (const issueToken of ["yes", 1, null]) {
            expect(await answer(id, { ...c.answer(user, "good", challenge), issueToken })).toMatchObject({
              ok: false,
              error: { code: "BadRequest", message: expect.stringContaining("issueToken") },
            });
          }
          const reply = await answer(id, { ...c.answer(user, "good", challenge), issueToken: false });
          expect(reply).toMatchObject({ ok: true, avatarId: user });
          expect(reply).not.toHaveProperty("token");
          expect(await request(`cred.session.${reply["session"]}.logout`, {})).toEqual({ ok: true });
        });
      });
    }

    it("writes no secret, response or identifier in full to the logs", async () => {
      const all = logs.lines.join("\n");
      expect(all).toContain('"via":"challenge"');
      for (const secret of [...Object.values(PASSWORDS), ...cases.flatMap((c) => c.secrets), ...ids]) expect(all).not.toContain(secret);
      expect(all).not.toMatch(/"response"\s*:\s*"[^[]/);
      expect(all).not.toMatch(/"signature"\s*:\s*"[^[]/);
    });
  });
}

/** cram-md5 and pb-md5, answered with node:crypto as any client would. */
export const passwordCases: MechanismCase[] = [
  {
    mechanism: "cram-md5",
    start: () => ({}),
    answer: (username, secret, challenge) => {
      expect(challenge).toMatch(/^<\d+\.\d+@portal\.test>$/);
      const password = secret === "good" ? PASSWORDS[username as "alice"] ?? "anything" : "wrong";
      return { username, response: createHmac("md5", password).update(challenge).digest("hex") };
    },
    secrets: [],
    malformed: malformedHex,
  },
  {
    mechanism: "pb-md5",
    start: () => ({}),
    answer: (username, secret, challenge) => {
      expect(challenge).toMatch(/^[0-9a-f]{32}$/);
      const password = secret === "good" ? PASSWORDS[username as "alice"] ?? "anything" : "wrong";
      const inner = createHash("md5").update(password).digest();
      return { username, response: createHash("md5").update(inner).update(Buffer.from(challenge, "hex")).digest("hex") };
    },
    secrets: [],
    malformed: malformedHex,
  },
];

/** A right hex response in uppercase, cut short, with a non-hex digit: none can ever match. */
function malformedHex(good: Record<string, unknown>): Array<Record<string, unknown>> {
  const response = good["response"] as string;
  return [{ ...good, response: response.toUpperCase() }, { ...good, response: response.slice(1) }, { ...good, response: `g${response.slice(1)}` }];
}
