import type { Codec } from "./codec.js";
import { CodecError, describeValue, relocate } from "./errors.js";
import {
  asRecord,
  checkCodec,
  checkFieldName,
  type FieldList,
  type Fields,
  type FieldValues,
  fieldList,
  readFields,
  type Simplify,
  writeFields,
} from "./fields.js";

/** The variants of a select: for each case, the fields that follow the tag. A case with no fields is `{}`. */
export type Variants<Case extends string | number> = { readonly [K in Case]?: Fields };

/** The tagged union a select reads: the tag field, then the fields of its variant. */
export type SelectValue<TagField extends string, V> = {
  [K in keyof V]: V[K] extends Fields ? Simplify<{ -readonly [P in TagField]: K } & FieldValues<V[K]>> : never;
}[keyof V];

/** A select whose variant is chosen by `caseOf(tag)`: the tag field keeps its own type. */
export type SelectByCaseValue<TagField extends string, Tag, V> = {
  [K in keyof V]: V[K] extends Fields ? Simplify<{ -readonly [P in TagField]: Tag } & FieldValues<V[K]>> : never;
}[keyof V];

/**
 * `select (tag) { case a: ...; case b: ... }` (RFC 8446 s.3.8) as a tagged
 * union: the tag is read with `tag`, then the fields of the variant for its
 * value, all into one object `{ [tagField]: tag, ...variantFields }`:
 *
 *   select("UpdateRoomResponse", "responseCode", updateResponseCode, {
 *     [UpdateResponseCode.success]: { acceptedTimestamp: uint64 },
 *     [UpdateResponseCode.notAllowed]: {},
 *   })
 *
 * A tag value the tag codec accepts but no variant lists is an error in both
 * directions; list empty cases as `{}`. Fields that the spec places between
 * the tag and the select, or after it, belong in every variant, in wire order.
 *
 * With `caseOf`, the tag field may be any codec and the variant is chosen by
 * `caseOf(tagValue)`, for selects on a part of a field
 * (`select (message.wire_format)` after `MLSMessage message`).
 */
export function select<
  const TagField extends string,
  Tag extends string | number,
  const V extends Variants<NoInfer<Tag>>,
>(name: string, tagField: TagField, tag: Codec<Tag>, variants: V): Codec<SelectValue<TagField, V>>;
export function select<
  const TagField extends string,
  Tag,
  Case extends string | number,
  const V extends Variants<Case>,
>(
  name: string,
  tagField: TagField,
  tag: Codec<Tag>,
  variants: V,
  caseOf: (tag: Tag) => Case,
): Codec<SelectByCaseValue<TagField, Tag, V>>;
export function select(
  name: string,
  tagField: string,
  tag: Codec<unknown>,
  variants: Variants<string | number>,
  caseOf?: (tag: unknown) => string | number,
): Codec<Record<string, unknown>> {
  checkFieldName(name, tagField);
  checkCodec(name, tagField, tag);
  const byCase = new Map<unknown, FieldList>();
  for (const [key, fields] of Object.entries(variants)) {
    if (fields === undefined) continue;
    const list = fieldList(name, fields, tagField);
    byCase.set(key, list);
    // Object keys are strings; numeric tags (enum values) look up by number.
    if (String(Number(key)) === key) byCase.set(Number(key), list);
  }

  const variantOf = (tagValue: unknown): FieldList => {
    let key: unknown;
    try {
      key = caseOf === undefined ? tagValue : caseOf(tagValue);
    } catch (error) {
      throw relocate(error, tagField, name);
    }
    const list = byCase.get(key);
    if (list === undefined)
      throw new CodecError(`no variant for ${describeValue(key)}`, { struct: name, field: tagField });
    return list;
  };

  return {
    name,
    write(writer, value) {
      const record = asRecord(name, value);
      const tagValue = record[tagField];
      try {
        tag.write(writer, tagValue);
      } catch (error) {
        throw relocate(error, tagField, name);
      }
      writeFields(writer, name, variantOf(tagValue), record);
    },
    read(reader) {
      let tagValue: unknown;
      try {
        tagValue = tag.read(reader);
      } catch (error) {
        throw relocate(error, tagField, name);
      }
      const value: Record<string, unknown> = { [tagField]: tagValue };
      readFields(reader, name, variantOf(tagValue), value);
      return value;
    },
  };
}
