import type fc from "fast-check";

/** Generators of valid values of wire structs, by struct name, for property tests. */
export type Arbitraries = Readonly<Record<string, fc.Arbitrary<unknown>>>;
