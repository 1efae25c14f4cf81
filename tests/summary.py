#!/usr/bin/python3
"""Count test results for `make check` and print one summary line.

Inputs (any number of each, in any order):

  --testlog FILE   a meson testlog.json: one JSON object per line, each with
                   a "name" and a "result" (OK, FAIL, SKIP, EXPECTEDFAIL,
                   UNEXPECTEDPASS, TIMEOUT, ERROR).
  --results FILE   a plain results file as written by tests/run-pipelines.sh,
                   tests/check-indent.sh and the Makefile: one result a line,
                   "PASS name", "FAIL name [detail]" or "SKIP name [detail]";
                   blank lines and lines starting with '#' are ignored.

OK and EXPECTEDFAIL count as passed; SKIP as skipped; everything else
(including an unknown result, an unreadable line or a missing file) as
failed.  Failures are listed first, then the last line is exactly
"N passed, N failed" plus ", N skipped" when some were skipped.

Exit status: 0 when nothing failed, 1 otherwise, 2 on a usage error.
--quiet prints nothing (the exit status still tells).
"""

import argparse
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL", "PASS"}
SKIPPED = {"SKIP"}


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = []  # (name, result, source)
        self.skipped = 0

    def add(self, name, result, source):
        if result in PASSED:
            self.passed += 1
        elif result in SKIPPED:
            self.skipped += 1
        else:
            self.failed.append((name, result, source))

    def line(self):
        text = "%d passed, %d failed" % (self.passed, len(self.failed))
        if self.skipped:
            text += ", %d skipped" % self.skipped
        return text


def read_lines(path, tally):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError as e:
        tally.add("cannot read: %s" % (e.strerror or e), "MISSING", path)
        return []


def read_testlog(path, tally):
    for n, line in enumerate(read_lines(path, tally), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            name = str(entry.get("name", "?"))
            result = str(entry["result"]).upper()
        except (ValueError, KeyError, AttributeError):
            tally.add("line %d" % n, "UNREADABLE", path)
            continue
        tally.add(name, result, path)


def read_results(path, tally):
    for line in read_lines(path, tally):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        status, _, rest = line.partition(" ")
        tally.add(rest.strip() or "?", status.upper(), path)


def main(argv):
    parser = argparse.ArgumentParser(
        description="Summarise meson testlogs and results files.")
    parser.add_argument("--testlog", action="append", default=[],
                        metavar="FILE", help="meson testlog.json")
    parser.add_argument("--results", action="append", default=[],
                        metavar="FILE", help="PASS/FAIL/SKIP lines")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing, only set the exit status")
    args = parser.parse_args(argv)

    tally = Tally()
    for path in args.testlog:
        read_testlog(path, tally)
    for path in args.results:
        read_results(path, tally)

    if not args.quiet:
        for name, result, source in tally.failed:
            print("%s: %s  (%s)" % (result, name, source))
        print(tally.line())
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
