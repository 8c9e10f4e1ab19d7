/** Garbage on every subject the runtime serves: each request gets exactly `BadRequest`, and every service keeps serving. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import {
  InMemoryUsernamePasswordDatabaseDontUse,
  RemoteRealm,
  serveChecker,
  servePortal,
  serveRealm,
  SimpleRealm,
  type CheckerService,
  type Checker,
  type Credentials,
  type Logger,
  type PortalService,
  type RealmService,
} from "../../../actors/index.ts";
import { TestRealm } from "../../support/test-realm.ts";
import type { Network } from "../../support/wire.ts";
import { json, parse, sleep } from "../../support/wire.ts";

/** The one password in play: no reply or log line may carry any 4-character piece of it. */
const SECRET = "s3cr3t-Qz9!vK#7";
const KiB = 1024;
const MiB = 1024 * KiB;
/** A session id no realm hosts, for realm requests. */
const UNHOSTED = "AAAAAAAAAAAAAAAAAAAAAA";

const enc = new TextEncoder();

interface Garbage {
  readonly label: string;
  readonly payload: Uint8Array;
}
const body = (label: string, value: unknown): Garbage => ({ label, payload: json(value) });

/** `valid` plus a `pad` field bringing its JSON to exactly `bytes` bytes: valid-looking, but too big. */
function padded(valid: Record<string, unknown>, bytes: number): Uint8Array {
  const bare = json({ ...valid, pad: "" }).byteLength;
  const payload = json({ ...valid, pad: "x".repeat(bytes - bare) });
  if (payload.byteLength !== bytes) throw new Error("padding miscounted");
  return payload;
}

/** `valid` plus an ignored field holding `bytes`: well-formed JSON, except that it is not UTF-8. */
function withBytes(valid: Record<string, unknown>, bytes: readonly number[]): Uint8Array {
  const [head, tail] = JSON.stringify({ ...valid, note: "\u0001" }).split("\\u0001") as [string, string];
  return Uint8Array.from([...enc.encode(head), ...bytes, ...enc.encode(tail)]);
}

/** Payloads that are not one UTF-8 JSON object of at most 64 KiB, each built around a valid request. */
function malformed(valid: Record<string, unknown>): Garbage[] {
  const text = JSON.stringify(valid);
  return [
    { label: "an empty payload", payload: new Uint8Array() },
    { label: "non-JSON bytes", payload: enc.encode(`password=${SECRET}&interfaces=echo`) },
    { label: "truncated JSON", payload: enc.encode(text.slice(0, -1)) },
    { label: "JSON followed by trailing bytes", payload: enc.encode(`${text} x`) },
    { label: "two JSON objects back to back", payload: enc.encode(text + text) },
    { label: "invalid UTF-8 (a 0xFF byte)", payload: withBytes(valid, [0xff]) },
    { label: "invalid UTF-8 (an overlong encoding)", payload: withBytes(valid, [0xc0, 0xaf]) },
    { label: "invalid UTF-8 (an encoded surrogate)", payload: withBytes(valid, [0xed, 0xa0, 0x80]) },
    body("a JSON array", [valid]),
    body("a JSON string", SECRET),
    body("a JSON number", 7),
    body("JSON null", null),
    body("JSON true", true),
    { label: "65 KiB of valid-looking JSON", payload: padded(valid, 65 * KiB) },
    { label: "64 KiB + 1 byte of valid-looking JSON", payload: padded(valid, 64 * KiB + 1) },
    { label: "a 1 MiB payload", payload: padded(valid, MiB) },
    { label: "a field nested 65 levels deep", payload: nested(valid, 64) },
    { label: "a field nested 10,000 levels deep", payload: nested(valid, 10_000) },
  ];
}

/** `valid` plus an ignored field of `depth` nested arrays (the object itself is one more level). */
function nested(valid: Record<string, unknown>, depth: number): Uint8Array {
  return enc.encode(JSON.stringify({ ...valid, deep: 0 }).replace('"deep":0', `"deep":${"[".repeat(depth)}${"]".repeat(depth)}`));
}

