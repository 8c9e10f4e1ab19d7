/** A reference to an avatar hosted by another process, reached only through its session. */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders } from "../../transports/errors.ts";
import { fromWireError, SessionEnded } from "../errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import type { Subjects } from "../wire/subjects.ts";

/** Like PB's RemoteReference: `callRemote` is the only way in. */
export class RemoteAvatar {
  #released = false;

  constructor(private readonly bus: Bus, private readonly subjects: Subjects, readonly session: string) {}

  /** True once the realm's process let go of the avatar (so nobody needs to ask it again). */
  get released(): boolean {
    return this.#released;
  }

  /** Records that the realm's process already released the avatar. */
  markReleased(): void {
    this.#released = true;
  }

  /** Rejects with the avatar's error, or `SessionEnded` once the session is over. */
  async callRemote(method: string, ...args: unknown[]): Promise<unknown> {
    let data: Uint8Array;
    try {
      data = await this.bus.request(this.subjects.sessionVerb(this.session, "call"), encode({ method, args }));
    } catch (error) {
      if (error instanceof NoResponders) throw new SessionEnded();
      throw error;
    }
    const reply = decodeObject(data);
    if (reply["ok"] !== true) throw fromWireError(reply["error"]);
    return reply["result"];
  }
}
