/** The `token` auth type: checks session tokens signed by a portal that shares the key (seed 003). */
import { TokenCredentials } from "../credentials/token.ts";
import { KeyFileError, tokenAuthorityFromFile } from "../tokens/key-file.ts";
import { TokenChecker } from "../tokens/token-checker.ts";
import { InvalidAuthArgumentString } from "./errors.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";

export const tokenCheckerFactory: CheckerFactory = {
  authType: "token",
  authHelp: `Checks session tokens (JWT) issued by a portal that shares the key, so a user who
logged in once is accepted here without the password travelling again.

HS256:PATH   PATH holds the shared secret (at least 32 bytes; a text
             secret's trailing newline is ignored)
EdDSA:PATH   PATH holds the issuer's Ed25519 public key (PEM, SPKI); this
             checker can verify tokens but never sign them. A private key
             is accepted with a warning: derive the public one with
             'openssl pkey -in key.pem -pubout -out public.pem'`,
  argStringFormat: "ALGORITHM:PATH, ALGORITHM one of HS256, EdDSA",
  credentialKinds: [TokenCredentials.kind],
  async generateChecker(argstring: string, context: CheckerFactoryContext = {}) {
    try {
      return new TokenChecker(await tokenAuthorityFromFile(argstring, "verify", { logger: context.logger }));
    } catch (error) {
      if (error instanceof KeyFileError) throw new InvalidAuthArgumentString(error.message);
      throw error;
    }
  },
};
