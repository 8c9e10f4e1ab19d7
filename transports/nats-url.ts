/** NATS URLs with credentials in them: split for nats.js, which ignores them, and redacted for display. */

/** What a NATS URL names: the servers, and the credentials of their `user:pass@` or `token@` part. */
export interface NatsTarget {
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

// Up to the last `@`: a generated password may hold `@`, `/`, `#` or `?` unencoded, and a host never does.
const URL_PARTS = /^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:(?<userinfo>.*)@)?(?<rest>[^@]*)$/;

/**
 * Splits a NATS URL (comma-separated servers) into servers without credentials and the
 * credentials themselves: nats.js ignores a URL's `user:pass@` part, so it must travel as
 * options. Throws `TypeError` when the servers carry different credentials.
 */
export function parseNatsServers(natsUrl: string): NatsTarget {
  const servers: string[] = [];
  let userinfo: string | undefined;
  for (const entry of natsUrl.split(",").map((s) => s.trim()).filter(Boolean)) {
    const { scheme = "", userinfo: info, rest = "" } = URL_PARTS.exec(entry)?.groups ?? {};
    servers.push(`${scheme}${rest}`);
    if (info === undefined) continue;
    if (userinfo !== undefined && userinfo !== info) throw new TypeError("every server must carry the same credentials");
    userinfo = info;
  }
  if (userinfo === undefined || userinfo === "") return { servers };
  const colon = userinfo.indexOf(":");
  // Percent-encoded credentials are decoded; a raw `%` that is not an escape is taken as it is.
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  // `nats://TOKEN@host` is NATS's token form; `nats://user:pass@host` a user and password.
  return colon < 0
    ? { servers, token: decode(userinfo) }
    : { servers, user: decode(userinfo.slice(0, colon)), pass: decode(userinfo.slice(colon + 1)) };
}

/** The URL as it may be shown: any `user:pass@` or `token@` part replaced by `***@`. */
export function redactNatsUrl(natsUrl: string): string {
  return natsUrl
    .split(",")
    .map((raw) => {
      const entry = raw.trim();
      const { scheme = "", userinfo, rest = "" } = URL_PARTS.exec(entry)?.groups ?? {};
      return userinfo === undefined ? entry : `${scheme}***@${rest}`;
    })
    .join(",");
}
