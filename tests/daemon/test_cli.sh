#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipsteer's command line, without starting DPDK: --help, --version, --list-drops, usage errors
# (exit 2), --check on the embedded default and on good and bad files (exit 0 / 1).
# usage: test_cli.sh PATH-TO-SIPSTEER
set -u

SIPSTEER=${1:?usage: test_cli.sh PATH-TO-SIPSTEER}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
passed=0

fail() {
	echo "FAIL: $*"
	echo "  stdout: $(head -c 600 "$WORK/out")"
	echo "  stderr: $(head -c 600 "$WORK/err")"
	failures=$((failures + 1))
}

# run NAME EXPECTED-STATUS ARGS...: run sipsteer, check its exit status.
run() {
	local name=$1 want=$2
	shift 2
	"$SIPSTEER" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
	local got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name: exit status $got, expected $want"
		return 1
	fi
	return 0
}

# expect NAME FILE PATTERN: FILE (out or err) matches the extended regex PATTERN.
expect() {
	if ! grep -Eq -- "$3" "$WORK/$2"; then
		fail "$1: $2 does not match /$3/"
		return 1
	fi
	passed=$((passed + 1))
}

# no_eal NAME: the EAL was not started (nothing of it logged).
no_eal() {
	if grep -Eq 'starting EAL|EAL:|TELEMETRY' "$WORK/err" "$WORK/out"; then
		fail "$1: the EAL was started"
		return 1
	fi
	passed=$((passed + 1))
}

# A valid configuration, and variants of it with one defect each.
good="$WORK/good.yaml"
cat >"$good" <<'YAML'
ports:
  - name: lan0
    device: "net_tap0,iface=sst9"
workers: 1
listen:
  ipv4: 198.18.0.10/24
  sip_ports: [5060]
backends:
  - name: be1
    address: 198.18.0.21:5060
    weight: 1
  - name: be2
    address: 198.18.0.22:5060
    weight: 2
sip:
  secret: "5f1e0c7b2a9d48e6b3c4d5e6f7a8b9c0"
YAML

# --help documents every option, the EAL defaults, signals and exit codes.
run help 0 --help && {
	for word in '--config' '--stats-file' '--check' '--log-level' '--version' '--list-drops' \
		'--file-prefix=sipsteer-PID' '--no-huge' '-m 512' '--socket-mem' '--no-pci' '--vdev' '--lcores' \
		'lib.eal:notice' 'SIGHUP' 'SIGUSR1' 'SIGTERM' 'sipsteer: ready' 'exit status'; do
		expect "help mentions $word" out "$(printf '%s' "$word" | sed 's/[.]/[.]/g')"
	done
	no_eal help
}
run help-short 0 -h && expect help-short out '^usage: sipsteer'

run version 0 --version && expect version out '^sipsteer [0-9]+\.[0-9]+\.[0-9]+' && no_eal version
run version-short 0 -V && expect version-short out '^sipsteer '

run list-drops 0 --list-drops && {
	for reason in not_ipv4 not_for_us bad_ip bad_udp multi_seg neigh_miss tx_full \
		sip_no_call_id sip_too_many_hops proxy_not_our_via proxy_bad_branch_mac; do
		expect "list-drops has $reason" out "^$reason "
	done
	# docs/sipsteer.md documents every drop reason the daemon counts.
	docs="${SIPSTEER_TESTS:?}/../docs/sipsteer.md"
	for reason in $(awk '{print $1}' "$WORK/out"); do
		if grep -Fq -- "| \`$reason\` |" "$docs"; then
			passed=$((passed + 1))
		else
			fail "drop reason $reason is not in docs/sipsteer.md"
		fi
	done
}

# Usage errors: a message naming the problem, a hint, exit 2, and no EAL.
run unknown-option 2 --frobnicate && expect unknown-option err "unknown option '--frobnicate'" &&
	expect unknown-option-hint err "sipsteer --help" && no_eal unknown-option
run unknown-short 2 -q && expect unknown-short err "unknown option"
run missing-argument 2 --config && expect missing-argument err "needs an argument"
run missing-stats-argument 2 --stats-file && expect missing-stats-argument err "needs an argument"
run bad-log-level 2 --log-level loud && expect bad-log-level err "log-level.*'loud'"
# The configuration's words only, as control.log_level takes them.
run abbreviated-log-level 2 --log-level warn && expect abbreviated-log-level err "log-level.*'warn'"
run stray-argument 2 --check extra && expect stray-argument err "unexpected argument 'extra'"

