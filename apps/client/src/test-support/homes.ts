import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary directory for state homes and PKI files, removed by `remove`. */
export async function temporaryDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "mimi-client-test-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
