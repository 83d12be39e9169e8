# Sourced, not run: build_helmcheck WORKDIR builds tests/helm/render (the
# chart renderer, Go: text/template + sprig + Helm's functions) into
# WORKDIR/helmcheck against Debian's Go library sources, with no module
# download and no network; the Go caches go to WORKDIR. Returns 0 when built;
# otherwise prints why and returns 77 (a Debian package is missing: say
# SKIPPED) or 1 (the renderer does not build).
# Needs: golang-go, golang-github-masterminds-sprig-dev,
# golang-gopkg-yaml.v2-dev, golang-gopkg-yaml.v3-dev.
build_helmcheck() {
	local work=$1 src=${MEMACCT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
	local gocode=${MEMACCT_GOCODE:-/usr/share/gocode} # Debian's Go library sources
	if ! command -v go >/dev/null 2>&1; then
		echo "go is not installed (Debian package golang-go)"
		return 77
	fi
	local pkg
	for pkg in github.com/Masterminds/sprig:golang-github-masterminds-sprig-dev \
		gopkg.in/yaml.v2:golang-gopkg-yaml.v2-dev gopkg.in/yaml.v3:golang-gopkg-yaml.v3-dev; do
		if [[ ! -d $gocode/src/${pkg%%:*} ]]; then
			echo "Go package ${pkg%%:*} is missing from $gocode (Debian package ${pkg##*:})"
			return 77
		fi
	done
	# GOPATH mode against Debian's /usr/share/gocode; nothing goes into the tree.
	if ! (cd "$src" && GO111MODULE=off GOPATH="$work/gopath:$gocode" GOCACHE="$work/gocache" \
		GOPROXY=off GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 \
		go build -o "$work/helmcheck" ./tests/helm/render) >"$work/build.log" 2>&1; then
		cat "$work/build.log"
		if grep -q "cannot find package" "$work/build.log"; then
			echo "a Go package the renderer imports is missing (see above)"
			return 77
		fi
		echo "tests/helm/render does not build"
		return 1
	fi
}
