/** What a realm's answer must be before anyone is handed its avatar: the same check wherever a realm is asked. */
import { LoginFailed, NoSuchInterface } from "./errors.ts";
import type { LoginResult } from "./realm.ts";

const MALFORMED_GRANT = "the realm returned a malformed result, not { interface, avatar, logout }";

function isLoginResult(grant: unknown): grant is LoginResult {
  if (typeof grant !== "object" || grant === null || Array.isArray(grant)) return false;
  const { interface: iface, logout } = grant as Partial<LoginResult>;
  return typeof iface === "string" && typeof logout === "function";
}

/**
 * Checks a realm's answer to `requestAvatar(…, ...interfaces)`. Rejects with `LoginFailed` for a
 * malformed one (a Twisted-style `[interface, avatar, logout]` tuple, say) and with
 * `NoSuchInterface` for an interface nobody asked for: both realm bugs, never handed out, and
 * either way whatever the realm granted is logged out first, if it says how, so no avatar is left
 * behind.
 */
export async function checkedGrant(grant: unknown, interfaces: readonly string[]): Promise<LoginResult> {
  if (!isLoginResult(grant)) {
    const release = Array.isArray(grant) ? grant[2] : (grant as { logout?: unknown } | null | undefined)?.logout;
    if (typeof release === "function") await Promise.resolve().then(() => release.call(grant)).catch(() => undefined);
    throw new LoginFailed(MALFORMED_GRANT);
  }
  if (!interfaces.includes(grant.interface)) {
    await grant.logout();
    throw new NoSuchInterface();
  }
  return grant;
}
