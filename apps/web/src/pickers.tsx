import { campaigns } from "./api.js";
import { useAnswer } from "./use-answer.js";
import { navigate, type Preset, presets, type ViewState } from "./view-state.js";

/** Every IANA zone the browser knows, UTC first. */
const allTimeZones = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];

/** Range presets, a custom range and the time zone the days are counted in. */
export function RangePicker(props: { view: ViewState }) {
  const { view } = props;
  const zones = allTimeZones.includes(view.timeZone) ? allTimeZones : [view.timeZone, ...allTimeZones];
  return (
    <fieldset class="range">
      <legend class="visually-hidden">Date range</legend>
      <label>
        Range{" "}
        <select value={view.preset} onChange={(e) => navigate({ preset: e.currentTarget.value as Preset })}>
          {Object.entries(presets).map(([name, p]) => (
            <option key={name} value={name}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        From{" "}
        <input
          type="date"
          value={view.from}
          max={view.to}
          onChange={(e) => navigate({ preset: "custom", from: e.currentTarget.value, to: view.to })}
        />
      </label>
      <label>
        To{" "}
        <input
          type="date"
          value={view.to}
          min={view.from}
          onChange={(e) => navigate({ preset: "custom", from: view.from, to: e.currentTarget.value })}
        />
      </label>
      <label>
        Time zone{" "}
        <select value={view.timeZone} onChange={(e) => navigate({ timeZone: e.currentTarget.value })}>
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}

/** Reruns the page under an older campaign ruleset: the numbers as the campaigns were then. */
export function AsOfPicker(props: { view: ViewState }) {
  const versions = useAnswer((signal) => campaigns.listRulesetVersions({}, { signal }), []);
  const list = versions.data?.versions ?? [];
  return (
    <label class="as-of">
      Campaigns as of{" "}
      <select
        data-testid="as-of"
        value={String(props.view.asOf)}
        onChange={(e) => navigate({ asOf: Number(e.currentTarget.value) })}
      >
        <option value="0">now (current rules)</option>
        {[...list].reverse().map((v) => (
          <option key={String(v.version)} value={String(v.version)}>
            version {String(v.version)}
            {v.createdAt ? ` · ${new Date(Number(v.createdAt.seconds) * 1000).toLocaleString()}` : ""}
            {v.change ? ` · ${v.change}` : ""}
          </option>
        ))}
      </select>
    </label>
  );
}
