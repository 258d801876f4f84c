# Shared by cinder-up.sh and cinder-down.sh: where the harness keeps its state, and
# how it recognises, starts and stops its own processes. Sourced, never executed.
# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this

# The state dir holds everything one harness instance owns: configs, the sqlite DB, the
# loop image, logs, PID files, env.sh and clouds.yaml. A marker file guards rm -rf.
E2E_DIR=${SNAPPORT_E2E_DIR:-${TMPDIR:-/tmp}/snapport-e2e}
E2E_MARKER=$E2E_DIR/.snapport-e2e
ETC=$E2E_DIR/etc
RUN=$E2E_DIR/run
LOG=$E2E_DIR/log
DATA=$E2E_DIR/data
LVMDIR=$E2E_DIR/lvm
IMG=$DATA/pv.img

say() { echo "[e2e $(date +%T)] $*"; }
die() {
    echo "[e2e $(date +%T)] ERROR: $*" >&2
    exit 1
}

# Field N (1-based, counted after the parenthesised command name) of /proc/PID/stat.
# The command name may contain spaces, so the line is cut after its last ')'.
proc_stat_field() {
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -r -a fields <<<"${stat##*) }"
    # fields[0] is field 3 (state), so field N sits at index N-3
    echo "${fields[$(($2 - 3))]}"
}

# Start time of PID in clock ticks since boot: with the PID it identifies a process for
# good, so a recycled PID is never mistaken for one of ours.
proc_start() { proc_stat_field "$1" 22; }

# PIDs whose process group is PGID.
group_members() {
    local pgid=$1 p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$(proc_stat_field "$p" 5 2>/dev/null)" = "$pgid" ] && echo "$p"
    done
    return 0
}

# PIDs whose environment carries this instance's marker. Every process the harness
# starts gets SNAPPORT_E2E_OWNER=<state dir>; children inherit it, so this finds the
# ones that left their process group (privsep daemons, Erlang helpers).
marked_processes() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "SNAPPORT_E2E_OWNER=$E2E_DIR" && echo "$p"
    done
    return 0
}

# True when the process recorded in run/NAME.pid is still the one we started.
alive() {
    local f=$RUN/$1.pid pid start
    [ -f "$f" ] || return 1
    read -r pid start <"$f"
    [ -n "$pid" ] && [ "$(proc_start "$pid" 2>/dev/null)" = "$start" ]
}

# Record a just-started background process (its PID is its process-group id, since it
# was started with setsid).
record() {
    local name=$1 pid=$2 start
    start=$(proc_start "$pid") || die "$name (pid $pid) exited right after its start; see $LOG/$name.out"
    echo "$pid $start" >"$RUN/$name.pid"
    # setsid makes it a group leader once it has run; cinder-down.sh relies on that
    for _ in $(seq 1 20); do
        [ "$(proc_stat_field "$pid" 5)" = "$pid" ] && return 0
        sleep 0.05
    done
    die "$name (pid $pid) did not become a process-group leader"
}
