// Checks the shipped Grafana dashboards against Grafana's published schema.
//
//   node tests/helm/schema/dashboards.mjs [-v] DASHBOARD.json...
//
// Grafana publishes its dashboard model as TypeScript types generated from
// its CUE schema (npm @grafana/schema, pinned in tests/helm/package-lock.json):
// the Dashboard kind (panels, rows, variables, links, time, annotations) and,
// per panel plugin, its options and field config. The TypeScript compiler
// checks each dashboard as an object literal of Dashboard, and each panel's
// options and fieldConfig.defaults.custom as literals of its plugin's
// Options and FieldConfig (timeseries, table, stat, text): a field Grafana
// does not know, a value of the wrong type or an enum value it does not have
// (a panel type, a legend mode, a thresholds mode) is an error. Enums are
// compared by value (JSON holds "palette-classic", not
// FieldColorModeId.PaletteClassic). It does not run Grafana's schema
// migrations nor check the PromQL (rules.sh and dashboards_prometheus.sh do).
// A broken dashboard is checked first, to show the check does fail. Prints
// failures (every check with -v) and "N passed, N failed".
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Checks, typeCheck } from "./lib.mjs";

const verbose = process.argv.includes("-v");
const checks = new Checks(verbose);
const check = checks.check.bind(checks);

const SCHEMA = "@grafana/schema/dist/esm/raw";
// Panel plugin -> its generated types (Options, FieldConfig where it has one).
const PLUGINS = {
  timeseries: { mod: `${SCHEMA}/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen`, fieldConfig: true },
  table: { mod: `${SCHEMA}/composable/table/panelcfg/x/TablePanelCfg_types.gen`, fieldConfig: true },
  stat: { mod: `${SCHEMA}/composable/stat/panelcfg/x/StatPanelCfg_types.gen`, fieldConfig: false },
  text: { mod: `${SCHEMA}/composable/text/panelcfg/x/TextPanelCfg_types.gen`, fieldConfig: false },
};
const PRELUDE = [
  `import type { Dashboard } from "${SCHEMA}/dashboard/x/Dashboard_types.gen";`,
  ...Object.entries(PLUGINS).map(([p, { mod }]) => `import type * as P_${p} from "${mod}";`),
  // Enums by value: a string enum becomes the union of its values.
  "type Loose<T> = T extends string ? (string extends T ? T : `${T}`)",
  "  : T extends number | boolean | null | undefined ? T",
  "  : T extends Array<infer U> ? Array<Loose<U>>",
  "  : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;",
];

function walkPanels(panels, out = []) {
  for (const p of panels ?? []) {
    out.push(p);
    walkPanels(p.panels, out);
  }
  return out;
}

// Type-checks every dashboard (and its panels' plugin options) in one
// program, a virtual file. Returns per dashboard the compiler's messages,
// and those outside any dashboard.
function typeErrors(dashboards) {
  const lines = [...PRELUDE];
  const owner = [];
  const add = (i, line) => {
    owner[lines.length] = i;
    lines.push(line);
  };
  dashboards.forEach(({ doc }, i) => {
    add(i, `export const d${i}: Loose<Dashboard> = ${JSON.stringify(doc)};`);
    walkPanels(doc.panels).forEach((p, j) => {
      const plugin = PLUGINS[p.type];
      if (!plugin) return;
      if (p.options !== undefined)
        add(i, `export const o${i}_${j}: Loose<P_${p.type}.Options> = ${JSON.stringify(p.options)};`);
      const custom = p.fieldConfig?.defaults?.custom;
      if (plugin.fieldConfig && custom !== undefined)
        add(i, `export const f${i}_${j}: Loose<P_${p.type}.FieldConfig> = ${JSON.stringify(custom)};`);
    });
  });
  const perDash = dashboards.map(() => []);
  const global = [];
  for (const { line, message } of typeCheck(lines, "__dashboards__.mts")) {
    if (owner[line] === undefined) global.push(message);
    else perDash[owner[line]].push(message);
  }
  return { perDash, global };
}

const files = process.argv.slice(2).filter((a) => a !== "-v");
if (files.length === 0) {
  console.error("usage: node dashboards.mjs [-v] DASHBOARD.json...");
  process.exit(2);
}
const dashboards = files.map((f) => ({ name: basename(f), doc: JSON.parse(readFileSync(f, "utf8")) }));

// The check can fail: a misspelt panel field, an unknown panel legend mode
// and a thresholds mode Grafana does not have are each rejected.
const broken = structuredClone(dashboards[0].doc);
const panel = walkPanels(broken.panels).find((p) => p.type === "timeseries");
panel.gridpos = panel.gridPos;
panel.options.legend.displayMode = "tabel";
const brokenStat = { type: "stat", title: "s", gridPos: { h: 1, w: 1, x: 0, y: 0 },
  fieldConfig: { defaults: { thresholds: { mode: "absolut", steps: [] } }, overrides: [] } };
broken.panels.push(brokenStat);
const self = typeErrors([{ name: "broken", doc: broken }]).perDash[0].join("; ");
check(/gridpos/.test(self), "self-test: a panel with the misspelt field gridpos is rejected", self || "accepted");
check(/tabel/.test(self), "self-test: a timeseries legend displayMode \"tabel\" is rejected", self || "accepted");
check(/absolut/.test(self), "self-test: a thresholds mode \"absolut\" is rejected", self || "accepted");

const { perDash, global } = typeErrors(dashboards);
check(global.length === 0, "the @grafana/schema type declarations load", global.join("; "));
dashboards.forEach(({ name, doc }, i) => {
  const panels = walkPanels(doc.panels);
  const checked = panels.filter((p) => PLUGINS[p.type] || p.type === "row").length;
  check(checked === panels.length, `${name}: every panel is of a type checked here (timeseries, table, stat, text, row)`,
    panels.filter((p) => !PLUGINS[p.type] && p.type !== "row").map((p) => p.type).join(", "));
  check(perDash[i].length === 0,
    `${name}: schemaVersion ${doc.schemaVersion}, ${panels.length} panels, ${doc.templating?.list?.length ?? 0} variables valid against Grafana's Dashboard and panel plugin types`,
    perDash[i].join("; "));
});
checks.finish("grafana dashboard schema checks (@grafana/schema)");