/** A valid request's fields under `__proto__`: JSON.parse makes that an own key, never a prototype. */
const hidden = (valid: Record<string, unknown>): Garbage => ({
  label: "valid fields hidden under __proto__",
  payload: enc.encode(`{"__proto__":${JSON.stringify(valid)}}`),
});

const credentials = { kind: "username-password", username: "alice", password: SECRET };
const validLogin = { credentials, interfaces: ["echo"] };
const loginCases: Garbage[] = [
  ...malformed(validLogin),
  hidden(validLogin),
  body("{} (no fields)", {}),
  body("no credentials", { interfaces: ["echo"] }),
  body("no interfaces", { credentials }),
  body('interfaces: "echo"', { credentials, interfaces: "echo" }),
  body("interfaces: []", { credentials, interfaces: [] }),
  body("interfaces: [1]", { credentials, interfaces: [1] }),
  body('interfaces: [""]', { credentials, interfaces: [""] }),
  body("interfaces: null", { credentials, interfaces: null }),
  body("interfaces: 65 entries", { credentials, interfaces: Array.from({ length: 65 }, () => "echo") }),
  body("interfaces: one of 1025 characters", { credentials, interfaces: ["echo", "i".repeat(1025)] }),
  body('credentials: "x"', { credentials: "x", interfaces: ["echo"] }),
  body("credentials: null", { credentials: null, interfaces: ["echo"] }),
  body("credentials: [] ", { credentials: [], interfaces: ["echo"] }),
  body("credentials: {kind: 5}", { credentials: { ...credentials, kind: 5 }, interfaces: ["echo"] }),
  body("credentials without a kind", { credentials: { username: "alice", password: SECRET }, interfaces: ["echo"] }),
  body('credentials: {kind: ""}', { credentials: { ...credentials, kind: "" }, interfaces: ["echo"] }),
  body("credentials.username: 7", { credentials: { ...credentials, username: 7 }, interfaces: ["echo"] }),
  body("credentials.password: 5", { credentials: { ...credentials, password: 5 }, interfaces: ["echo"] }),
  body("mind: 7", { ...validLogin, mind: 7 }),
  body('mind: ""', { ...validLogin, mind: "" }),
  body("mind: {}", { ...validLogin, mind: {} }),
  body('mind: "cred.session.x.logout" (inside the prefix)', { ...validLogin, mind: "cred.session.x.logout" }),
  body('mind: "cred" (the prefix itself)', { ...validLogin, mind: "cred" }),
  body('mind: "a.*" (wildcard)', { ...validLogin, mind: "a.*" }),
  body('mind: "a.>" (wildcard)', { ...validLogin, mind: "a.>" }),
  body('mind: "a b" (whitespace)', { ...validLogin, mind: "a b" }),
  body('mind: "a..b" (empty token)', { ...validLogin, mind: "a..b" }),
  body("mind: 300 characters", { ...validLogin, mind: `_INBOX.${"m".repeat(293)}` }),
  // The portal publishes to the mind with service permissions: a JetStream API subject let a
  // client purge the rate limiter's counts (outside fuzz probe).
  body('mind: "$JS.API.STREAM.PURGE.KV_portcullis_rate_limit_cred" (the server\'s API)', { ...validLogin, mind: "$JS.API.STREAM.PURGE.KV_portcullis_rate_limit_cred" }),
  body('mind: "$KV.bucket.key"', { ...validLogin, mind: "$KV.bucket.key" }),
  body('mind: "game.session.x.logout" (another prefix\'s subject, not an inbox)', { ...validLogin, mind: "game.session.x.logout" }),
  body('mind: "_INBOXES.x" (not an inbox)', { ...validLogin, mind: "_INBOXES.x" }),
  body('mind: "_INBOX" (no token after it)', { ...validLogin, mind: "_INBOX" }),
  body('mind: "_INBOX.a\\u0000b" (a control character)', { ...validLogin, mind: "_INBOX.a\u0000b" }),
  body('mind: "_INBOX.a\\u007fb" (DEL)', { ...validLogin, mind: "_INBOX.a\u007fb" }),
];

