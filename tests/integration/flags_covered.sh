#!/usr/bin/env bash
# Every flag `memacct_exporter --help` lists is used by a test: its name
# (--name, or --no-name for a --[no-]name flag; each collector of
# --[no-]collector.NAME by itself) appears in a test file under tests/ (C,
# shell, Python, Go, JavaScript; this file aside). Flags whose real check
# needs infrastructure (a nats-server, TLS, a real Prometheus) are listed
# below with the one test that exercises them, and that test must name the
# flag. It checks names only: a flag named in a test that does not run it
# still passes here (a test that asserts nothing fails review, not this).
set -euo pipefail
source "$(dirname "$0")/lib.bash"
tests_dir=$MEMACCT_SRC/tests
self=$(realpath "$0")

# flag -> the test that exercises it against real infrastructure.
# --nats.token-file is not listed: today it is parsed but never read, and no
# test uses it, so this test fails on it until the flag is wired and
# integration/jetstream_auth.sh logs in with a token file (issue 10, item 7).
declare -A covered_by=(
  [--web.config.file]=integration/web_config.sh
  [--nats.url]=integration/jetstream_values.sh
  [--nats.poll-interval]=integration/jetstream_values.sh
  [--nats.user]=integration/jetstream_auth.sh
  [--nats.password-file]=integration/jetstream_auth.sh
  [--nats.token]=integration/jetstream_auth.sh
  [--nats.nkey]=integration/jetstream_auth.sh
  [--nats.creds]=integration/jetstream_auth.sh
  [--nats.tls.ca]=integration/jetstream_tls.sh
  [--nats.tls.cert]=integration/jetstream_tls.sh
  [--nats.tls.key]=integration/jetstream_tls.sh
  [--nats.poll-timeout]=integration/jetstream_paging.sh
  [--nats.stream-exclude]=integration/jetstream_paging.sh
  [--nats.max-streams]=integration/jetstream_paging.sh
  [--nats.stale-after]=integration/jetstream_restart.sh
  [--nats.consumer-include]=integration/jetstream_consumers.sh
  [--nats.consumer-exclude]=integration/jetstream_consumers.sh
  [--nats.max-consumers]=integration/jetstream_consumers.sh
  [--nats.domain]=integration/jetstream_domain.sh
  [--nats.api-prefix]=integration/jetstream_domain.sh
)

# The test files: source, not data (the fixture captures, golden files,
# READMEs and node_modules say nothing about what runs).
mapfile -t files < <(find "$tests_dir" -name node_modules -prune -o -type f \
  \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.bash' -o -name '*.py' \
     -o -name '*.go' -o -name '*.mjs' -o -name '*.js' \) -print | sort)
others=()
for f in "${files[@]}"; do [ "$(realpath "$f")" = "$self" ] || others+=("$f"); done
[ "${#others[@]}" -gt 10 ] || fail "found only ${#others[@]} test files under $tests_dir"

# grep -E for the flag as a whole word: not a prefix of a longer flag.
flag_re() { printf '(^|[^A-Za-z0-9._-])%s([^A-Za-z0-9._-]|$)' "$(printf '%s' "$1" | sed 's/[.]/\\./g')"; }

# The flags, one a line, as --help spells them: "--name", "--[no-]name".
help=$("$MEMACCT_BIN" --help)
mapfile -t listed < <(printf '%s\n' "$help" | grep -E '^  -' | sed -E 's/^  (-[^ =]+).*/\1/')
[ "${#listed[@]}" -gt 0 ] || fail "no flag found in --help"
for l in "${listed[@]}"; do
  [[ $l =~ ^--(\[no-\])?[a-z][a-zA-Z0-9.-]*$ ]] || fail "cannot read the flag '$l' in --help"
done

# Each entry: the names of which one must appear ("--x" or "--x --no-x").
wanted=()
for l in "${listed[@]}"; do
  if [[ $l == --\[no-\]collector.NAME ]]; then
    # "Enable or disable a collector: cgroup, process, node, jetstream, self."
    names=$(printf '%s\n' "$help" | grep -F -- "$l" | sed -E 's/.*: //; s/\.$//; s/, / /g')
    for n in $names; do
      [[ $n =~ ^[a-z]+$ ]] || fail "cannot read the collector '$n' in --help"
      wanted+=("--collector.$n --no-collector.$n")
    done
  elif [[ $l == --\[no-\]* ]]; then
    wanted+=("--${l#--\[no-\]} --no-${l#--\[no-\]}")
  else
    wanted+=("$l")
  fi
done

missing=0
for w in "${wanted[@]}"; do
  first=${w%% *}
  if [ -n "${covered_by[$first]:-}" ]; then
    t=$tests_dir/${covered_by[$first]}
    [ -f "$t" ] || { echo "FAIL $first: the listed test ${covered_by[$first]} does not exist"; missing=$((missing + 1)); continue; }
    if grep -qE -- "$(flag_re "$first")" "$t"; then
      echo "ok $first: ${covered_by[$first]} (real infrastructure)"
    else
      echo "FAIL $first: listed as covered by ${covered_by[$first]}, which does not use it"
      missing=$((missing + 1))
    fi
    continue
  fi
  users=()
  for name in $w; do
    mapfile -t -O "${#users[@]}" users < <(grep -lE -- "$(flag_re "$name")" "${others[@]}" || true)
  done
  if [ "${#users[@]}" -gt 0 ]; then
    echo "ok ${w// / or }: ${#users[@]} test file(s), e.g. ${users[0]#"$tests_dir"/}"
  else
    echo "FAIL ${w// / or }: no test under tests/ uses it"
    missing=$((missing + 1))
  fi
done
# A listed flag that --help no longer shows is a stale entry.
for f in "${!covered_by[@]}"; do
  printf '%s\n' "${listed[@]}" | grep -qxF -- "$f" || fail "$f is listed here but not in --help"
done
[ "$missing" -eq 0 ] || fail "$missing of ${#wanted[@]} flags are used by no test"
echo "all ${#wanted[@]} flags are used by a test"
