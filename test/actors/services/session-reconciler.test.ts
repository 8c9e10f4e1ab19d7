/** SessionReconciler (actors/services/session-reconciler.ts): asking the other end which sessions are over. */
import { describe, expect, it } from "vitest";
import { SessionReconciler } from "../../../actors/services/session-reconciler.ts";
import { InProcessNetwork } from "../../../transports/index.ts";
import { json, parse } from "../../support/wire.ts";

describe("SessionReconciler", () => {
  it("skips young sessions in its rounds, asks about every session when told to, and reports each as released or live", async () => {
    const network = new InProcessNetwork();
    const peer = network.connect();
    const questions: string[][] = [];
    peer.subscribe("cred.portal.p1", (m) => {
      const sessions = parse(m.data)["sessions"] as string[];
      questions.push(sessions);
      m.respond(json({ ok: true, ended: sessions.filter((s) => s.startsWith("over")) }));
    });
    const reconciler = new SessionReconciler(network.connect(), { everyMs: 600_000, minAgeMs: 600_000 });
    const heard: string[] = [];
    for (const id of ["over-1", "live-1"]) {
      reconciler.track(id, "cred.portal.p1", () => void heard.push(`released ${id}`), () => void heard.push(`live ${id}`));
    }
    await reconciler.reconcile();
    expect(questions).toEqual([]);
    await reconciler.reconcile(true);
    expect(questions).toEqual([["over-1", "live-1"]]);
    expect(heard).toEqual(["released over-1", "live live-1"]);
    reconciler.stop();
  });
});