const validCall = { method: "whoami", args: [SECRET] };
const callCases: Garbage[] = [
  ...malformed(validCall),
  hidden(validCall),
  body("{} (no method)", {}),
  body("method: 3", { ...validCall, method: 3 }),
  body('method: ""', { ...validCall, method: "" }),
  body("method: null", { ...validCall, method: null }),
  body('method: ["whoami"]', { ...validCall, method: ["whoami"] }),
  body("method: 257 characters", { ...validCall, method: "w".repeat(257) }),
  body('args: "x"', { ...validCall, args: "x" }),
  body("args: 5", { ...validCall, args: 5 }),
  body("args: null", { ...validCall, args: null }),
  body("args: an object", { ...validCall, args: { 0: SECRET } }),
  body("args: 1025 items", { ...validCall, args: Array.from({ length: 1025 }, () => SECRET) }),
];

/** `ping` and `logout` take `{}`: only payloads that are not one small JSON object are garbage. */
const emptyCases: Garbage[] = malformed({});

/** Verbs under a live session's `P.session.ID.>` that no client may use; the portal answers them. */
const strangeVerbs = ["foo", "CALL", "call.x", "ping.ping", "logout.now"].map((verb) => ({ verb }));

const validCheck = { credentials };
const checkerCases: Garbage[] = [
  ...malformed(validCheck),
  hidden(validCheck),
  body("{} (no credentials)", {}),
  body('credentials: "x"', { credentials: "x" }),
  body("credentials: null", { credentials: null }),
  body("credentials: []", { credentials: [] }),
  body("credentials: 5", { credentials: 5 }),
  body("credentials: {kind: 5}", { credentials: { ...credentials, kind: 5 } }),
  body("credentials without a kind", { credentials: { username: "alice", password: SECRET } }),
  body('credentials: {kind: ""}', { credentials: { ...credentials, kind: "" } }),
  body("credentials.kind: 1025 characters", { credentials: { ...credentials, kind: "k".repeat(1025) } }),
  body("credentials.username: 7", { credentials: { ...credentials, username: 7 } }),
  body("credentials.password: 5", { credentials: { ...credentials, password: 5 } }),
];

const validAvatar = { avatarId: "alice", anonymous: false, interfaces: ["echo"], session: UNHOSTED, mind: null };
const realmCases: Garbage[] = [
  ...malformed(validAvatar),
  hidden(validAvatar),
  body("{} (no fields)", {}),
  body("avatarId: 7", { ...validAvatar, avatarId: 7 }),
  body("no avatarId", { ...validAvatar, avatarId: undefined }),
  body("avatarId: null, not anonymous", { ...validAvatar, avatarId: null }),
  body('anonymous: "false"', { ...validAvatar, anonymous: "false" }),
  body("no anonymous", { ...validAvatar, anonymous: undefined }),
  body('interfaces: "echo"', { ...validAvatar, interfaces: "echo" }),
  body("interfaces: []", { ...validAvatar, interfaces: [] }),
  body("interfaces: [1]", { ...validAvatar, interfaces: [1] }),
  body("no session", { ...validAvatar, session: undefined }),
  body("session: 5", { ...validAvatar, session: 5 }),
  body('session: "short"', { ...validAvatar, session: "short" }),
  body("session: 22 characters with a dot", { ...validAvatar, session: "AAAAAAAAAA.AAAAAAAAAAA" }),
  body("session: 22 characters with a wildcard", { ...validAvatar, session: "AAAAAAAAAA*AAAAAAAAAAA" }),
  body("mind: 7", { ...validAvatar, mind: 7 }),
  body("portal: 7", { ...validAvatar, portal: 7 }),
  body('portal: "a.b" (not one subject token)', { ...validAvatar, portal: "a.b" }),
  body('portal: "" ', { ...validAvatar, portal: "" }),
  body('mind: "cred.session.x.logout" (inside the prefix)', { ...validAvatar, mind: "cred.session.x.logout" }),
  body('mind: "a.*" (wildcard)', { ...validAvatar, mind: "a.*" }),
  body('mind: "$JS.API.INFO" (the server\'s API)', { ...validAvatar, mind: "$JS.API.INFO" }),
  body('mind: "_INBOX.a\\u0001b" (a control character)', { ...validAvatar, mind: "_INBOX.a\u0001b" }),
];

