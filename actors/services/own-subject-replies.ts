/** Refuses to serve on a bus that would send replies onto the services' own subjects. */
import type { Bus } from "../../transports/bus.ts";
import { TOKEN_REVOCATIONS } from "../tokens/revocation-feed.ts";
import type { Subjects } from "../wire/subjects.ts";

/** Where token revocations travel, whatever the prefix. */
const REVOCATIONS_ROOT = TOKEN_REVOCATIONS.split(".")[0]!;

/**
 * A reply goes out with the service's permissions to the subject the requester chose, so a bus
 * answering reply subjects under a prefix that covers `P.…` (or `portcullis.…`) lets any client
 * publish there as the service: a login reply sent to `P.session.ID.release` is a release order.
 * The CLI refuses such a `--reply-prefix`; this guards `connectNatsBus({ replyPrefixes })`.
 */
export function refuseRepliesOnOwnSubjects(bus: Bus, subjects: Subjects): void {
  const prefixes = (bus as { readonly replyPrefixes?: readonly string[] }).replyPrefixes ?? [];
  const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  const covering = prefixes.find((p) => overlaps(p, subjects.prefix) || overlaps(p, REVOCATIONS_ROOT));
  if (covering !== undefined) {
    throw new TypeError(
      `the bus answers reply subjects under ${JSON.stringify(covering)}, which covers the services' own subjects (${subjects.prefix}.… or ${REVOCATIONS_ROOT}.…): choose replyPrefixes elsewhere`,
    );
  }
}
