/** Rewrites a file in place as an editor or a script might: truncated, then written back piece by piece. */
import { open } from "node:fs/promises";
import { sleep } from "./wire.ts";

export async function rewriteInChunks(path: string, text: string, chunkBytes = 50, pauseMs = 5): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.truncate(0);
    for (let at = 0; at < text.length; at += chunkBytes) {
      await handle.write(text.slice(at, at + chunkBytes), at);
      await sleep(pauseMs);
    }
  } finally {
    await handle.close();
  }
}
