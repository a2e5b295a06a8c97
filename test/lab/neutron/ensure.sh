#!/usr/bin/env bash
# npm pretest: the Neutron tier (issue 4) runs by default when root; it needs Debian's OpenStack Zed packages
# (~1 min, ~780 MB the first time, silent and instant after). NEUTRACE_NEUTRON_LAB=0 opts out of both.
set -euo pipefail
if [ "${NEUTRACE_NEUTRON_LAB:-1}" = 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "test/lab/neutron/ensure.sh: not root: the Neutron tier will be skipped" >&2
  exit 0
fi
exec bash "$(dirname "$0")/install.sh"
