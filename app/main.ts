/** Entry point of the `portcullis` binary. */
import { main } from "./cli.ts";

process.exitCode = await main(process.argv.slice(2));
// Once a command has returned there is nothing left to wait for: a stop cut short (second
// signal, NATS unreachable) may leave timers and sockets that would keep the process running.
setTimeout(() => process.exit(), 2000).unref();
