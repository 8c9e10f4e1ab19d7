/** Every scenario the bench runs, in table order: the one place to add a new one. */
import { loginOneProcess } from "./login-one-process.ts";
import { loginSplit } from "./login-split.ts";
import { rawNatsChain } from "./raw-nats-chain.ts";
import { rawNats } from "./raw-nats.ts";
import type { Scenario } from "./scenario.ts";
import { twistedPb } from "./twisted-pb.ts";

export const SCENARIOS: readonly Scenario[] = [rawNats, loginOneProcess, rawNatsChain, loginSplit, twistedPb];
