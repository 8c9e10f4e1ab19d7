/** `portcullis hash [--algorithm argon2id|scrypt|bcrypt|scram-sha-256] [USERNAME]`: prints a password-file line `username:PHC` (or SCRAM keys). */
import { StringDecoder } from "node:string_decoder";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { argon2id, bcrypt, DEFAULT_SCRAM_ITERATIONS, deriveScramKeys, formatScramSecret, scrypt, type PasswordHasher } from "../actors/index.ts";
import { optionError } from "./option-error.ts";
import { UsageError } from "./usage-error.ts";

export const HASH_USAGE = `Usage: portcullis hash [--algorithm argon2id|scrypt|bcrypt|scram-sha-256] [USERNAME]

Reads a password (from the terminal without echo, asked twice; otherwise the first line of
stdin) and prints 'USERNAME:HASH', a line for a 'hashed:' password file (just the hash
without USERNAME). The default algorithm is argon2id. With scram-sha-256 it prints the
password's SCRAM keys instead (RFC 5803: SCRAM-SHA-256$4096:SALT$STOREDKEY:SERVERKEY),
a line for a 'scram-file:' file.
`;

/** RFC 5803's stored keys, with a fresh 16-byte salt and RFC 7677's 4096 iterations, as `ScramChecker.addUser` derives them. */
const scramSha256 = (): Pick<PasswordHasher, "hash"> => ({
  hash: async (password: string) => formatScramSecret(deriveScramKeys(password, randomBytes(16).toString("base64"), DEFAULT_SCRAM_ITERATIONS)),
});

const HASHERS: Record<string, () => Pick<PasswordHasher, "hash">> = { argon2id, scrypt, bcrypt, "scram-sha-256": scramSha256 };
/** bcrypt ignores every byte past the 72nd: two passwords sharing those would both verify. */
const BCRYPT_MAX_BYTES = 72;
/** Ctrl-C at the prompt, told apart from Ctrl-D (no password). */
const INTERRUPTED = Symbol("interrupted");

/** The streams the command uses; `stdin` may be a TTY (raw mode is used to read without echo). */
export interface HashCommandIO {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Resolves to the exit status; throws `UsageError` for bad arguments. */
export async function hashCommand(args: readonly string[], io: HashCommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { algorithm: { type: "string", short: "a" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw optionError(error);
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.stdout.write(HASH_USAGE), 0);
  const algorithm = values.algorithm ?? "argon2id";
  const makeHasher = Object.hasOwn(HASHERS, algorithm) ? HASHERS[algorithm] : undefined;
  if (!makeHasher) throw new UsageError(`unknown algorithm: ${algorithm} (argon2id, scrypt, bcrypt or scram-sha-256)`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument: ${positionals[1]}`);
  const username = positionals[0];
  // The line must stay one `user:hash` line of the file.
  if (username !== undefined && (username === "" || /[:\r\n]/.test(username))) {
    throw new UsageError("USERNAME must be non-empty and contain no ':' or line break");
  }

  let password: string | undefined | typeof INTERRUPTED;
  if (io.stdin.isTTY && io.stdin.setRawMode) {
    password = await readHidden(io, "New password: ");
    // Refused before it is asked for again.
    if (password === "") return fail(io, "empty password refused");
    if (typeof password === "string") {
      const again = await readHidden(io, "Re-type new password: ");
      if (typeof again !== "string") password = again;
      else if (again !== password) return fail(io, "password verification error");
    }
  } else {
    password = await readLine(io.stdin);
  }
  if (password === INTERRUPTED) return fail(io, "interrupted", 130);
  if (password === undefined) return fail(io, "no password given");
  if (password === "") return fail(io, "empty password refused");
  // Invalid UTF-8 was decoded to U+FFFD: that password could never be typed into a login.
  if (password.includes("\uFFFD")) return fail(io, "the password is not valid UTF-8");
  const bytes = Buffer.byteLength(password, "utf8");
  if (algorithm === "bcrypt" && bytes > BCRYPT_MAX_BYTES) {
    return fail(io, `bcrypt uses only the first ${BCRYPT_MAX_BYTES} bytes of a password and this one has ${bytes}: use argon2id (the default) or scrypt`);
  }
  const hash = await makeHasher().hash(password);
  io.stdout.write(username === undefined ? `${hash}\n` : `${username}:${hash}\n`);
  return 0;
}

function fail(io: HashCommandIO, message: string, status = 1): number {
  io.stderr.write(`portcullis hash: ${message}\n`);
  return status;
}

/** The first line of a non-TTY stdin (without its line ending); undefined when it is empty. */
function readLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    let text = "";
    const finish = (value: string | undefined) => {
      stream.off("data", onData).off("end", onEnd).off("error", reject);
      stream.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      text += typeof chunk === "string" ? chunk : decoder.write(chunk);
      const at = text.indexOf("\n");
      if (at >= 0) finish(text.slice(0, at).replace(/\r$/, ""));
    };
    const onEnd = () => finish(text === "" ? undefined : text.replace(/\r$/, ""));
    stream.on("data", onData).once("end", onEnd).once("error", reject);
    stream.resume();
  });
}

/** Reads a line from a TTY in raw mode, echoing nothing; `INTERRUPTED` on Ctrl-C, undefined on Ctrl-D. */
function readHidden(io: HashCommandIO, prompt: string): Promise<string | undefined | typeof INTERRUPTED> {
  const { stdin } = io;
  io.stderr.write(prompt);
  return new Promise((resolve) => {
    // A character's bytes may arrive in two chunks: decode across them.
    const decoder = new StringDecoder("utf8");
    let text = "";
    const finish = (value: string | undefined | typeof INTERRUPTED) => {
      stdin.off("data", onData);
      stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write("\n");
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of typeof chunk === "string" ? chunk : decoder.write(chunk)) {
        if (char === "\r" || char === "\n") return finish(text);
        if (char === "\u0003") return finish(INTERRUPTED);
        if (char === "\u0004" && text === "") return finish(undefined);
        if (char === "\u007f" || char === "\b") text = [...text].slice(0, -1).join("");
        else if (char >= " ") text += char;
      }
    };
    stdin.setRawMode!(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}
