import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { sharedOriginOf } from "@trellis/platform";

const jsonOptions = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;

/** JSON text of shared answers without their meta, by the shared message. */
const renderedWithoutMeta = new WeakMap<object, string>();

function render(schema: DescMessage, message: MessageShape<DescMessage>): string {
  return JSON.stringify(toJson(schema, message, jsonOptions));
}

/**
 * An answer as REST JSON (proto field names, defaults included). A cached answer is a copy of
 * one shared message with a meta of its own: everything but the meta is rendered once per
 * shared message, and only the meta per call.
 */
export function renderAnswerJson(schema: DescMessage, message: MessageShape<DescMessage>): string {
  const origin = sharedOriginOf(message);
  const metaField = schema.fields.find((field) => field.localName === "meta");
  if (!origin || metaField?.fieldKind !== "message") return render(schema, message);
  let rest = renderedWithoutMeta.get(origin);
  if (rest === undefined) {
    const withoutMeta: MessageShape<DescMessage> = { ...(origin as MessageShape<DescMessage>) };
    Reflect.deleteProperty(withoutMeta, "meta");
    rest = render(schema, withoutMeta);
    renderedWithoutMeta.set(origin, rest);
  }
  const meta = (message as { meta?: MessageShape<DescMessage> }).meta;
  if (!meta) return rest;
  const metaJson = render(metaField.message, meta);
  return rest === "{}" ? `{"meta":${metaJson}}` : `{"meta":${metaJson},${rest.slice(1)}`;
}
