/**
 * The one error type of @mimi-ts/content. Every rejection of input (bytes,
 * JSON, builder arguments, downloaded attachments) is a ContentError whose
 * `path` names the offending field, e.g. `nestedPart.parts[1].contentType`.
 */
export class ContentError extends Error {
  override readonly name = "ContentError";

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
