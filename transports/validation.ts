/** Argument checks shared by every bus, so that both reject the same input the same way. */

const DOT = 46; // "."
const STAR = 42; // "*"
const GT = 62; // ">"
const UNICODE_SPACE = /\s/;

/** Which subjects a check accepts: wildcards only make sense where a message is received. */
export const SubjectUse = {
  publish: "publish",
  subscribe: "subscribe",
} as const;
export type SubjectUse = (typeof SubjectUse)[keyof typeof SubjectUse];

/**
 * Throws a TypeError unless `subject` is a valid NATS subject for `use`: non-empty
 * `.`-separated tokens without whitespace; `*` and `>` only as whole tokens of a
 * subscription, `>` only last.
 */
export function assertSubject(subject: string, use: SubjectUse): void {
  const problem = subjectProblem(subject, use);
  if (problem !== undefined) {
    throw new TypeError(`invalid ${use} subject ${JSON.stringify(subject)}: ${problem}`);
  }
}

/** Throws a TypeError unless `queue` is a usable queue group name (non-empty, no whitespace). */
export function assertQueue(queue: string): void {
  if (typeof queue !== "string" || queue.length === 0) {
    throw new TypeError(`invalid queue group ${JSON.stringify(queue)}: it must be a non-empty string`);
  }
  for (let i = 0; i < queue.length; i++) {
    if (isSpace(queue.charCodeAt(i), queue, i)) {
      throw new TypeError(`invalid queue group ${JSON.stringify(queue)}: whitespace is not allowed`);
    }
  }
}

// A single pass over char codes: this runs on every publish, so no split() or regex per call.
function subjectProblem(subject: string, use: SubjectUse): string | undefined {
  if (typeof subject !== "string" || subject.length === 0) return "it must be a non-empty string";
  let tokenStart = 0;
  for (let i = 0; i <= subject.length; i++) {
    const code = i < subject.length ? subject.charCodeAt(i) : DOT;
    if (code === DOT) {
      const length = i - tokenStart;
      if (length === 0) return "tokens must not be empty";
      if (length === 1) {
        const first = subject.charCodeAt(tokenStart);
        if (first === STAR || first === GT) {
          if (use === SubjectUse.publish) return "wildcards are not allowed here";
          if (first === GT && i !== subject.length) return "'>' must be the last token";
        }
      }
      tokenStart = i + 1;
    } else if (isSpace(code, subject, i)) {
      return "whitespace is not allowed";
    }
  }
  return undefined;
}

// Control characters would also break the NATS wire protocol, so they count as whitespace.
function isSpace(code: number, text: string, index: number): boolean {
  if (code <= 32 || code === 127) return true;
  return code > 127 && UNICODE_SPACE.test(text[index]!);
}

/** Throws a TypeError unless `timeoutMs` is a positive, finite number of milliseconds. */
export function assertTimeout(timeoutMs: number): void {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new TypeError(`timeoutMs must be a positive number of milliseconds, not ${timeoutMs}`);
  }
}

/**
 * Checks a request's subject and timeout. Returns the rejection a request must return (a
 * request never throws synchronously: its errors are the promise's), or undefined when valid.
 */
export function invalidRequest(subject: string, timeoutMs: number): Promise<never> | undefined {
  try {
    assertSubject(subject, SubjectUse.publish);
    assertTimeout(timeoutMs);
  } catch (error) {
    return Promise.reject(error);
  }
  return undefined;
}

/** Checks a subscription's subject, queue group and handler; throws TypeError. */
export function assertSubscription(subject: string, handler: unknown, queue: string | undefined): void {
  assertSubject(subject, SubjectUse.subscribe);
  if (queue !== undefined) assertQueue(queue);
  if (typeof handler !== "function") throw new TypeError("handler must be a function");
}
