/**
 * The first-party tracker, built to a plain script (dist/tracker.js) the gateway serves at
 * /tracker.js. A page installs it with
 *
 *   <script defer src="https://trellis.example/tracker.js" data-key="trkp_…"></script>
 *
 * and it sends, to POST /api/v1/events?key=… on the script's own origin (or data-api):
 * - a pageview on load and on every history navigation of a single-page app;
 * - a custom event "outbound_click" for a click on a link to another host;
 * - whatever the page asks for: trellis("conversion", {name, value, currency, id}),
 *   trellis("event", name, {properties}), trellis("pageview").
 *
 * No cookies: the visitor id lives in localStorage (in memory for the page when storage is
 * refused), the session id in sessionStorage, renewed after 30 minutes without an event.
 * The UTM parameters and ad click ids of the landing URL are kept for the session and sent
 * with every later event. With data-respect-dnt, a browser sending Do-Not-Track or Global
 * Privacy Control is not tracked at all.
 */

import { CAMPAIGN_PARAMS, CLICK_ID_SPECS } from "@trellis/contracts/url-parameters";

type Properties = Record<string, string>;

interface WireEvent {
  event_id: string;
  /**
   * No time: ingest stamps each event with the time it arrives (a browser's clock may be off by
   * minutes, and ingest refuses times in the future); events are sent within a second.
   */
  /** The protobuf enum name, as the events route reads it. */
  type: "EVENT_TYPE_PAGEVIEW" | "EVENT_TYPE_CONVERSION" | "EVENT_TYPE_CUSTOM";
  url: string;
  referrer?: string;
  visitor_id: string;
  session_id: string;
  click_id?: string;
  name?: string;
  conversion_name?: string;
  value?: number;
  currency?: string;
  properties: Properties;
}

interface ConversionInput {
  name?: string;
  value?: number | string;
  currency?: string;
  /** An order id or the like: the event id, so the same conversion sent twice is stored once. */
  id?: string;
  properties?: Record<string, unknown>;
}

type Command = [string, ...unknown[]];

interface QueueingFunction {
  (...args: unknown[]): void;
  q?: IArguments[] | unknown[][];
}

interface TrackerWindow {
  trellis?: QueueingFunction;
  doNotTrack?: string;
}

const SESSION_TIMEOUT_MS = 30 * 60 * 1000;
const FLUSH_DELAY_MS = 300;
const MAX_BATCH = 20;
const STORAGE_PREFIX = "trellis_";
/** Ad-platform click ids, in the order ingest reads them. */
const CLICK_ID_PARAMS = CLICK_ID_SPECS.map((spec) => spec.param);

function randomId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const byte of bytes) out += (byte + 256).toString(16).slice(1);
  return out;
}

/** A storage that may refuse (private modes, blocked storage): reads and writes never throw. */
function safeStorage(kind: "localStorage" | "sessionStorage") {
  const memory = new Map<string, string>();
  let storage: Storage | undefined;
  try {
    storage = window[kind];
    storage.setItem(`${STORAGE_PREFIX}probe`, "1");
    storage.removeItem(`${STORAGE_PREFIX}probe`);
  } catch {
    storage = undefined;
  }
  return {
    get(key: string): string | null {
      try {
        return storage ? storage.getItem(STORAGE_PREFIX + key) : (memory.get(key) ?? null);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    set(key: string, value: string): void {
      memory.set(key, value);
      try {
        storage?.setItem(STORAGE_PREFIX + key, value);
      } catch {
        // Full or refused: the in-memory copy serves this page.
      }
    },
  };
}

function stringProperties(input: Record<string, unknown> | undefined): Properties {
  const out: Properties = {};
  if (!input) return out;
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}

function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  return document.querySelector<HTMLScriptElement>("script[data-key][src*='tracker']");
}

function wantsPrivacy(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean; msDoNotTrack?: string };
  const dnt = nav.doNotTrack ?? (window as TrackerWindow).doNotTrack ?? nav.msDoNotTrack;
  return dnt === "1" || dnt === "yes" || nav.globalPrivacyControl === true;
}

