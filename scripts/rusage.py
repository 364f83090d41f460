#!/usr/bin/env python3
"""Runs a command and prints its CPU time, children included, as one JSON line on stderr.

RUSAGE_CHILDREN covers every descendant that was waited for: a peer's worker processes count as
long as the peer reaps them (both peers do), which `ps` sampling would miss between samples.
Usage: rusage.py OUT.json CMD [ARGS...]
"""
import json
import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
rc = subprocess.run(cmd).returncode
wall = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    json.dump({"rc": rc, "wallS": wall, "userS": r.ru_utime, "sysS": r.ru_stime, "maxRssOneProcessKb": r.ru_maxrss}, f)
sys.exit(rc)
