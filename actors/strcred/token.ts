/** The `token` auth type: checks session tokens signed by a portal that shares the key (seed 003). */
import { readFile } from "node:fs/promises";
import { importSPKI } from "jose";
import { TokenCredentials } from "../credentials/token.ts";
import { TokenAuthority } from "../tokens/token-authority.ts";
import { TokenChecker } from "../tokens/token-checker.ts";
import { InvalidAuthArgumentString } from "./errors.ts";
import type { CheckerFactory } from "./factory.ts";

export const tokenCheckerFactory: CheckerFactory = {
  authType: "token",
  authHelp: `Checks session tokens (JWT) issued by a portal that shares the key, so a user who
logged in once is accepted here without the password travelling again.

HS256:PATH   PATH holds the shared secret (at least 32 bytes)
EdDSA:PATH   PATH holds the issuer's Ed25519 public key (PEM, SPKI); this
             checker can verify tokens but never sign them`,
  argStringFormat: "ALGORITHM:PATH, ALGORITHM one of HS256, EdDSA",
  credentialKinds: [TokenCredentials.kind],
  async generateChecker(argstring: string) {
    const at = argstring.indexOf(":");
    const algorithm = argstring.slice(0, at);
    const path = argstring.slice(at + 1);
    if (at < 0 || path === "" || (algorithm !== "HS256" && algorithm !== "EdDSA")) {
      throw new InvalidAuthArgumentString("argstring must be HS256:PATH or EdDSA:PATH");
    }
    let contents: Buffer;
    try {
      contents = await readFile(path);
    } catch (error) {
      throw new InvalidAuthArgumentString(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
    if (algorithm === "HS256") {
      if (contents.byteLength < 32) throw new InvalidAuthArgumentString("an HS256 secret must be at least 32 bytes");
      return new TokenChecker(new TokenAuthority({ algorithm, verifyingKey: new Uint8Array(contents) }));
    }
    try {
      return new TokenChecker(new TokenAuthority({ algorithm, verifyingKey: await importSPKI(contents.toString("utf8"), "EdDSA") }));
    } catch {
      throw new InvalidAuthArgumentString(`${path} holds no Ed25519 public key (PEM, SPKI)`);
    }
  },
};
