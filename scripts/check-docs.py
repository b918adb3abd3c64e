#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The documentation against the tree it describes, as TAP.

- every page of Documentation/ parses as reStructuredText with no
  warning (python3-docutils): a table whose text runs past its columns,
  say, is an error docutils reports and a reader sees garbled;
- every file or directory the pages and README.md name (``mm/slab.c``,
  ``selftests/kmalloc/``, ``scripts/*.sh``) exists;
- every function they name with its parentheses (``kslab_ksize()``)
  appears in the sources, unless it is one of the few outside names
  listed below.

A first result plants one error of each kind in a page of its own and
requires all three to be found, so the checks are seen to fail.

    scripts/check-docs.py [ROOT]	(default: this script's tree)
"""
import glob
import io
import os
import re
import sys

import docutils.core
import docutils.utils

# Functions the pages name that no kslab source calls or defines: the
# kernel's, cited for what a module cannot use.
OUTSIDE_NAMES = {"set_memory_np"}

PATH_RE = re.compile(r"``?((?:mm|userspace|kernel|include|selftests|scripts|"
                     r"Documentation|\.ci)/[A-Za-z0-9_./*-]+)``?")
CALL_RE = re.compile(r"``?([A-Za-z_]\w*)\(\)``?")
SOURCE_GLOBS = ("include/**/*.h", "mm/*.[ch]", "userspace/**/*.[ch]",
                "kernel/*.[ch]", "selftests/**/*.[ch]", "scripts/*")


def rst_problems(text, name):
    """docutils' messages of level warning and above for one page."""
    stream = io.StringIO()
    docutils.core.publish_doctree(
        text, source_path=name,
        settings_overrides={"report_level": 2, "halt_level": 5,
                            "warning_stream": stream})
    return [line for line in stream.getvalue().splitlines() if line]


def missing_paths(root, page, text):
    """(line, path) for each named path that is not in the tree."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in PATH_RE.finditer(line):
            path = match.group(1).rstrip(".")
            full = os.path.join(root, path)
            exists = glob.glob(full) if "*" in path else os.path.exists(full)
            if not exists:
                found.append((page, number, path))
    return found


def unknown_calls(known, page, text):
    """(line, name) for each function named that no source mentions."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in CALL_RE.finditer(line):
            name = match.group(1)
            if name not in known and name not in OUTSIDE_NAMES:
                found.append((page, number, name))
    return found


def source_identifiers(root):
    names = set()
    for pattern in SOURCE_GLOBS:
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            # Not this script: its planted names would count as known.
            if os.path.isfile(path) and not os.path.samefile(path, __file__):
                with open(path, errors="replace") as f:
                    names.update(re.findall(r"\b[A-Za-z_]\w*\b", f.read()))
    return names


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def result(self, ok, name, details=()):
        self.count += 1
        self.failed += not ok
        for line in details:
            print("# " + str(line))
        print(("ok" if ok else "not ok") + " %d %s" % (self.count, name))


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    pages = sorted(glob.glob(os.path.join(root, "Documentation", "*.rst")))
    texts = {os.path.relpath(p, root): open(p).read() for p in pages}
    with open(os.path.join(root, "README.md")) as f:
        readme = f.read()
    known = source_identifiers(root)
    tap = Tap()

    print("TAP version 13")
    print("1..%d" % (len(texts) + 3))

    planted = ("Planted\n=======\n\n====  ====\n``toolong``  x\n====  ====\n\n"
               "``mm/no_such_file.c`` and ``kslab_no_such_function()``.\n")
    tap.result(bool(rst_problems(planted, "planted.rst")) and
               bool(missing_paths(root, "planted", planted)) and
               bool(unknown_calls(known, "planted", planted)),
               "checks_find_planted_errors")

    for page, text in texts.items():
        problems = rst_problems(text, page)
        tap.result(not problems, "parses_" + os.path.basename(page)[:-4],
                   problems)

    texts["README.md"] = readme
    bad = [m for page, text in texts.items()
           for m in missing_paths(root, page, text)]
    tap.result(not bad, "named_paths_exist",
               ["%s:%d: %s" % b for b in bad])
    bad = [u for page, text in texts.items()
           for u in unknown_calls(known, page, text)]
    tap.result(not bad, "named_functions_exist",
               ["%s:%d: %s()" % b for b in bad])
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
