/** How to send events: the tracker snippet for web pages, and the ingest API for servers. */
export function DataPage({ scopes, organizationId }: { scopes: string[]; organizationId: string }) {
  const origin = window.location.origin;
  const createKey = `npm run trellis -- keys create --org ${organizationId} --publishable --origin https://shop.example`;
  const snippet = `<script>window.trellis=window.trellis||function(){(trellis.q=trellis.q||[]).push(arguments)};</script>
<script defer src="${origin}/tracker.js" data-key="trkp_…"></script>`;
  const conversion = `trellis("conversion", { name: "purchase", value: 49.9, currency: "EUR", id: "order-1001" });`;
  const curl = `curl -X POST ${origin}/api/v1/events \\
  -H "Authorization: Bearer $TRELLIS_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"events":[{"type":"EVENT_TYPE_PAGEVIEW","visitor_id":"v-1","session_id":"s-1",
        "url":"https://shop.example/?utm_source=newsletter&utm_medium=email"}]}'`;
  return (
    <>
      <section class="panel" aria-labelledby="tracker-title">
        <h2 id="tracker-title">From your web pages: the tracker</h2>
        <p>
          Create a publishable key for your site, bound to the origins its pages are served from (it can only send
          events, only from those origins, at a limited rate):
        </p>
        <pre data-testid="publishable-key-command">
          <code>{createKey}</code>
        </pre>
        <p>and put this in every page, with that key:</p>
        <pre data-testid="tracker-snippet">
          <code>{snippet}</code>
        </pre>
        <p>
          It sends page views (single-page navigations too) and clicks on links to other sites, keeps the campaign
          parameters and ad click ids of the landing page for the session, and sets no cookies. Report a conversion with
          its value and currency:
        </p>
        <pre>
          <code>{conversion}</code>
        </pre>
      </section>
      <section class="panel" aria-labelledby="ingest-title">
        <h2 id="ingest-title">From your servers: the ingest API</h2>
        <p>
          Events go to <code>POST /api/v1/events</code> (JSON) or the <code>IngestService</code> over Connect and gRPC,
          with a key that has the <code>events:write</code> scope
          {scopes.includes("events:write") ? " (the key you signed in with has it)" : ""}. Each event is checked;
          refused events come back with the field and the reason.
        </p>
        <pre data-testid="ingest-snippet">
          <code>{curl}</code>
        </pre>
      </section>
    </>
  );
}