# A stats file whose directory is missing fails the start before the EAL, not at the first write.
run stats-dir 1 --config "$good" --stats-file "$WORK/no/such/dir/s.json" &&
	expect stats-dir err "--stats-file .*/no/such/dir/s\.json: cannot write .*s\.json\.tmp: No such file or directory" &&
	no_eal stats-dir

# --check validates without the EAL.
run check-embedded 0 --check && expect check-embedded out '<embedded>: ok' && no_eal check-embedded
run check-good 0 --check --config "$good" && expect check-good out "good.yaml: ok" &&
	no_eal check-good
# Arguments after "--" belong to the EAL, even ones that look like ours.
run check-eal-args 0 --check -- --frobnicate -l 0-1 && no_eal check-eal-args

# Missing file: exit 1, the file named.
run missing-file 1 --check --config "$WORK/nope.yaml" && expect missing-file err "nope\.yaml"
run missing-file-start 1 --config "$WORK/nope.yaml" && expect missing-file-start err "nope\.yaml" &&
	no_eal missing-file-start

# YAML syntax error: FILE:LINE.
bad_syntax="$WORK/syntax.yaml"
printf 'ports:\n  - name: lan0\n    device: "net_tap0\nworkers: [1\n' >"$bad_syntax"
run syntax 1 --check --config "$bad_syntax" && expect syntax err 'syntax\.yaml:[0-9]+:'

# A field out of range: FILE:LINE: FIELD: message, at start as well as with --check.
bad_weight="$WORK/weight.yaml"
sed 's/weight: 2/weight: 70000/' "$good" >"$bad_weight"
run weight 1 --check --config "$bad_weight" &&
	expect weight err 'weight\.yaml:14: backends\[1\]\.weight: .*70000'
run weight-start 1 --config "$bad_weight" &&
	expect weight-start err 'weight\.yaml:14: backends\[1\]\.weight' && no_eal weight-start

bad_workers="$WORK/workers.yaml"
sed 's/^workers: 1/workers: 0/' "$good" >"$bad_workers"
run workers 1 --check --config "$bad_workers" && expect workers err 'workers\.yaml:4: workers'

bad_addr="$WORK/addr.yaml"
sed 's/198.18.0.22:5060/198.18.0.300:5060/' "$good" >"$bad_addr"
run address 1 --check --config "$bad_addr" && expect address err 'addr\.yaml:13: backends\[1\]\.address'

# A device the daemon refuses: net_memif in zero-copy mode, at start as well as with --check.
memif_zc="$WORK/memif-zc.yaml"
sed 's/device: .*/device: "net_memif0,role=client,zero-copy=yes"/' "$good" >"$memif_zc"
run memif-zc 1 --check --config "$memif_zc" &&
	expect memif-zc err 'memif-zc\.yaml:3: ports\[0\]\.device: net_memif in zero-copy mode'
run memif-zc-start 1 --config "$memif_zc" &&
	expect memif-zc-start err 'memif-zc\.yaml:3: ports\[0\]\.device' && no_eal memif-zc-start

unknown_field="$WORK/unknown.yaml"
sed 's/^workers: 1/wrokers: 1/' "$good" >"$unknown_field"
run unknown-field 1 --check --config "$unknown_field" && expect unknown-field err 'unknown\.yaml:4:.*wrokers'

# IPv6-only listen: IPv6 backends are fine; an IPv4 one has no address to send from.
v6_only="$WORK/v6.yaml"
sed -e 's#ipv4: 198.18.0.10/24#ipv6: 2001:db8::10/64#' \
	-e 's/198.18.0.21:5060/"[2001:db8::21]:5060"/' -e 's/198.18.0.22:5060/"[2001:db8::22]:5060"/' \
	"$good" >"$v6_only"
run v6-only 0 --check --config "$v6_only" && passed=$((passed + 1))
sed -e 's#ipv4: 198.18.0.10/24#ipv6: 2001:db8::10/64#' "$good" >"$WORK/v6-v4be.yaml"
run v6-v4be 1 --check --config "$WORK/v6-v4be.yaml" &&
	expect v6-v4be err 'v6-v4be\.yaml:[0-9]*: backends\[0\]\.address: an IPv4 backend needs listen\.ipv4'

# An empty file has no ports.
: >"$WORK/empty.yaml"
run empty 1 --check --config "$WORK/empty.yaml" && expect empty err 'empty\.yaml'

echo "$passed checks passed, $failures failed"
[ "$failures" -eq 0 ]