/** Garbage on the broadcast subjects; the `x-garbage` kind and the real checker's name make acceptance visible. */
const announceCases: Garbage[] = [
  ...malformed({ name: "evil", kinds: ["x-garbage"] }),
  hidden({ name: "evil", kinds: ["x-garbage"] }),
  body("{} (no fields)", {}),
  body("no kinds", { name: "evil" }),
  body("no name", { kinds: ["x-garbage"] }),
  body("name: 5", { name: 5, kinds: ["x-garbage"] }),
  body('name: "ev.il" (not one token)', { name: "ev.il", kinds: ["x-garbage"] }),
  body('name: "*" (wildcard)', { name: "*", kinds: ["x-garbage"] }),
  body('kinds: "x-garbage"', { name: "evil", kinds: "x-garbage" }),
  body("kinds: []", { name: "evil", kinds: [] }),
  body("kinds: [5]", { name: "evil", kinds: [5] }),
];
const withdrawCases: Garbage[] = [
  ...malformed({ name: "memory" }),
  hidden({ name: "memory" }),
  body('"memory" as a JSON string', "memory"),
  body("name: 5", { name: 5 }),
  body('name: ""', { name: "" }),
  body('name: ["memory"]', { name: ["memory"] }),
];
const discoverCases: Garbage[] = malformed({});

