/** Asks the bus whether a checker, or one process serving it, is still there. */
import type { Bus } from "../../transports/bus.ts";
import { RequestTimeout } from "../../transports/errors.ts";
import { encode } from "../wire/codec.ts";
import type { Subjects } from "../wire/subjects.ts";

/** How long an instance said to withdraw is given to answer on its own subject. */
const STILL_SERVING_TIMEOUT_MS = 500;
/** What an instance is asked on its own subject: any answer (`BadRequest` included) means it is there. */
const ARE_YOU_THERE = encode({});

export class CheckerPresence {
  constructor(private readonly bus: Bus, private readonly subjects: Subjects) {}

  /** Whether anyone still serves checker `name` at all: `{}` there is answered or busy, not met by no-responders. */
  servedAtAll(name: string): Promise<boolean> {
    return this.bus.request(this.subjects.checker(name), ARE_YOU_THERE, { timeoutMs: STILL_SERVING_TIMEOUT_MS }).then(
      () => true,
      (error: unknown) => error instanceof RequestTimeout,
    );
  }

  /** Which of `instances` of checker `name` still answer on their own subject (or, where `busyCounts`, do not answer in time but have responders). */
  async stillServing(name: string, instances: readonly string[], busyCounts: (id: string) => boolean): Promise<string[]> {
    const answers = await Promise.all(
      instances.map((id) =>
        this.bus.request(this.subjects.checkerInstance(name, id), ARE_YOU_THERE, { timeoutMs: STILL_SERVING_TIMEOUT_MS }).then(
          () => id,
          (error: unknown) => (error instanceof RequestTimeout && busyCounts(id) ? id : undefined),
        ),
      ),
    );
    return answers.filter((id): id is string => id !== undefined);
  }
}