function start(): void {
  const win = window as unknown as TrackerWindow;
  const script = findScript();
  const key = script?.dataset.key ?? "";
  const queued = win.trellis?.q ?? [];
  const off =
    !script ||
    !key ||
    (script.dataset.respectDnt !== undefined && script.dataset.respectDnt !== "false" && wantsPrivacy());
  if (off) {
    // Calls the page makes are accepted and dropped: the page works the same either way.
    win.trellis = () => {};
    return;
  }

  const endpoint = new URL(script.dataset.api ?? "/api/v1/events", script.src || location.href);
  endpoint.searchParams.set("key", key);
  const trackHash = script.dataset.hash === "true";
  const local = safeStorage("localStorage");
  const session = safeStorage("sessionStorage");

  let visitorId = local.get("vid");
  if (!visitorId) {
    visitorId = randomId();
    local.set("vid", visitorId);
  }

  /** The session id, renewed after SESSION_TIMEOUT_MS without an event; each call counts as activity. */
  function sessionId(now: number): string {
    let id = session.get("sid");
    const last = Number(session.get("last") ?? 0);
    if (!id || now - last > SESSION_TIMEOUT_MS) {
      id = randomId();
      session.set("sid", id);
      session.set("attr", "");
    }
    session.set("last", String(now));
    return id;
  }

  /** UTMs and click ids of the landing URL, kept for the session; a new tagged landing replaces them. */
  function keptAttribution(url: URL): Properties {
    const fresh: Properties = {};
    for (const name of [...CAMPAIGN_PARAMS, ...CLICK_ID_PARAMS]) {
      const value = url.searchParams.get(name);
      if (value) fresh[name] = value;
    }
    if (Object.keys(fresh).length > 0) {
      session.set("attr", JSON.stringify(fresh));
      return fresh;
    }
    try {
      return JSON.parse(session.get("attr") || "{}") as Properties;
    } catch {
      return {};
    }
  }

  let pending: WireEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const body = JSON.stringify({ events: pending });
    pending = [];
    // A string body goes as text/plain: a CORS-simple request, so no preflight is needed.
    const sent = typeof navigator.sendBeacon === "function" && navigator.sendBeacon(endpoint.href, body);
    if (!sent && typeof fetch === "function") {
      fetch(endpoint.href, {
        method: "POST",
        body,
        keepalive: true,
        credentials: "omit",
        headers: { "content-type": "text/plain" },
      }).catch(() => {});
    }
  }

  function enqueue(
    event: Omit<WireEvent, "event_id" | "url" | "visitor_id" | "session_id" | "properties"> & {
      event_id?: string;
      properties?: Properties;
    },
  ): void {
    const now = Date.now();
    const url = new URL(location.href);
    // The session first: a new one forgets the previous session's attribution.
    const session_id = sessionId(now);
    const attribution = keptAttribution(url);
    const clickId = CLICK_ID_PARAMS.map((name) => attribution[name]).find(Boolean);
    pending.push({
      ...event,
      event_id: event.event_id || randomId(),
      url: url.href,
      visitor_id: visitorId as string,
      session_id,
      ...(clickId ? { click_id: clickId } : {}),
      properties: { ...attribution, ...event.properties },
    });
    if (pending.length >= MAX_BATCH) flush();
    else if (timer === undefined) timer = setTimeout(flush, FLUSH_DELAY_MS);
  }

  let lastPage = "";
  let lastUrl = document.referrer;

  function pageKey(): string {
    return trackHash ? location.href : location.href.replace(/#.*$/, "");
  }

  function pageview(force: boolean): void {
    const page = pageKey();
    if (!force && page === lastPage) return;
    const referrer = lastPage === "" ? document.referrer : lastUrl;
    lastPage = page;
    lastUrl = location.href;
    enqueue({ type: "EVENT_TYPE_PAGEVIEW", ...(referrer ? { referrer } : {}) });
  }

  function conversion(input: ConversionInput = {}): void {
    const value = input.value === undefined ? undefined : Number(input.value);
    enqueue({
      type: "EVENT_TYPE_CONVERSION",
      conversion_name: input.name || "conversion",
      ...(value !== undefined && Number.isFinite(value) ? { value } : {}),
      ...(input.currency ? { currency: String(input.currency).toUpperCase() } : {}),
      ...(input.id ? { event_id: String(input.id) } : {}),
      properties: stringProperties(input.properties),
    });
  }

  function handle(command: Command): void {
    const [name, first, second] = command;
    if (name === "pageview") pageview(true);
    else if (name === "conversion") conversion(first as ConversionInput);
    else if (name === "event" && typeof first === "string")
      enqueue({
        type: "EVENT_TYPE_CUSTOM",
        name: first,
        properties: stringProperties(second as Record<string, unknown>),
      });
  }

  const api: QueueingFunction = (...args: unknown[]) => handle(args as Command);
  win.trellis = api;

  // Single-page apps: every history navigation is a pageview (same page, same URL: none).
  for (const method of ["pushState", "replaceState"] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      pageview(false);
      return result;
    };
  }
  window.addEventListener("popstate", () => pageview(false));
  if (trackHash) window.addEventListener("hashchange", () => pageview(false));

  document.addEventListener(
    "click",
    (event) => {
      const target = event.target as Element | null;
      const link = target?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!link || script.dataset.outbound === "false") return;
      let href: URL;
      try {
        href = new URL(link.href, location.href);
      } catch {
        return;
      }
      if ((href.protocol === "http:" || href.protocol === "https:") && href.host !== location.host)
        enqueue({ type: "EVENT_TYPE_CUSTOM", name: "outbound_click", properties: { target_url: href.href } });
    },
    true,
  );
  // The page may be leaving: what is queued goes now, by beacon.
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });

  if (script.dataset.autoPageview !== "false") pageview(true);
  for (const args of queued) handle(Array.prototype.slice.call(args) as Command);
}

start();
