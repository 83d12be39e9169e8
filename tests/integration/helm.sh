#!/usr/bin/env bash
# The Helm chart (helm/memacct-exporter), checked without helm or a cluster:
#  1. tests/helm/render (Go: text/template + sprig + Helm's own functions)
#     renders the chart with the default values, tests/helm/values-all-on.yaml
#     and other scenarios, in Helm's default and strict modes, and asserts the
#     security settings, flags, mounts, Service/ServiceMonitor wiring,
#     PrometheusRule and dashboard contents, that values.yaml documents every
#     field, and that the chart's copies of dashboards/rules/memacct.rules.yml
#     and dashboards/*.json are identical to the sources;
#  2. tests/helm/schema/validate.mjs validates every rendered document against
#     the Kubernetes and Prometheus Operator schemas (kubernetes-models) and
#     rejects unknown fields (TypeScript's excess-property check);
#  3. tests/helm/schema/dashboards.mjs checks the dashboards the chart
#     carries (dashboards/*.json, identical to its copies) against Grafana's
#     published dashboard schema (@grafana/schema's types), the same way.
# Needs: Debian's golang-go, golang-github-masterminds-sprig-dev,
# golang-gopkg-yaml.v2-dev, golang-gopkg-yaml.v3-dev; node and
# `npm ci --prefix tests/helm`. Installs nothing and downloads nothing; exit 77
# (SKIPPED) when those are missing. Writes only under $MEMACCT_BUILD/helm-test,
# or a temporary directory. MEMACCT_HELM_VERBOSE=1 prints every check.
set -uo pipefail

src=${MEMACCT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
source "$src/tests/helm/build.bash"
verbose=()
[[ ${MEMACCT_HELM_VERBOSE:-0} == 1 ]] && verbose=(-v) # print every check

skip() {
	echo "SKIPPED: $*"
	exit 77
}

if [[ -n ${MEMACCT_BUILD:-} ]]; then
	work=$MEMACCT_BUILD/helm-test
	rm -rf "$work"
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi

echo "== building tests/helm/render ($(go version 2>/dev/null | cut -d' ' -f3))"
why=$(build_helmcheck "$work")
case $? in
0) ;;
77) skip "$why" ;;
*)
	echo "$why"
	echo "FAIL: tests/helm/render does not build"
	exit 1
	;;
esac

echo "== rendering and checking the chart (tests/helm/render)"
"$work/helmcheck" test "${verbose[@]}" -src "$src" -out "$work/out"
go_rc=$?
if [[ -n ${MEMACCT_BUILD:-} ]]; then
	echo "   rendered YAML of each scenario: $work/out/*.yaml"
fi

if [[ $go_rc -ne 0 ]]; then
	echo "FAIL: chart checks failed (above)"
	exit 1
fi

if ! command -v node >/dev/null 2>&1; then
	skip "schema validation: node is not installed (the render checks above passed)"
fi
if [[ ! -d $src/tests/helm/node_modules/kubernetes-models || ! -d $src/tests/helm/node_modules/typescript ||
	! -d $src/tests/helm/node_modules/@kubernetes-models/prometheus-operator ||
	! -d $src/tests/helm/node_modules/@grafana/schema ]]; then
	skip "schema validation: tests/helm/node_modules is missing: run 'npm ci --prefix tests/helm' (the render checks above passed)"
fi

echo "== validating the rendered manifests against the Kubernetes schemas (tests/helm/schema)"
node "$src/tests/helm/schema/validate.mjs" "${verbose[@]}" "$work/out/rendered.json"
node_rc=$?
if [[ $node_rc -ne 0 ]]; then
	echo "FAIL: schema validation failed (above)"
	exit 1
fi

echo "== validating the dashboards against Grafana's dashboard schema (tests/helm/schema/dashboards.mjs)"
if ! node "$src/tests/helm/schema/dashboards.mjs" "${verbose[@]}" "$src"/dashboards/*.json; then
	echo "FAIL: a dashboard does not match Grafana's schema (above)"
	exit 1
fi

cat <<'SUMMARY'
== checked
 - the chart renders (text/template + sprig + Helm's functions) with the default
   values, tests/helm/values-all-on.yaml and 4 more scenarios, in Helm's default
   and strict (missingkey=error) modes; 7 wrong settings fail with a clear message
 - DaemonSet: hostPID, readOnlyRootFilesystem, allowPrivilegeEscalation false,
   not privileged, capabilities drop ALL, seccomp RuntimeDefault, runAsNonRoot
   (non-zero uid) when PSS is off, exactly SYS_PTRACE and uid 0 when it is on,
   every mount read-only, host paths exactly cgroupfs, /proc (+ /var/log/
   containers and /var/log/pods with pod names, on by default) at /host/...,
   --path.sysfs=/host/sys and no --path.cgroupfs, never a --nats.* flag, env
   or Secret, resources, tolerations, probes
 - JetStream poller (with nats.url only): one Deployment, one replica,
   Recreate, the DaemonSet's image and security settings, no host path, only
   the jetstream collector, every --nats.* file in a mounted Secret, $(VAR)
   args defined, no password on the command line; its selector and the
   DaemonSet's never match each other's pods
 - Service/ServiceMonitor per part, each selecting only its own pods or
   Service, the node (and cluster) label relabelings, no node label on the
   poller's; PrometheusRule groups equal to files/memacct.rules.yml with every
   runbook_url on prometheusRule.runbookBaseURL, one dashboard ConfigMap per
   JSON, byte for byte
 - every flag the chart passes is in the exporter's flag table (src/cli/flags.c),
   with a value of the right form
 - values.yaml documents every field; Chart.yaml; the chart's copies of the
   rules and dashboards equal their sources
 - every rendered document validates against the Kubernetes / Prometheus
   Operator schemas (kubernetes-models) and has no unknown field (TypeScript)
 - every dashboard type-checks against Grafana's Dashboard and panel plugin
   types (@grafana/schema): no unknown field, no value Grafana does not have
SUMMARY
exit 0
