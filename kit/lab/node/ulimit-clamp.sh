# Sourced by init scripts (via /lib/lsb/init-functions). The lab's host dockerd cannot hand its nodes
# CAP_SYS_RESOURCE, so raising a hard limit fails where a Pi succeeds (docker's init script does
# `ulimit -n 1048576`): clamp such requests to the node's hard limit instead of aborting the script.
ulimit() {
  command ulimit "$@" 2>/dev/null && return 0
  case "$1" in
    -n|-p|-u) command ulimit "$1" "$(command ulimit -H "$1")" ;;
    *) command ulimit "$@" ;;
  esac
}
