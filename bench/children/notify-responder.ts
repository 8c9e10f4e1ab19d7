/** Child process: on each request, publishes the request's payload to a subject, then replies (raw nats.js). */
import { connect } from "@nats-io/transport-node";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl triggerSubject notifySubject
const [natsUrl, trigger, notify] = process.argv.slice(2);
if (natsUrl === undefined || trigger === undefined || notify === undefined) {
  throw new Error("usage: notify-responder.ts <natsUrl> <triggerSubject> <notifySubject>");
}

const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
const empty = new Uint8Array(0);
nc.subscribe(trigger, {
  callback: (_error, msg) => {
    // Published before the reply, as the avatar's `announce` notifies its Mind before `call` answers.
    nc.publish(notify, msg.data);
    msg.respond(empty);
  },
});
await nc.flush();

linkToParent({ ready: { trigger, notify }, close: () => nc.drain() });
