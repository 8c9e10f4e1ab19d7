/** The checker contract with each checker in this process. */
import { checkerContract } from "./checker.contract.ts";
import { CHECKER_CASES } from "./checker-cases.ts";

checkerContract("local", async () => ({ place: async (checker) => checker, teardown: async () => undefined }), CHECKER_CASES, { local: true });
