/**
 * Child process: a raw nats.js responder that verifies the password of a login request against
 * one stored hash and answers `{"ok":…}`. The transport without Portcullis: the argon2id rows'
 * middle reference, between the bare verify and a Portcullis login.
 */
import { connect } from "@nats-io/transport-node";
import { KDF_PARAMS, PASSWORD, type Kdf } from "../kdf-params.ts";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl kdf subject
const [natsUrl, kdf, subject] = process.argv.slice(2);
if (natsUrl === undefined || kdf === undefined || subject === undefined) throw new Error("usage: kdf-responder.ts <natsUrl> <kdf> <subject>");

const hasher = KDF_PARAMS[kdf as Kdf].make();
const stored = await hasher.hash(PASSWORD);
const decoder = new TextDecoder();
const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
nc.subscribe(subject, {
  callback: (_error, msg) => {
    const { credentials } = JSON.parse(decoder.decode(msg.data)) as { credentials: { password: string } };
    void hasher.verify(stored, credentials.password).then((ok) => msg.respond(ok ? '{"ok":true}' : '{"ok":false}'));
  },
});
await nc.flush();

linkToParent({ ready: { kdf, subject }, close: () => nc.drain() });
