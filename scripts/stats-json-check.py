#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Check one kslab_stats_json() document: it validates against the schema
# (python3-jsonschema), every cache has one entry per CPU, and its figures
# add up. Prints one line per check, "NAME ok" or "NAME bad: why", for
# scripts/check-stats-json.sh and scripts/check-kernel.sh to read.
#
#   stats-json-check.py SCHEMA DOCUMENT NR_CPUS [kmalloc]
#
# NR_CPUS "any": as many as the first cache lists. With "kmalloc", the
# document must also show kmalloc's classes in use (a program on the
# malloc wrote it).
import json
import sys


def check_valid(schema, doc):
    import jsonschema

    jsonschema.validate(doc, schema)
    if doc["kslab_stats_version"] != 1:
        return "version %r" % doc["kslab_stats_version"]
    return None


def check_cpus(doc, nr_cpus):
    if nr_cpus is None:
        nr_cpus = len(doc["caches"][0]["cpus"]) if doc["caches"] else 0
    for cache in doc["caches"]:
        cpus = [c["cpu"] for c in cache["cpus"]]
        if cpus != list(range(nr_cpus)):
            return "%s lists CPUs %s" % (cache["name"], cpus)
    return None


def check_figures(doc, want_kmalloc):
    mem = doc["memory"]
    if (mem["in_use_bytes"] + mem["zone_free_bytes"] + mem["cached_bytes"] !=
            mem["zone_bytes"] + mem["large_bytes"]):
        return "memory does not add up: %s" % mem
    if (mem["requested_bytes"] + mem["padding_waste"] + mem["cached_bytes"] +
            mem["tail_waste"] != mem["slab_bytes"]):
        return "internal fragmentation does not add up: %s" % mem
    if mem["large_peak_blocks"] < mem["large_blocks"]:
        return "large allocations above their peak"
    used = 0
    for cache in doc["caches"]:
        name = cache["name"]
        if cache["num_objs"] != cache["num_slabs"] * cache["objs_per_slab"]:
            return "%s: objects do not fill its slabs" % name
        if (cache["active_objs"] > cache["num_objs"] or
                cache["active_slabs"] > cache["num_slabs"]):
            return "%s: more in use than it holds" % name
        in_cpus = sum(c["magazine_objs"] for c in cache["cpus"])
        if in_cpus + cache["depot"]["objs"] != cache["magazine_objs"]:
            return "%s: %d in CPUs and %d in the depot, %d in magazines" % (
                name, in_cpus, cache["depot"]["objs"],
                cache["magazine_objs"])
        frag = cache["fragmentation"]
        slab = cache["num_slabs"] * cache["pages_per_slab"] * 4096
        if frag["slab_bytes"] != slab:
            return "%s: %d bytes of slabs, %d pages of them" % (
                name, frag["slab_bytes"], slab // 4096)
        if (frag["requested_bytes"] + frag["padding_waste"] +
                frag["free_waste"] + frag["tail_waste"] != slab or
                frag["stride_bytes"] !=
                frag["requested_bytes"] + frag["padding_waste"]):
            return "%s: fragmentation does not add up: %s" % (name, frag)
        if name.startswith("kmalloc-") and cache["active_objs"]:
            used += 1
    if want_kmalloc and used < 5:
        return "only %d kmalloc classes in use" % used
    return None


def main():
    schema = json.load(open(sys.argv[1]))
    try:
        doc = json.load(open(sys.argv[2]))
    except ValueError as err:
        print("valid bad: does not parse: %s" % err)
        return 1
    nr_cpus = None if sys.argv[3] == "any" else int(sys.argv[3])
    want_kmalloc = len(sys.argv) > 4 and sys.argv[4] == "kmalloc"
    checks = [
        ("valid", lambda: check_valid(schema, doc)),
        ("cpus", lambda: check_cpus(doc, nr_cpus)),
        ("figures", lambda: check_figures(doc, want_kmalloc)),
    ]
    bad = 0
    for name, check in checks:
        try:
            why = check()
        except Exception as err:  # a schema error, a missing key
            why = "%s: %s" % (type(err).__name__, str(err).splitlines()[0])
        if why:
            bad += 1
            print("%s bad: %s" % (name, why))
        else:
            print("%s ok" % name)
    return 1 if bad else 0


sys.exit(main())
