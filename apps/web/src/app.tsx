import type { GetSessionResponse } from "@trellis/contracts";
import { useEffect, useState } from "preact/hooks";
import { session, storedKey, storeKey } from "./api.js";
import { problemOf } from "./errors.js";
import { AttributionPage } from "./pages/attribution.js";
import { CampaignsPage } from "./pages/campaigns.js";
import { DataPage } from "./pages/data.js";
import { DiscoveryPage } from "./pages/discovery.js";
import { FunnelsPage } from "./pages/funnels.js";
import { OverviewPage } from "./pages/overview.js";
import { SignIn } from "./pages/sign-in.js";
import { SqlPage } from "./pages/sql.js";
import { AsOfPicker, RangePicker } from "./pickers.js";
import { Loading } from "./ui.js";
import { navigate, type PageName, pages, useViewState } from "./view-state.js";

type SignedIn = { state: "checking" } | { state: "out"; note?: string } | { state: "in"; who: GetSessionResponse };

export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn>(storedKey() ? { state: "checking" } : { state: "out" });
  useEffect(() => {
    if (signedIn.state !== "checking") return;
    session.getSession({}).then(
      (who) => setSignedIn({ state: "in", who }),
      (error: unknown) => {
        storeKey(undefined);
        setSignedIn({ state: "out", note: problemOf(error).message });
      },
    );
  }, [signedIn.state]);

  if (signedIn.state === "checking") return <Loading />;
  if (signedIn.state === "out") {
    return (
      <SignIn
        note={signedIn.note}
        onSignedIn={(who) => setSignedIn({ state: "in", who })}
        onRefused={(note) => setSignedIn({ state: "out", note })}
      />
    );
  }
  return (
    <Shell
      who={signedIn.who}
      onSignOut={() => {
        storeKey(undefined);
        setSignedIn({ state: "out" });
      }}
    />
  );
}

function Shell(props: { who: GetSessionResponse; onSignOut: () => void }) {
  const view = useViewState();
  const Page = pageComponents[view.page];
  useEffect(() => {
    document.title = `${pages[view.page].title} · ${props.who.organizationName || props.who.organizationId} · Trellis`;
  }, [view.page, props.who]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Trellis</span>
        <nav aria-label="Pages">
          {(Object.keys(pages) as PageName[]).map((name) => (
            <a
              key={name}
              href={pages[name].path + window.location.search}
              aria-current={view.page === name ? "page" : undefined}
              onClick={(event) => {
                event.preventDefault();
                navigate({ page: name });
              }}
            >
              {pages[name].title}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="organization">
          {props.who.organizationName || props.who.organizationId}
        </span>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <div class="controls">
        <RangePicker view={view} />
        <AsOfPicker view={view} />
      </div>
      <main id="main" tabIndex={-1}>
        <h1>{pages[view.page].title}</h1>
        <Page view={view} scopes={props.who.scopes} organizationId={props.who.organizationId} />
      </main>
    </>
  );
}

const pageComponents = {
  overview: OverviewPage,
  attribution: AttributionPage,
  funnels: FunnelsPage,
  campaigns: CampaignsPage,
  discovery: DiscoveryPage,
  sql: SqlPage,
  data: DataPage,
};
