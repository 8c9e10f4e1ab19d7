/** Which reply subjects a bus answers: inboxes one can publish to, and nothing else. */
import { describe, expect, it } from "vitest";
import { answersInboxes, replyRule } from "../../transports/reply-subjects.ts";

describe("reply subjects a service answers", () => {
  it.each(["_INBOX.abc", "_INBOX.abc.7", "_INBOX_alice.x", "_INBOX_a-b_c.x.y"])("answers the inbox %s", (reply) => {
    expect(answersInboxes(reply)).toBe(true);
  });

  it.each([
    ["the JetStream API", "$JS.API.STREAM.PURGE.KV_x"],
    ["a service subject", "cred.session.x.logout"],
    ["a look-alike", "_INBOXES.x"],
    ["a lower-case inbox", "_inbox.x"],
    ["an empty user", "_INBOX_.x"],
    ["no token after the prefix", "_INBOX."],
    // Subjects nobody can publish to: a login with one ran in full and its answer was lost (outside probe).
    ["a '*' wildcard", "_INBOX.x.*"],
    ["a '>' wildcard", "_INBOX.x.>"],
    ["an empty token", "_INBOX.x..y"],
    ["a trailing dot", "_INBOX.x."],
    ["whitespace", "_INBOX.x y"],
  ])("does not answer %s (%s)", (_, reply) => {
    expect(answersInboxes(reply)).toBe(false);
  });

  it("answers subjects under replyPrefixes too, but never wildcards there either, and refuses a bad prefix", () => {
    const rule = replyRule(["replies.svc"]);
    expect(rule("replies.svc.1")).toBe(true);
    expect(rule("_INBOX.1")).toBe(true);
    expect(rule("replies.svc.*")).toBe(false);
    expect(rule("replies.other.1")).toBe(false);
    expect(() => replyRule(["$JS"])).toThrow(TypeError);
  });
});
