/** What the `portcullis` command line says (--help) and takes: its usage text and its options. */
import type { parseArgs } from "node:util";

export const USAGE = `Usage: portcullis [--plugin PKG] [--help-auth] [--help-auth-type TYPE] COMMAND [options]

Commands:
  serve            a portal, its checkers and the echo realm in one process
  checker          checkers only, each a P.checker.NAME service (announced, discoverable)
  portal           a portal using a realm service (--realm NAME), every announced checker, and
                   any --auth checkers of its own (checked in its process, not served to others)
  hash [USERNAME]  prints a password-file line USERNAME:HASH (argon2id; --algorithm scrypt|bcrypt),
                   reading the password without echo
  realm MODULE     serves the Realm a module exports (default export or \`realm\`); MODULE
                   "echo" is the built-in echo realm
  revoke           revokes the session token read from standard input at every portal and
                   token checker on the bus (whatever their prefix), ending its sessions

Options:
  --nats URL          NATS server(s), comma-separated (default: $NATS_URL); credentials as
                      nats://USER:PASS@host or nats://TOKEN@host (never shown in messages;
                      prefer $NATS_URL, which other users cannot read with ps)
  --auth TYPE:ARGS    serve/checker (at least one), portal (optional): a checker, repeatable
                      (see --help-auth); e.g. memory:alice:pw
  --name NAME         service name for checker (one --auth; default: its auth type) or realm
                      (default: echo, the name portal's --realm defaults to)
  --realm NAME        portal: the realm service to use (default: echo)
  --prefix P          subject prefix (default: cred)
  --heartbeat-ms N    serve/portal: heartbeat announced to clients (default: 15000)
  --max-sessions N    serve/portal: live sessions the portal holds at most; past it logins get
                      LoginFailed (default: 200000)
  --mind-prefix P     serve/portal: a subject prefix clients may name as their Mind, repeatable
                      (default: inboxes only, _INBOX.… and _INBOX_<user>.…)
  --reply-prefix P    serve/checker/portal/realm: answer requests whose reply subject is under P
                      too, repeatable: for clients whose inboxes have a prefix of their own
                      (default: inboxes only; other requests are dropped, with a warning)
  --rate-limit N|off  serve/portal: refusals per account before backoff (default 10; shared
                      through JetStream KV over NATS), or off
  --tokens ALG:PATH   serve/portal: issue session tokens (a login with "issueToken": true) and
                      accept token credentials; HS256:PATH (a shared secret, >= 32 bytes) or
                      EdDSA:PATH (an Ed25519 private key, PEM PKCS#8); tokens last 1 hour
  --log-level LEVEL   trace|debug|info|warn|error|fatal|silent (default: $LOG_LEVEL or info;
                      warn for revoke); logs go to stderr
  --plugin PKG        load checker factories from an npm package or path, repeatable
                      (also: $PORTCULLIS_PLUGINS, comma-separated)
`;

export const OPTIONS = {
  help: { type: "boolean", short: "h" },
  "help-auth": { type: "boolean" },
  "help-auth-type": { type: "string" },
  plugin: { type: "string", multiple: true },
  nats: { type: "string" },
  auth: { type: "string", multiple: true },
  name: { type: "string" },
  realm: { type: "string" },
  prefix: { type: "string" },
  "heartbeat-ms": { type: "string" },
  "max-sessions": { type: "string" },
  "mind-prefix": { type: "string", multiple: true },
  "reply-prefix": { type: "string", multiple: true },
  "log-level": { type: "string" },
  "rate-limit": { type: "string" },
  tokens: { type: "string" },
} as const;

/** The options as parsed. */
export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
