/** Field and batch limits of event capture; each violation is a per-event error. */
export const limits = {
  eventsPerBatch: 10_000,
  eventIdLength: 128,
  urlLength: 8_192,
  userAgentLength: 2_048,
  clickIdLength: 512,
  idLength: 256,
  /** An address as text: the longest IPv6 spelling with a zone fits. */
  ipLength: 64,
  nameLength: 128,
  currencyPattern: /^[A-Z]{3}$/,
  properties: 64,
  propertyKeyLength: 128,
  propertyValueLength: 2_048,
  headers: 64,
  headerValueLength: 2_048,
  maxConversionValue: 1e12,
  /** Events may be stamped at most this far ahead of the server's clock. */
  futureSkewMs: 5 * 60_000,
} as const;

/** Headers that carry credentials: refused rather than stored. */
export const forbiddenHeaders = new Set(["cookie", "set-cookie", "authorization", "proxy-authorization", "x-api-key"]);

export const eventIdPattern = /^[A-Za-z0-9._:-]+$/;
