/**
 * Child process: a raw nats.js responder that does per request only what PROTOCOL.md asks of any
 * portal beyond answering: it subscribes the new session's own subject (`P.session.ID.>`) and drops
 * the subscription when the session would have expired. No checker, no saga, no JSON.
 */
import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl subject lifeMs
const [natsUrl, subject, lifeMs] = process.argv.slice(2);
if (natsUrl === undefined || subject === undefined || lifeMs === undefined) {
  throw new Error("usage: session-sub-responder.ts <natsUrl> <subject> <lifeMs>");
}
const life = Number(lifeMs);

const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
const ignore = (): void => undefined;
// About the size of a login reply: ok, session id, avatarId, interface, heartbeatMs.
const reply = (id: string): Uint8Array => new TextEncoder().encode(`{"ok":true,"session":"${id}","avatarId":"alice","interface":"echo","heartbeatMs":2000}`);
nc.subscribe(subject, {
  callback: (_error, msg) => {
    const id = randomBytes(16).toString("base64url");
    const session = nc.subscribe(`bench.session.${id}.>`, { callback: ignore });
    setTimeout(() => session.unsubscribe(), life);
    msg.respond(reply(id));
  },
});
await nc.flush();

linkToParent({ ready: { subject }, close: () => nc.drain() });
