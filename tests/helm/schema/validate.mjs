// Validates the chart's rendered manifests against Kubernetes schemas.
//
//   node tests/helm/schema/validate.mjs [-v] RENDERED_JSON
//
// RENDERED_JSON is what `helmcheck test -out DIR` writes (DIR/rendered.json):
// [{scenario, source, doc}]. Two checks per document:
//   1. schema: the kubernetes-models class of its apiVersion/kind validates
//      it (JSON schemas generated from the Kubernetes OpenAPI spec, and from
//      the Prometheus Operator's CRDs for ServiceMonitor and PrometheusRule):
//      types, required fields, enums, formats.
//   2. fields: the TypeScript compiler checks the document as an object
//      literal of the model's interface, which rejects any field the API does
//      not have (the JSON schemas allow unknown fields; the API server drops
//      them with a warning, so a misspelt securityContext field would
//      otherwise pass unnoticed).
// Before that, a broken DaemonSet is run through both, to show each check
// does fail. Prints failures (every check with -v) and "N passed, N failed".
import { readFileSync } from "node:fs";
import { Checks, typeCheck } from "./lib.mjs";

const verbose = process.argv.includes("-v");
const checks = new Checks(verbose);
const check = checks.check.bind(checks);

function modulePath(apiVersion, kind) {
  if (apiVersion === "v1") return `kubernetes-models/v1/${kind}`;
  if (apiVersion === "monitoring.coreos.com/v1")
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  if (/^[a-z0-9.]+\/v[0-9a-z]+$/.test(apiVersion)) {
    const [group, version] = apiVersion.split("/");
    return `kubernetes-models/${group}/${version}/${kind}`;
  }
  return null;
}

async function schemaErrors(doc) {
  const mod = modulePath(doc.apiVersion, doc.kind);
  if (!mod) return `no model for apiVersion ${doc.apiVersion}`;
  let Cls;
  try {
    Cls = (await import(mod))[doc.kind];
  } catch (e) {
    return `no model ${mod}: ${e.message}`;
  }
  if (typeof Cls !== "function") return `no class ${doc.kind} in ${mod}`;
  try {
    new Cls(structuredClone(doc)).validate();
    return null;
  } catch (e) {
    return e.message || String(e);
  }
}

// Type-checks every document as `const dN: I<Kind> = <doc>;` in one program
// (a virtual file, nothing written to disk). Returns, per document index, the
// compiler's messages.
function fieldErrors(docs) {
  const lines = ['// generated'];
  const lineOf = [];
  docs.forEach((doc, i) => {
    const mod = modulePath(doc.apiVersion, doc.kind);
    lineOf.push(lines.length);
    lines.push(`export const d${i}: import(${JSON.stringify(mod)}).I${doc.kind} = ${JSON.stringify(doc)};`);
  });
  const perDoc = docs.map(() => []);
  const global = [];
  for (const { line, message } of typeCheck(lines, "__rendered_manifests__.mts")) {
    const i = lineOf.indexOf(line);
    if (i < 0) global.push(message);
    else perDoc[i].push(message);
  }
  return { perDoc, global };
}

function brokenDaemonSet(securityContext) {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "broken" },
    spec: {
      selector: { matchLabels: { a: "b" } },
      template: {
        metadata: { labels: { a: "b" } },
        spec: { containers: [{ name: "c", image: "i", securityContext }] },
      },
    },
  };
}

const input = process.argv.slice(2).find((a) => a !== "-v");
if (!input) {
  console.error("usage: node validate.mjs [-v] RENDERED_JSON");
  process.exit(2);
}
const rendered = JSON.parse(readFileSync(input, "utf8"));

// The checks can fail: a broken document fails both.
const brokenSchema = await schemaErrors(brokenDaemonSet({ privileged: "no" }));
check(brokenSchema !== null && /privileged/.test(brokenSchema),
  "self-test: the schema check rejects a DaemonSet with privileged: \"no\"", brokenSchema ?? "accepted");
const brokenFields = fieldErrors([brokenDaemonSet({ readOnlyRootFileSystem: true })]);
check(brokenFields.perDoc[0].some((m) => /readOnlyRootFileSystem/.test(m)),
  "self-test: the field check rejects a DaemonSet with the misspelt field readOnlyRootFileSystem",
  brokenFields.perDoc[0].join("; ") || "accepted");

check(rendered.length > 0, `${rendered.length} rendered documents to check`);
const docs = rendered.map((r) => r.doc);
const fields = fieldErrors(docs);
check(fields.global.length === 0, "field check: the models' type declarations load", fields.global.join("; "));
for (let i = 0; i < rendered.length; i++) {
  const { scenario, doc } = rendered[i];
  const id = `${scenario}: ${doc.kind}/${doc.metadata?.name} (${doc.apiVersion})`;
  const err = await schemaErrors(doc);
  check(err === null, `schema: ${id}`, err);
  check(fields.perDoc[i].length === 0, `fields: ${id} has only fields the API knows`, fields.perDoc[i].join("; "));
}
if (checks.failed === 0) {
  const scenarios = new Set(rendered.map((r) => r.scenario)).size;
  console.log(`ok   ${rendered.length} documents of ${scenarios} scenarios: valid against their schemas, no unknown field`);
}
checks.finish("helm schema checks");
