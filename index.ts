/** The `portcullis` package: Twisted Cred as actors. Library face, runtime face, machines and transports. */
export * from "./actors/index.ts";
export * from "./machines/index.ts";
export * from "./transports/index.ts";
