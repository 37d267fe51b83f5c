/** How to send events: the ingest API with the organization's key, ready to paste. */
export function DataPage({ scopes }: { scopes: string[] }) {
  const origin = window.location.origin;
  const curl = `curl -X POST ${origin}/api/v1/events \\
  -H "Authorization: Bearer $TRELLIS_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"events":[{"type":"EVENT_TYPE_PAGEVIEW","visitor_id":"v-1","session_id":"s-1",
        "url":"https://shop.example/?utm_source=newsletter&utm_medium=email"}]}'`;
  const browser = `await fetch("${origin}/api/v1/events", {
  method: "POST",
  headers: { authorization: "Bearer <key with events:write>", "content-type": "application/json" },
  body: JSON.stringify({ events: [{ type: "EVENT_TYPE_CONVERSION", visitor_id, session_id, conversion_name: "purchase", value: 49.9, currency: "EUR" }] }),
});`;
  return (
    <>
      <section class="panel" aria-labelledby="ingest-title">
        <h2 id="ingest-title">Send events to the ingest API</h2>
        <p>
          Events go to <code>POST /api/v1/events</code> (JSON) or the <code>IngestService</code> over Connect and gRPC,
          with a key that has the <code>events:write</code> scope
          {scopes.includes("events:write") ? " (the key you signed in with has it)" : ""}. Each event is checked;
          refused events come back with the field and the reason.
        </p>
        <pre data-testid="ingest-snippet">
          <code>{curl}</code>
        </pre>
        <h3>From a web page or a server</h3>
        <pre>
          <code>{browser}</code>
        </pre>
      </section>
      <section class="panel" aria-labelledby="tracker-title" data-testid="tracker-slot">
        <h2 id="tracker-title">Browser tracker</h2>
        <p>
          A first-party tracker script served by this gateway, with ingest-only publishable keys bound to your site's
          origins, goes here. Until it is installed, send events with the API above from your server.
        </p>
      </section>
    </>
  );
}
