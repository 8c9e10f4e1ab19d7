/** The command line's options: a mistake in one is one line of ours and exit 2, on every subcommand. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../../app/cli.ts";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (t: string) => ((out += t), true) } as never, { write: (t: string) => ((err += t), true) } as never);
  return { code, out, err };
}

// An unreachable server: every one of these must be refused before connecting.
const NATS = ["--nats", "nats://127.0.0.1:1"];

describe("portcullis options", () => {
  it("names an unknown option of hash in one line, not parseArgs's hint with its unclosed quote", async () => {
    const result = await runCli(["hash", "--nats", "x"]);
    expect(result.code).toBe(2);
    expect(result.err).toBe("portcullis hash: unknown option --nats\n(portcullis hash --help lists the options)\n");
  });

  it.each([[["serve", "--auth", "anonymous"]], [["checker", "--auth", "anonymous"]], [["portal"]], [["realm", "echo"]], [[]]])(
    "names an unknown option in one line for %j",
    async (command: string[]) => {
      const result = await runCli([...command, ...NATS, "--frob"]);
      expect(result.code).toBe(2);
      expect(result.err).toBe("portcullis: unknown option --frob\n(portcullis --help lists the options)\n");
    },
  );

  it.each([
    [["hash", "--algorithm"], "portcullis hash: --algorithm needs a value"],
    [["serve", ...NATS, "--auth"], "portcullis: --auth needs a value"],
    [["serve", ...NATS, "--auth", "-x"], "portcullis: --auth needs a value (one starting with - is written --auth=-…)"],
    [["--help=yes"], "portcullis: --help takes no value"],
  ])("says what an option's value lacks in one line for %j", async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.err.split("\n")).toEqual([message, expect.stringMatching(/^\(portcullis (hash )?--help lists the options\)$/), ""]);
  });

  it.each([
    [["checker", "--auth", "anonymous", "--realm", "echo"], "--realm is not an option of checker (portal takes it)"],
    [["checker", "--auth", "anonymous", "--rate-limit", "off"], "--rate-limit is not an option of checker (serve and portal take it)"],
    [["realm", "echo", "--auth", "memory:a:b"], "--auth is not an option of realm (serve, checker and portal take it)"],
    [["realm", "echo", "--tokens", "HS256:key"], "--tokens is not an option of realm (serve and portal take it)"],
    [["portal", "--name", "p"], "--name is not an option of portal (checker and realm take it)"],
    [["serve", "--auth", "anonymous", "--name", "s"], "--name is not an option of serve (checker and realm take it)"],
  ])("refuses an option that %j would ignore, in one line, before connecting", async (args, message) => {
    const result = await runCli([...args, ...NATS]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`portcullis: ${message}\n(portcullis --help lists the options)\n`);
  });

  it("documents that portal takes --auth, in --help and in the README's command section", async () => {
    const { out } = await runCli(["--help"]);
    // The --auth entry, continuation lines included, up to the next option.
    const entry = /\n {2}--auth [^]*?(?=\n {2}--)/.exec(out)?.[0] ?? "";
    expect(entry).toMatch(/\bportal\b/);
    expect(out).toMatch(/\n {2}portal {2,}[^]*--auth[^]*\n {2}hash/);
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.split("## The `portcullis` command")[1]!.split("\n## ")[0]!;
    expect(section).toContain("`portal` also takes `--auth TYPE:ARGS`");
  });
});
