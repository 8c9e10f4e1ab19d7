/**
 * A client speaking PROTOCOL.md directly with nats.js and node:crypto, as a client in any language
 * would: logins, challenge-response logins, and session calls. Every function rejects unless the
 * reply is the one expected, so a failure can never count as a fast operation.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TIMEOUT_MS = 10_000;

type Reply = Record<string, unknown> & { ok: boolean };

export async function connectClient(natsUrl: string): Promise<NatsConnection> {
  // noAsyncTraces as for the floors: only the server side differs between rows.
  return connect({ servers: natsUrl, noAsyncTraces: true });
}

export async function request(nc: NatsConnection, subject: string, body: unknown): Promise<Reply> {
  const reply = await nc.request(subject, encoder.encode(JSON.stringify(body)), { timeout: TIMEOUT_MS });
  return JSON.parse(decoder.decode(reply.data)) as Reply;
}

function expectOk(reply: Reply, what: string): Reply {
  if (reply.ok !== true) throw new Error(`${what} failed: ${JSON.stringify(reply)}`);
  return reply;
}

/** A username-password login on `cred.login`; resolves to the session id. */
export async function passwordLogin(nc: NatsConnection, username: string, password: string, mind?: string): Promise<string> {
  const reply = expectOk(
    await request(nc, "cred.login", {
      credentials: { kind: "username-password", username, password },
      interfaces: ["echo"],
      ...(mind === undefined ? {} : { mind }),
    }),
    "login",
  );
  return reply.session as string;
}

/** A login that must be refused with UnauthorizedLogin (wrong password or unknown user). */
export async function refusedLogin(nc: NatsConnection, username: string, password: string): Promise<void> {
  const reply = await request(nc, "cred.login", {
    credentials: { kind: "username-password", username, password },
    interfaces: ["echo"],
  });
  const code = (reply.error as { code?: string } | undefined)?.code;
  if (reply.ok !== false || code !== "UnauthorizedLogin") throw new Error(`expected UnauthorizedLogin, got ${JSON.stringify(reply)}`);
}

export type ChallengeMechanism = "cram-md5" | "pb-md5" | "scram-sha-256";

/** Two round trips: `cred.challenge`, then the answer on `cred.challenge.ID`. Resolves to the session id. */
export async function challengeLogin(
  nc: NatsConnection,
  mechanism: ChallengeMechanism,
  username: string,
  password: string,
): Promise<string> {
  if (mechanism === "scram-sha-256") return scramLogin(nc, username, password);
  const issued = expectOk(await request(nc, "cred.challenge", { mechanism }), "challenge");
  const challenge = issued.challenge as string;
  const response =
    mechanism === "cram-md5"
      ? createHmac("md5", Buffer.from(password, "utf8")).update(challenge, "utf8").digest("hex")
      : createHash("md5")
          .update(createHash("md5").update(password, "utf8").digest())
          .update(Buffer.from(challenge, "hex"))
          .digest("hex");
  const reply = expectOk(
    await request(nc, `cred.challenge.${issued.id as string}`, { username, response, interfaces: ["echo"] }),
    `${mechanism} answer`,
  );
  return reply.session as string;
}

/**
 * RFC 5802/7677 client. SaltedPassword is cached per (password, salt, iterations), as RFC 5802
 * §5.1 allows a client to: the bench times the server, not 4096 client-side PBKDF2 rounds.
 */
const salted = new Map<string, Buffer>();
async function scramLogin(nc: NatsConnection, username: string, password: string): Promise<string> {
  const nonce = randomBytes(18).toString("base64");
  const bare = `n=${username.replaceAll("=", "=3D").replaceAll(",", "=2C")},r=${nonce}`;
  const issued = expectOk(await request(nc, "cred.challenge", { mechanism: "scram-sha-256", message: `n,,${bare}` }), "scram challenge");
  const serverFirst = issued.challenge as string;
  const fields = new Map(serverFirst.split(",").map((f) => [f.slice(0, 1), f.slice(2)] as const));
  const serverNonce = fields.get("r") ?? "";
  const salt = fields.get("s") ?? "";
  const iterations = Number(fields.get("i"));
  if (!serverNonce.startsWith(nonce) || serverNonce === nonce) throw new Error(`bad server-first ${serverFirst}`);
  const key = `${password}\u0000${salt}\u0000${iterations}`;
  let saltedPassword = salted.get(key);
  if (saltedPassword === undefined) {
    saltedPassword = pbkdf2Sync(password, Buffer.from(salt, "base64"), iterations, 32, "sha256");
    salted.set(key, saltedPassword);
  }
  const hmac = (k: Buffer, m: string) => createHmac("sha256", k).update(m, "utf8").digest();
  const clientKey = hmac(saltedPassword, "Client Key");
  const storedKey = createHash("sha256").update(clientKey).digest();
  const withoutProof = `c=biws,r=${serverNonce}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  const reply = expectOk(
    await request(nc, `cred.challenge.${issued.id as string}`, {
      response: `${withoutProof},p=${proof.toString("base64")}`,
      interfaces: ["echo"],
    }),
    "scram answer",
  );
  const expected = hmac(hmac(saltedPassword, "Server Key"), authMessage).toString("base64");
  if (reply.final !== `v=${expected}`) throw new Error("scram: server signature mismatch");
  return reply.session as string;
}

/** `cred.session.ID.call`: resolves to the call's result. */
export async function call(nc: NatsConnection, session: string, method: string, args: unknown[]): Promise<unknown> {
  return expectOk(await request(nc, `cred.session.${session}.call`, { method, args }), `call ${method}`).result;
}
