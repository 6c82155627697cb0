#!/usr/bin/env python3
"""Prints the ninja targets that the tests of one meson suite need, one a line.

    scripts/suite_targets.py BUILD_DIR SUITE

scripts/test.sh builds only these in its TSAN directory, so a test registered in
the `threaded` suite is built and run under TSAN without naming it anywhere else.
A test needs its own executable and everything it `depends` on (chatd, for the
black-box tests). Reads `meson introspect`; standard library only.
"""
import json
import os
import subprocess
import sys


def introspect(build_dir, what):
    out = subprocess.run(["meson", "introspect", build_dir, what],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def in_suite(test, suite):
    # meson names suites "<project>:<suite>"; a subproject's tests carry their own prefix.
    return any(s == suite or s.endswith(":" + suite) for s in test["suite"])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: suite_targets.py BUILD_DIR SUITE")
    build_dir, suite = os.path.abspath(sys.argv[1]), sys.argv[2]
    targets = introspect(build_dir, "--targets")
    # A target's ninja name is its output's path inside the build directory.
    ninja_name_by_id = {t["id"]: os.path.relpath(t["filename"][0], build_dir) for t in targets}
    ninja_name_by_file = {f: os.path.relpath(f, build_dir) for t in targets for f in t["filename"]}

    names = set()
    tests = [t for t in introspect(build_dir, "--tests") if in_suite(t, suite)]
    for test in tests:
        names.update(ninja_name_by_id[d] for d in test["depends"] if d in ninja_name_by_id)
        names.update(ninja_name_by_file[c] for c in test["cmd"] if c in ninja_name_by_file)
    if not names:
        sys.exit(f"suite_targets.py: no test of suite '{suite}' in {build_dir} needs a built target")
    print("\n".join(sorted(names)))


if __name__ == "__main__":
    main()
