/** Child process: answers every NATS request on the given subjects with its own payload. */
import { connect } from "@nats-io/transport-node";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl subject [subject…]
const [natsUrl, ...subjects] = process.argv.slice(2);
if (natsUrl === undefined || subjects.length === 0) {
  throw new Error("usage: echo-responder.ts <natsUrl> <subject> [subject…]");
}

// Raw nats.js on purpose: this is the floor every Portcullis transport is compared with.
// noAsyncTraces skips capturing a stack per request (measured: ~60% more requests/s).
const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
for (const subject of subjects) {
  // A callback subscription answers inside the socket read loop, without an async iterator hop.
  nc.subscribe(subject, { callback: (_error, msg) => void msg.respond(msg.data) });
}
await nc.flush();

linkToParent({ ready: { subjects }, close: () => nc.drain() });
