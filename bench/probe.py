#!/usr/bin/env python3
"""The outage as a client sees it: GET /health of the source's and the target's URL.

  probe.py run --out FILE [--stop-file F] [--interval 0.1] [--source-interval 1] [--timeout 3]
               URL_SOURCE URL_TARGET
  probe.py analyze FILE

run: one request to the target's URL every --interval until it first answers, and one to the
source's every --source-interval until then, each on its own thread (a request hanging on a frozen
container does not slow the rate); each answer is one line "source|target ok|fail SENT DONE"
(epoch seconds) in FILE. Stops when the stop file exists.
analyze: one JSON object: last_source_ok (the last answer from the source before the target's
first), first_target_ok (the first answer from the target), gap_s (the difference: the longest
time without any answer around the switch), all as epoch seconds of the answers' arrival.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.request


def probe(url, who, timeout, out, lock, answered):
    sent = time.time()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            ok = r.status == 200
    except Exception:
        ok = False
    done = time.time()
    if ok and answered is not None:
        answered.set()
    with lock:
        out.write(f"{who} {'ok' if ok else 'fail'} {sent:.3f} {done:.3f}\n")
        out.flush()


def run(args):
    # The source is asked once a second at most: under TCG each request forks a shell in the
    # container, and ten a second kept alpha's two vCPUs busy (and slowed what is measured). The
    # target is asked every --interval until it first answers (a refused connection costs it
    # nothing), then no more.
    lock = threading.Lock()
    answered = threading.Event()

    def target_probe(out):
        probe(args.target, "target", args.timeout, out, lock, answered)

    with open(args.out, "w") as out:
        start = nxt = time.time()
        next_source = start
        while not (args.stop_file and os.path.exists(args.stop_file)):
            now = time.time()
            if now >= next_source and not answered.is_set():
                threading.Thread(target=probe, args=(args.source, "source", args.timeout, out, lock, None), daemon=True).start()
                next_source = now + args.source_interval
            if not answered.is_set():
                threading.Thread(target=target_probe, args=(out,), daemon=True).start()
            nxt += args.interval
            time.sleep(max(0.0, nxt - time.time()))
        time.sleep(args.timeout + 0.2)  # let the requests in flight answer


def analyze(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 4:
                rows.append((p[0], p[1] == "ok", float(p[2]), float(p[3])))
    target_ok = sorted(r[3] for r in rows if r[0] == "target" and r[1])
    first_target = target_ok[0] if target_ok else None
    source_ok = sorted(r[3] for r in rows if r[0] == "source" and r[1] and (first_target is None or r[3] < first_target))
    last_source = source_ok[-1] if source_ok else None
    gap = round(first_target - last_source, 2) if first_target and last_source else None
    return {"last_source_ok": last_source, "first_target_ok": first_target, "gap_s": gap,
            "requests": len(rows)}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--stop-file")
    r.add_argument("--interval", type=float, default=0.1)
    r.add_argument("--timeout", type=float, default=3.0)
    r.add_argument("--source-interval", type=float, default=1.0)
    r.add_argument("source")
    r.add_argument("target")
    a = sub.add_parser("analyze")
    a.add_argument("file")
    args = ap.parse_args()
    if args.cmd == "run":
        run(args)
    else:
        print(json.dumps(analyze(args.file)))


if __name__ == "__main__":
    sys.exit(main())
