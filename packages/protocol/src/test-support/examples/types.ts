/** Example values of wire structs, by struct name: the source of the published test vectors. */
export type Examples = Readonly<Record<string, readonly { readonly description: string; readonly value: unknown }[]>>;