/** The 4-character (`width`) pieces of `secret` found in `text`. */
function leaks(text: string, secret: string, width = 4): string[] {
  const found: string[] = [];
  for (let i = 0; i + width <= secret.length; i++) {
    const piece = secret.slice(i, i + width);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

/** Exactly `{"ok": false, "error": {"code": "BadRequest", "message": ...}}`, the message short and free of secrets. */
function expectBadRequest(raw: Uint8Array, secrets: readonly string[] = []): void {
  const reply = parse(raw);
  expect(reply).toStrictEqual({ ok: false, error: { code: "BadRequest", message: expect.any(String) } });
  const message: string = reply["error"].message;
  expect(message.length).toBeGreaterThan(0);
  expect(message.length).toBeLessThanOrEqual(200);
  expect(leaks(message, SECRET)).toEqual([]);
  // Session ids are random: 8-character pieces cannot match by chance.
  for (const secret of secrets) expect(leaks(message, secret, 8)).toEqual([]);
}

/** A logger that keeps every line, to check that none is an error or carries a secret. */
function recordingLogger(lines: string[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (object: Record<string, unknown>, message?: string) =>
    void lines.push(JSON.stringify({ level, ...bindings, ...object, message }));
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

function expectCleanLogs(lines: readonly string[], sessions: readonly string[] = []): void {
  expect(lines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  expect(lines.filter((line) => leaks(line, SECRET).length > 0)).toEqual([]);
  for (const session of sessions) expect(lines.filter((line) => line.includes(session))).toEqual([]);
}

/** Counts the checks that reach the checker: garbage must be refused before any. */
class CountingChecker implements Checker {
  calls = 0;
  constructor(private readonly inner: Checker) {}
  get credentialKinds(): readonly string[] {
    return this.inner.credentialKinds;
  }
  requestAvatarId(credentials: Credentials) {
    this.calls += 1;
    return this.inner.requestAvatarId(credentials);
  }
}
const database = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: SECRET });

export function garbageContract(name: string, makeNetwork: () => Promise<Network>): void {
  describe(`garbage over ${name}`, () => {
    let network: Network;
    const buses: Bus[] = [];
    // Failures that never reach a reply: unhandled rejections and handlers that threw (the bus warns).
    const trouble: string[] = [];
    const onRejection = (reason: unknown) => void trouble.push(`unhandled rejection: ${String(reason)}`);
    const onWarning = (warning: Error) => {
      if (warning.name === "BusHandlerError") trouble.push(warning.message);
    };

    const bus = async () => {
      const b = await network.connect();
      buses.push(b);
      return b;
    };
    const send = (b: Bus, subject: string, payload: Uint8Array) => b.request(subject, payload, { timeoutMs: 2000 });
    const request = async (b: Bus, subject: string, value: unknown) => parse(await send(b, subject, json(value)));
    const login = (b: Bus) => request(b, "cred.login", validLogin);

    /** A full valid round: login, call, logout, and the session is gone. */
    async function expectServing(b: Bus): Promise<void> {
      const reply = await login(b);
      expect(reply).toMatchObject({ ok: true, avatarId: "alice", interface: "echo" });
      const session: string = reply["session"];
      expect(await request(b, `cred.session.${session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      expect(await request(b, `cred.session.${session}.ping`, {})).toMatchObject({ ok: false, error: { code: "SessionEnded" } });
    }

    beforeAll(async () => {
      process.on("unhandledRejection", onRejection);
      process.on("warning", onWarning);
      network = await makeNetwork();
    });
    afterEach(() => {
      // Cleared each time, so that the test that caused it fails and not every later one.
      expect(trouble.splice(0)).toEqual([]);
    });
    afterAll(async () => {
      for (const b of buses) await b.close();
      await network?.teardown();
      await sleep(10);
      process.off("unhandledRejection", onRejection);
      process.off("warning", onWarning);
      expect(trouble).toEqual([]);
    });

    describe("the portal, with a session whose avatar it hosts", () => {
      const logs: string[] = [];
      const realm = new TestRealm(["echo"]);
      const checker = new CountingChecker(database());
      let service: PortalService;
      let client: Bus;
      let session: string;

      beforeAll(async () => {
        service = await servePortal(await bus(), { realm, checkers: [checker], logger: recordingLogger(logs) });
        client = await bus();
        session = (await login(client))["session"];
      });
      afterAll(() => service?.close());

      /** The session is untouched: still one session, its avatar not logged out, and it answers ping. */
      async function expectSessionLive(): Promise<void> {
        expect(await request(client, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
        expect(service.sessions).toBe(1);
        expect(realm.avatars).toHaveLength(1);
        expect(realm.avatars[0]!.logouts).toBe(0);
      }

      it.each(loginCases)("answers $label on cred.login with BadRequest, before asking the checker", async ({ payload }) => {
        expectBadRequest(await send(client, "cred.login", payload));
        expect(checker.calls).toBe(1);
        await expectSessionLive();
      });

      it.each(callCases)("answers $label on cred.session.ID.call with BadRequest, and the session lives on", async ({ payload }) => {
        expectBadRequest(await send(client, `cred.session.${session}.call`, payload), [session]);
        await expectSessionLive();
      });

      it.each(emptyCases)("answers $label on cred.session.ID.ping with BadRequest, and the session lives on", async ({ payload }) => {
        expectBadRequest(await send(client, `cred.session.${session}.ping`, payload), [session]);
        await expectSessionLive();
      });

      it.each(emptyCases)("answers $label on cred.session.ID.logout with BadRequest, and the session lives on", async ({ payload }) => {
        expectBadRequest(await send(client, `cred.session.${session}.logout`, payload), [session]);
        await expectSessionLive();
      });

      it.each([...strangeVerbs, { verb: "release" }])(
        "answers cred.session.ID.$verb with BadRequest, and the session lives on",
        async ({ verb }) => {
          expectBadRequest(await send(client, `cred.session.${session}.${verb}`, json(validCall)), [session]);
          await expectSessionLive();
        },
      );

      const revocationCases: Garbage[] = [
        ...malformed({ jti: "abc", expiresAt: 2e12 }),
        body("{} (no jti)", {}),
        body("jti: 7", { jti: 7, expiresAt: 2e12 }),
        body('expiresAt: "soon"', { jti: "abc", expiresAt: "soon" }),
      ];
      it.each(revocationCases)("answers $label on cred.tokens.revoke and portcullis.tokens.revoke with BadRequest, and the session lives on", async ({ payload }) => {
        for (const subject of ["cred.tokens.revoke", "portcullis.tokens.revoke"]) expectBadRequest(await send(client, subject, payload));
        await expectSessionLive();
      });

      it("keeps serving after the garbage: the garbaged session still works, and a new login, call and logout succeed", async () => {
        expect(await request(client, `cred.session.${session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
        expect(await request(client, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
        expect(realm.avatars[0]!.logouts).toBe(1);
        await expectServing(client);
        expectCleanLogs(logs, [session]);
      });
    });

    describe("a session whose avatar a separate realm service hosts", () => {
      const logs: string[] = [];
      const realm = new TestRealm(["echo"]);
      let realms: RealmService;
      let service: PortalService;
      let client: Bus;
      let session: string;

      beforeAll(async () => {
        realms = await serveRealm(await bus(), realm, { name: "game", logger: recordingLogger(logs) });
        const portalBus = await bus();
        service = await servePortal(portalBus, {
          realm: new RemoteRealm(portalBus, "game"),
          checkers: [database()],
          logger: recordingLogger(logs),
        });
        client = await bus();
        session = (await login(client))["session"];
      });
      afterAll(async () => {
        await service?.close();
        await realms?.stop();
      });

      async function expectSessionLive(): Promise<void> {
        expect(await request(client, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
        expect(service.sessions).toBe(1);
        expect(realms.hosted).toBe(1);
        expect(realm.avatars).toHaveLength(1);
        expect(realm.avatars[0]!.logouts).toBe(0);
      }

      it.each(callCases)(
        "answers $label on cred.session.ID.call with BadRequest from the realm, and the session lives on",
        async ({ payload }) => {
          expectBadRequest(await send(client, `cred.session.${session}.call`, payload), [session]);
          await expectSessionLive();
        },
      );

      // `release` is left out: it is the portal's order to the realm, and `{}` is a valid one.
      it.each(strangeVerbs)("answers cred.session.ID.$verb with BadRequest, and the session lives on", async ({ verb }) => {
        expectBadRequest(await send(client, `cred.session.${session}.${verb}`, json(validCall)), [session]);
        await expectSessionLive();
      });

      it.each(realmCases)("answers $label on cred.realm.NAME.avatar with BadRequest, and hosts no avatar", async ({ payload }) => {
        expectBadRequest(await send(client, "cred.realm.game.avatar", payload), [session, UNHOSTED]);
        await expectSessionLive();
      });

      it.each(malformed({}))("answers $label on cred.realm.NAME.instance.ID with BadRequest, and is still taken for alive", async ({ payload }) => {
        const subject = `cred.realm.game.instance.${realms.instance}`;
        expectBadRequest(await send(client, subject, payload), [session]);
        expect(await request(client, subject, {})).toEqual({ ok: true });
        await expectSessionLive();
      });

      it.each(malformed({}))("answers $label on cred.portal.ID with BadRequest, and is still taken for alive", async ({ payload }) => {
        const subject = `cred.portal.${service.instance}`;
        expectBadRequest(await send(client, subject, payload), [session]);
        expect(await request(client, subject, {})).toEqual({ ok: true });
        await expectSessionLive();
      });

      it("answers a request for a session it already hosts on cred.realm.NAME.avatar with BadRequest, and the session lives on", async () => {
        const reply = await send(client, "cred.realm.game.avatar", json({ ...validAvatar, session }));
        expectBadRequest(reply, [session]);
        expect(await request(client, `cred.session.${session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
        await expectSessionLive();
      });

      it("keeps serving after the garbage: the garbaged session still works, and a new login, call and logout succeed", async () => {
        expect(await request(client, `cred.session.${session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
        expect(await request(client, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
        expect(realm.avatars[0]!.logouts).toBe(1);
        await expectServing(client);
        expect(realms.hosted).toBe(0);
        expectCleanLogs(logs, [session]);
      });
    });

    describe("a checker service and the checker broadcasts", () => {
      const logs: string[] = [];
      const checker = new CountingChecker(database());
      const announcement = { name: "memory", kinds: [...checker.credentialKinds] };
      let checkers: CheckerService;
      let service: PortalService;
      let client: Bus;
      let kinds: string[];

      beforeAll(async () => {
        // Below the checker service, a checker of the same kinds that knows nobody: garbage taken
        // for a withdrawal of `memory` would hand it alice's logins, and they would be refused.
        const fallback = new InMemoryUsernamePasswordDatabaseDontUse({ mallory: "other" });
        service = await servePortal(await bus(), { realm: new SimpleRealm(), checkers: [fallback], logger: recordingLogger(logs) });
        // Announced live after the portal started, so on top of the portal's own checker.
        checkers = await serveChecker(await bus(), checker, { name: "memory", logger: recordingLogger(logs) });
        client = await bus();
        const until = Date.now() + 3000;
        let first = await login(client);
        while (first["ok"] !== true && Date.now() < until) {
          await sleep(20);
          first = await login(client);
        }
        expect(await request(client, `cred.session.${first["session"]}.logout`, {})).toEqual({ ok: true });
        kinds = service.portal.listCredentialsKinds();
        expect(kinds).toEqual(announcement.kinds);
      });
      afterAll(async () => {
        await service?.close();
        await checkers?.stop();
      });

      /** Published garbage has no reply: a login after it (same connection, so ordered after it) proves it was handled. */
      async function expectKindsUnchanged(): Promise<void> {
        const reply = await login(client);
        expect(reply).toMatchObject({ ok: true, avatarId: "alice" });
        expect(await request(client, `cred.session.${reply["session"]}.logout`, {})).toEqual({ ok: true });
        expect(service.portal.listCredentialsKinds()).toEqual(kinds);
      }

      it.each(malformed({}))("answers $label on cred.checker.NAME.instance.ID with BadRequest, and is still taken for alive", async ({ payload }) => {
        const { instance } = parse(await send(client, "cred.checkers.discover", json({})));
        const subject = `cred.checker.memory.instance.${instance}`;
        expectBadRequest(await send(client, subject, payload));
        expect(await request(client, subject, {})).toEqual({ ok: true });
        await expectKindsUnchanged();
      });

      it.each(checkerCases)("answers $label on cred.checker.NAME with BadRequest, before checking anything", async ({ payload }) => {
        const before = checker.calls;
        expectBadRequest(await send(client, "cred.checker.memory", payload));
        expect(checker.calls).toBe(before);
      });

      it.each(checkerCases)("answers $label on cred.checker.NAME.instance.ID.check with BadRequest, before checking anything, and still checks there", async ({ payload }) => {
        const { instance } = parse(await send(client, "cred.checkers.discover", json({})));
        const subject = `cred.checker.memory.instance.${instance}.check`;
        const before = checker.calls;
        expectBadRequest(await send(client, subject, payload));
        expect(checker.calls).toBe(before);
        expect(await request(client, subject, { credentials })).toEqual({ ok: true, avatarId: "alice" });
      });

      it.each(announceCases)("ignores $label published on cred.checkers.announce", async ({ payload }) => {
        client.publish("cred.checkers.announce", payload);
        await client.flush();
        await expectKindsUnchanged();
      });

      it.each(withdrawCases)("ignores $label published on cred.checkers.withdraw", async ({ payload }) => {
        client.publish("cred.checkers.withdraw", payload);
        await client.flush();
        await expectKindsUnchanged();
      });

      it.each(announceCases)("answers $label sent as a request on cred.checkers.announce with BadRequest, and ignores it", async ({ payload }) => {
        expectBadRequest(await send(client, "cred.checkers.announce", payload));
        await expectKindsUnchanged();
      });

      it.each(withdrawCases)("answers $label sent as a request on cred.checkers.withdraw with BadRequest, and ignores it", async ({ payload }) => {
        expectBadRequest(await send(client, "cred.checkers.withdraw", payload));
        await expectKindsUnchanged();
      });

      it("answers a well-formed announcement sent as a request with ok", async () => {
        expect(await request(client, "cred.checkers.announce", { name: "memory", kinds: ["username-password"] })).toEqual({ ok: true });
        await expectKindsUnchanged();
      });

      it.each(discoverCases)("survives $label on cred.checkers.discover, and still answers it with the announcement", async ({ payload }) => {
        client.publish("cred.checkers.discover", payload);
        await client.flush();
        expect(parse(await send(client, "cred.checkers.discover", payload))).toEqual({ ...announcement, instance: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), since: expect.any(Number) });
        await expectKindsUnchanged();
      });

      it("keeps serving after the garbage: the checker answers a valid check, and a login, call and logout succeed", async () => {
        expect(await request(client, "cred.checker.memory", { credentials })).toEqual({ ok: true, avatarId: "alice" });
        await expectServing(client);
        expect(service.portal.listCredentialsKinds()).toEqual(kinds);
        expectCleanLogs(logs);
      });
    });
  });
}
