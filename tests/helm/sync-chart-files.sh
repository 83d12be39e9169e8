#!/usr/bin/env bash
# Copies the shipped rule file and dashboards into the Helm chart, which can
# only read files inside itself (.Files.Get): dashboards/rules/memacct.rules.yml
# -> helm/memacct-exporter/files/memacct.rules.yml and dashboards/*.json ->
# helm/memacct-exporter/files/dashboards/. tests/integration/helm.sh fails
# while a copy differs from its source. Run after editing the sources.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
files=$root/helm/memacct-exporter/files
mkdir -p "$files/dashboards"
if [[ -f $root/dashboards/rules/memacct.rules.yml ]]; then
	cp "$root/dashboards/rules/memacct.rules.yml" "$files/memacct.rules.yml"
	echo "copied dashboards/rules/memacct.rules.yml"
fi
# Dashboards the source no longer has go away from the chart too.
for f in "$files"/dashboards/*.json; do
	[[ -e $f ]] || continue
	[[ -f $root/dashboards/$(basename "$f") ]] || { rm -f "$f"; echo "removed $(basename "$f")"; }
done
for f in "$root"/dashboards/*.json; do
	[[ -e $f ]] || continue
	cp "$f" "$files/dashboards/"
	echo "copied dashboards/$(basename "$f")"
done
