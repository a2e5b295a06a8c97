"""The OVS project's own flow parser (ovs.flow.ofp.OFPFlow, what ovs-flowviz uses) on a dump-flows file.

Usage: ofp_parse.py FILE LIMIT -> one JSON line: flows parsed, errors, seconds and CPU seconds (reading the file
included).

OVS 3.1's info decoder table spells the packet counter "n_packet" and has no "idle_age", so it refuses every line
ovs-ofctl prints with statistics. The table is mended here, at run time, not in a copy of the module.
"""
import json
import sys
import time

from ovs.flow.decoders import decode_int, decode_time
from ovs.flow.ofp import OFPFlow

_original = OFPFlow._gen_info_decoders


def _mended():
    decoders = _original()
    decoders._decoders.setdefault("n_packets", decode_int)
    decoders._decoders.setdefault("idle_age", decode_time)
    return decoders


OFPFlow._gen_info_decoders = staticmethod(_mended)
OFPFlow._info_decoders = None

path, limit = sys.argv[1], int(sys.argv[2])
flows = errors = 0
first_error = None
start = time.perf_counter()
cpu_start = time.process_time()
with open(path, encoding="utf-8") as f:
    for line in f:
        if "actions=" not in line:
            continue
        if flows >= limit:
            break
        flows += 1
        try:
            OFPFlow(line.strip())
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors += 1
            if first_error is None:
                first_error = f"{type(e).__name__}: {e}"[:200]
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
print(
    json.dumps(
        {"flows": flows, "errors": errors, "firstError": first_error, "seconds": seconds, "cpuSeconds": cpu_seconds}
    )
)
