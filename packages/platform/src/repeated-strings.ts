import { type DescField, type Message, ScalarType } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { varintSize, writeVarint } from "./varint.js";

/**
 * `message` with the entries of one of its repeated string fields encoded here, once, for a
 * binary answer. protobuf's binary writer encodes each string of a list on its own (a UTF-8
 * encoder call, a buffer, a chunk to join): 1.3–2.3 µs of CPU a string with its collection,
 * 7–12 ms for the 5,000 accepted event ids of an ingest batch. Here they are sized and
 * written into one buffer: 0.14–0.25 µs a string.
 *
 * The field of the returned copy is empty and its entries ride in the message's unknown
 * fields, which the binary writer writes verbatim after the known ones: one unknown field
 * whose tag is the field's first entry's and whose bytes are that entry's length and text, then
 * every other entry with its own tag — on the wire exactly the repeated field (protobuf lets a
 * field's entries come anywhere in a message). For binary serialization only: JSON leaves
 * unknown fields out, and code reading the copy's field finds it empty.
 */
export function withRepeatedStringsEncoded<T extends Message>(
  message: T,
  field: DescField,
  values: readonly string[],
): T {
  if (field.fieldKind !== "list" || field.listKind !== "scalar" || field.scalar !== ScalarType.STRING)
    throw new Error(`${field.toString()} is not a repeated string field`);
  if (values.length === 0) return { ...message, [field.localName]: [] };
  const tag = (field.number << 3) | WireType.LengthDelimited;
  const tagSize = varintSize(tag);
  let size = 0;
  const lengths = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const length = Buffer.byteLength(values[i] as string, "utf8");
    lengths[i] = length;
    size += (i === 0 ? 0 : tagSize) + varintSize(length) + length;
  }
  const data = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) at = writeVarint(data, at, tag);
    at = writeVarint(data, at, lengths[i] as number);
    at += data.write(values[i] as string, at, "utf8");
  }
  const unknown = [...(message.$unknown ?? []), { no: field.number, wireType: WireType.LengthDelimited, data }];
  return { ...message, [field.localName]: [], $unknown: unknown };
}
