/** Which avatar methods a client may call, and calling them. */
import { AvatarError, NoSuchMethod, PortcullisError } from "../errors.ts";
import { AvatarCrashed } from "../supervision/avatar-crashed.ts";

/** Lifecycle hooks and JavaScript machinery: never remotely callable. */
const RESERVED = new Set(["constructor", "logout", "attached", "detached", "then", "toJSON", "toString", "valueOf"]);
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

type Method = (...args: unknown[]) => unknown;

/**
 * Finds `name` on the avatar. An avatar with any `perspective_*` method is Twisted-style: only
 * `perspective_NAME` is callable, and its other methods are the realm's own (an outside probe's
 * client called a Twisted-style avatar's `grantGold` helper and granted itself a million). An
 * avatar without one exposes the methods of its own class chain (an avatar written the TypeScript
 * way, `{ add(n) {…} }`). Object.prototype and names starting with `_` are out of reach.
 */
export function findAvatarMethod(avatar: unknown, name: string): Method | undefined {
  if (typeof avatar !== "object" || avatar === null || !METHOD_NAME.test(name)) return undefined;
  const target = avatar as Record<string, unknown>;
  const perspective = target[`perspective_${name}`];
  if (typeof perspective === "function") return perspective.bind(avatar) as Method;
  if (RESERVED.has(name) || hasPerspectives(avatar)) return undefined;
  for (let o: object | null = avatar; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor && typeof descriptor.value === "function") return (descriptor.value as Method).bind(avatar);
    if (descriptor) return undefined;
  }
  return undefined;
}

/** Per avatar: whether it has a `perspective_*` method (asked once; an avatar's methods stay what they were). */
const twistedStyle = new WeakMap<object, boolean>();

function hasPerspectives(avatar: object): boolean {
  let known = twistedStyle.get(avatar);
  if (known === undefined) {
    known = false;
    for (let o: object | null = avatar; o !== null && o !== Object.prototype && !known; o = Object.getPrototypeOf(o)) {
      for (const key of Object.getOwnPropertyNames(o)) {
        if (key.startsWith("perspective_") && typeof Object.getOwnPropertyDescriptor(o, key)?.value === "function") {
          known = true;
          break;
        }
      }
    }
    twistedStyle.set(avatar, known);
  }
  return known;
}

/**
 * Calls `method` on the avatar. Rejects with `NoSuchMethod`, or `AvatarError` when the method
 * throws: an `AvatarError` (or any protocol error) keeps its message, anything else gets a
 * generic one, since an arbitrary exception may carry internals. `onUnexpected` sees the original.
 * `AvatarCrashed` passes through untouched: it is the supervisor's business, not the caller's.
 */
export async function callAvatar(
  avatar: unknown,
  method: string,
  args: readonly unknown[],
  onUnexpected: (error: unknown) => void,
): Promise<unknown> {
  const fn = findAvatarMethod(avatar, method);
  if (!fn) throw new NoSuchMethod(`no such method: ${method}`);
  try {
    return await fn(...args);
  } catch (error) {
    if (error instanceof PortcullisError || error instanceof AvatarCrashed) throw error;
    onUnexpected(error);
    throw new AvatarError();
  }
}
