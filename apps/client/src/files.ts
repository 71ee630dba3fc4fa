import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ClientError } from "./errors.js";

/** Every state file holds secrets (keys, the token), so only the owner may read it. */
const SECRET_FILE_MODE = 0o600;
const PRIVATE_DIRECTORY_MODE = 0o700;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Creates a directory (and its parents) readable by the owner only. */
export async function ensurePrivateDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  } catch (error) {
    throw new ClientError(`cannot create ${path}: ${errnoCode(error) ?? String(error)}`, { cause: error });
  }
}

/**
 * Replaces `path` with `text` atomically: the text goes to a temporary file
 * beside it (mode 0600), which is flushed to disk and renamed over `path`, so
 * a reader (or a restart after a crash) sees the old file or the new one,
 * never a mix. The directory is flushed too, so the rename itself survives.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", SECRET_FILE_MODE);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    const directory = await open(dirname(path), "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new ClientError(`cannot write ${path}: ${errnoCode(error) ?? String(error)}`, { cause: error });
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw new ClientError(`cannot read ${path}: ${errnoCode(error) ?? String(error)}`, { cause: error });
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(error) === "EPERM";
  }
}

/**
 * Runs `task` holding `<directory>/lock`, which names this process. Two
 * processes (or two operations of one process) working on one device at
 * once would each send from the same MLS state, so the second is refused.
 * A lock left by a process that no longer runs is taken over.
 */
export async function withDirectoryLock<T>(directory: string, task: () => Promise<T>): Promise<T> {
  const path = join(directory, "lock");
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(path, "wx", SECRET_FILE_MODE);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") {
        throw new ClientError(`cannot lock ${directory}: ${errnoCode(error) ?? String(error)}`, { cause: error });
      }
      const holder = Number((await readTextIfExists(path))?.trim());
      if (attempt === 0 && Number.isSafeInteger(holder) && holder > 0 && !processIsAlive(holder)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      throw new ClientError(
        `${directory} is in use by another mimi operation (${Number.isSafeInteger(holder) ? `pid ${holder}` : "lock file"}); retry when it has finished`,
      );
    }
  }
  try {
    return await task();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
