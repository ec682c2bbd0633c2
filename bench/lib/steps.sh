# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The options that bench/compare-kamailio.sh and bench/memif-sipsteer.sh share (the stepped
# load schedule, the cores, the build and data folders), read and checked in one place. Source
# it before the argument loop, with STEPS_NAME set to the script's name (for messages) and the
# variables below holding the script's defaults, then:
#
#   steps_option ARGC OPTION [VALUE]
#                   in the loop, for an option the script does not read itself: 0 when it is
#                   one of the shared options (its value stored; the caller shifts it), 1 when
#                   it is not; exits with status 2 when its value is missing
#   steps_check     after the loop: every shared value is checked, status 2 and a message
#                   naming the option on the first bad one
#   steps_die MESSAGE...
#                   "NAME: MESSAGE" on stderr, status 2
#
# The shared options and the variables they set: --build BUILD, --step-s STEP_S (whole seconds
# >= 1), --start-rate START_RATE (calls/s >= 1), --factor FACTOR (above 1), --max-steps
# MAX_STEPS (>= 1), --idle-sleep-us IDLE_US (0 to 100000, sipsteer's own limit for
# idle_sleep_us), --data DATA_DIR, --load-cpu LOAD_CPU and --balancer-cpu BAL_CPU (CPU numbers).

steps_die() {
	echo "$STEPS_NAME: $*" >&2
	exit 2
}

steps_option() {
	local argc=$1 opt=$2
	case $opt in
	--build | --step-s | --start-rate | --factor | --max-steps | --idle-sleep-us | --data | \
		--load-cpu | --balancer-cpu) ;;
	*) return 1 ;;
	esac
	[ "$argc" -ge 2 ] || steps_die "$opt needs a value"
	case $opt in
	--build) BUILD=$3 ;;
	--step-s) STEP_S=$3 ;;
	--start-rate) START_RATE=$3 ;;
	--factor) FACTOR=$3 ;;
	--max-steps) MAX_STEPS=$3 ;;
	--idle-sleep-us) IDLE_US=$3 ;;
	--data) DATA_DIR=$3 ;;
	--load-cpu) LOAD_CPU=$3 ;;
	--balancer-cpu) BAL_CPU=$3 ;;
	esac
	return 0
}

steps_check() {
	if ! [[ $IDLE_US =~ ^[0-9]{1,6}$ ]] || [ "$IDLE_US" -gt 100000 ]; then
		steps_die "--idle-sleep-us '$IDLE_US': want microseconds from 0 to 100000"
	fi
	# The ranges sipsteer-bench load takes (--duration, --rate, --steps, --factor), checked
	# here so that a bad value stops the script before it builds anything.
	if ! [[ $STEP_S =~ ^[1-9][0-9]{0,4}$ ]] || [ "$STEP_S" -gt 86400 ]; then
		steps_die "--step-s '$STEP_S': want whole seconds from 1 to 86400"
	fi
	if ! [[ $START_RATE =~ ^[1-9][0-9]{0,7}$ ]] || [ "$START_RATE" -gt 10000000 ]; then
		steps_die "--start-rate '$START_RATE': want calls/s from 1 to 10000000"
	fi
	if ! [[ $MAX_STEPS =~ ^[1-9][0-9]{0,2}$ ]] || [ "$MAX_STEPS" -gt 100 ]; then
		steps_die "--max-steps '$MAX_STEPS': want a number from 1 to 100"
	fi
	if ! [[ $FACTOR =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
		! python3 -c "import sys; sys.exit(not 1 < $FACTOR <= 10)"; then
		steps_die "--factor '$FACTOR': want a number above 1, at most 10"
	fi
	# Every step's calls (rate x seconds) within what one load run takes.
	python3 -c "import sys; sys.exit(not $START_RATE * $FACTOR ** ($MAX_STEPS - 1) * $STEP_S <= 16777216)" ||
		steps_die "--start-rate $START_RATE, --factor $FACTOR, --max-steps $MAX_STEPS and --step-s $STEP_S: the last step would send more than 16777216 calls (fewer steps, a smaller factor or shorter steps)"
	[[ $LOAD_CPU =~ ^[0-9]+$ ]] || steps_die "--load-cpu '$LOAD_CPU': want a CPU number"
	[[ $BAL_CPU =~ ^[0-9]+$ ]] || steps_die "--balancer-cpu '$BAL_CPU': want a CPU number"
}
