import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { sharedOriginOf } from "@trellis/platform";

const jsonOptions = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;

/** JSON text of shared answers without their meta, by the shared message. */
const renderedWithoutMeta = new WeakMap<object, string>();

function render(schema: DescMessage, message: MessageShape<DescMessage>): string {
  return JSON.stringify(toJson(schema, message, jsonOptions));
}

/**
 * Counters of a ResultMeta that no answer measures (the engine counts whole granules, which
 * hold other organizations' rows too): left unset by the query service, and absent here
 * rather than rendered as a false "0".
 */
const unmeasured = ["rows_read", "bytes_read"];

function withoutUnmeasured(meta: unknown): void {
  if (typeof meta !== "object" || meta === null) return;
  for (const key of unmeasured) {
    if ((meta as Record<string, unknown>)[key] === "0") Reflect.deleteProperty(meta, key);
  }
}

function renderMeta(schema: DescMessage, meta: MessageShape<DescMessage>): string {
  const json = toJson(schema, meta, jsonOptions);
  withoutUnmeasured(json);
  return JSON.stringify(json);
}

/**
 * An answer as REST JSON (proto field names, defaults included but for the meta's unmeasured
 * counters). A cached answer is a copy of one shared message with a meta of its own:
 * everything but the meta is rendered once per shared message, and only the meta per call.
 */
export function renderAnswerJson(schema: DescMessage, message: MessageShape<DescMessage>): string {
  const origin = sharedOriginOf(message);
  const metaField = schema.fields.find((field) => field.localName === "meta");
  if (metaField?.fieldKind !== "message") return render(schema, message);
  if (!origin) {
    const json = toJson(schema, message, jsonOptions) as Record<string, unknown>;
    withoutUnmeasured(json.meta);
    return JSON.stringify(json);
  }
  let rest = renderedWithoutMeta.get(origin);
  if (rest === undefined) {
    const withoutMeta: MessageShape<DescMessage> = { ...(origin as MessageShape<DescMessage>) };
    Reflect.deleteProperty(withoutMeta, "meta");
    rest = render(schema, withoutMeta);
    renderedWithoutMeta.set(origin, rest);
  }
  const meta = (message as { meta?: MessageShape<DescMessage> }).meta;
  if (!meta) return rest;
  const metaJson = renderMeta(metaField.message, meta);
  return rest === "{}" ? `{"meta":${metaJson}}` : `{"meta":${metaJson},${rest.slice(1)}`;
}
