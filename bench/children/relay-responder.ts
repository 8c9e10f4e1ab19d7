/** Child process: a stand-in portal that asks a checker then a realm over NATS before answering. */
import { connect } from "@nats-io/transport-node";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl subject checkerSubject realmSubject
const [natsUrl, subject, checkerSubject, realmSubject] = process.argv.slice(2);
if (natsUrl === undefined || subject === undefined || checkerSubject === undefined || realmSubject === undefined) {
  throw new Error("usage: relay-responder.ts <natsUrl> <subject> <checkerSubject> <realmSubject>");
}

const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
nc.subscribe(subject, {
  callback: (_error, msg) => {
    // Sequential on purpose, like a login: the realm is asked only once the checker said yes.
    void (async () => {
      try {
        const checked = await nc.request(checkerSubject, msg.data, { timeout: 5000 });
        const avatar = await nc.request(realmSubject, checked.data, { timeout: 5000 });
        msg.respond(avatar.data);
      } catch (error) {
        // No reply: the requester's timeout fails the run, and this line explains it.
        console.error(`relay failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
  },
});
await nc.flush();

linkToParent({ ready: { subject }, close: () => nc.drain() });
