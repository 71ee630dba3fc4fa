import { readdirSync } from "node:fs";
import type fc from "fast-check";
import type { Examples } from "./examples/types.js";

/**
 * The examples and generators of every struct, gathered from the files of
 * examples/ and arbitraries/ (one file per group of structs, each exporting
 * `examples` or `arbitraries`), so that a new group needs no list updated.
 */
async function gather<T>(folder: string, exportName: string): Promise<Map<string, T>> {
  const directory = new URL(`./${folder}/`, import.meta.url);
  const files = readdirSync(directory).filter(
    (file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && file !== "types.ts" && file !== "common.ts",
  );
  const merged = new Map<string, T>();
  for (const file of files.sort()) {
    const module = (await import(new URL(file, directory).href)) as Record<string, Readonly<Record<string, T>>>;
    const group = module[exportName];
    if (group === undefined) throw new Error(`${folder}/${file} exports no ${exportName}`);
    for (const [name, value] of Object.entries(group)) {
      if (merged.has(name)) throw new Error(`${name} appears twice in ${folder}/`);
      merged.set(name, value);
    }
  }
  return merged;
}

export const examplesByStruct = await gather<Examples[string]>("examples", "examples");
export const arbitrariesByStruct = await gather<fc.Arbitrary<unknown>>("arbitraries", "arbitraries");
