#!/usr/bin/env python3
"""Put unmanaged LVs into the e2e harness's volume group, list them, remove them.

The harness VG is metadata-only (activation disabled, no device-mapper), so
`lvcreate -s` cannot make snapshots. A classic LVM snapshot is only metadata, though:
a visible COW LV plus a hidden `snapshotN` LV whose segment ties the COW store to its
origin. This tool writes exactly that into the VG's text metadata and restores it
with `vgcfgrestore`, the same way Cinder's own `lvcreate -s` would have left the VG.

usage:
  seed.py add [--volumes N] [--snapshots M] [--on LV ...] [--style cinder|plain]
  seed.py lvs                  every LV of the VG as JSON (name, attr, origin, size)
  seed.py remove LV ...        lvremove these LVs (snapshots before their origins)

`add` creates N origin LVs named volume-<uuid> and M snapshots of each new origin
and of each --on LV. Snapshot LVs are named _snapshot-<uuid> (--style cinder, what
Cinder leaves behind after an unmanage) or snap-<hex8> (--style plain). It prints the
created LVs as JSON: [{"lv": ..., "kind": "volume"|"snapshot", "origin": ...}].

Environment: SNAPPORT_E2E_VG (or --vg) and LVM_SYSTEM_DIR, both from the harness's
env.sh. Without a private LVM_SYSTEM_DIR this tool refuses to run: the machine's own
LVM configuration is never used. The metadata edit is not atomic against other
writers of the VG: callers make sure Cinder is not renaming LVs at the same time.
"""

import argparse
import json
import os
import random
import re
import string
import subprocess
import sys
import tempfile
import time
import uuid

ALNUM = string.ascii_letters + string.digits


def lvm(*args):
    """Run an lvm command with the harness's private configuration, return stdout."""
    env = dict(os.environ, LVM_SUPPRESS_FD_WARNINGS="1")
    r = subprocess.run(list(args), capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def report(*args):
    """The first report section of an lvm --reportformat json command."""
    return json.loads(lvm(*args, "--reportformat", "json"))["report"][0]


def lvm_uuid():
    """A fresh LV id in LVM's 6-4-4-4-4-4-6 form."""
    return "-".join("".join(random.choice(ALNUM) for _ in range(n)) for n in (6, 4, 4, 4, 4, 4, 6))


def lv_block(name, status, segment):
    """One LV section of VG text metadata with a single segment."""
    seg = "".join(f"\t\t\t\t{line}\n" for line in segment)
    return (
        f"\t\t{name} {{\n"
        f'\t\t\tid = "{lvm_uuid()}"\n'
        f"\t\t\tstatus = [{', '.join(json.dumps(s) for s in status)}]\n"
        "\t\t\tflags = []\n"
        f"\t\t\tcreation_time = {int(time.time())}\n"
        '\t\t\tcreation_host = "snapport-e2e-seed"\n'
        "\t\t\tsegment_count = 1\n\n"
        f"\t\t\tsegment1 {{\n{seg}\t\t\t}}\n"
        "\t\t}\n"
    )


def linear(extents, first_pe):
    return ["start_extent = 0", f"extent_count = {extents}", 'type = "striped"',
            "stripe_count = 1", f'stripes = ["pv0", {first_pe}]']


class Extents:
    """Free physical extents of the VG's single PV, handed out first-fit."""

    def __init__(self, vg):
        segs = report("pvs", "--segments", "--units", "b", "-o",
                      "vg_name,pvseg_start,pvseg_size,lv_name", "--select", f"vg_name={vg}")
        self.free = [[int(s["pvseg_start"]), int(s["pvseg_size"])]
                     for s in segs["pvseg"] if not s["lv_name"]]

    def take(self, count):
        for run in self.free:
            if run[1] >= count:
                start = run[0]
                run[0] += count
                run[1] -= count
                return start
        sys.exit(f"no free run of {count} extents left in the VG")


def add(vg, volumes, snapshots, on, style, vol_gib):
    extent_bytes = int(report("vgs", "--units", "b", "--nosuffix", "-o", "vg_extent_size", vg)
                       ["vg"][0]["vg_extent_size"])
    extents = Extents(vg)
    sizes = {lv["lv_name"]: int(lv["seg_size_pe"])
             for lv in report("lvs", "-o", "lv_name,seg_size_pe", vg)["lv"]}

    fd, path = tempfile.mkstemp(prefix="snapport-e2e-vg-", suffix=".txt")
    os.close(fd)
    try:
        lvm("vgcfgbackup", "-f", path, vg)
        with open(path) as f:
            text = f.read()
        next_snap = max([int(n) for n in re.findall(r"^\s*snapshot(\d+) \{", text, re.M)] + [-1]) + 1

        origins = []
        for name in on:
            if name not in sizes:
                sys.exit(f"no LV {name} in VG {vg}")
            origins.append((name, sizes[name]))
        blocks, created = [], []
        vol_extents = vol_gib * (1 << 30) // extent_bytes
        for _ in range(volumes):
            name = f"volume-{uuid.uuid4()}"
            blocks.append(lv_block(name, ["READ", "WRITE", "VISIBLE"],
                                   linear(vol_extents, extents.take(vol_extents))))
            origins.append((name, vol_extents))
            created.append({"lv": name, "kind": "volume", "origin": None})
        for origin, origin_extents in origins:
            for _ in range(snapshots):
                name = (f"_snapshot-{uuid.uuid4()}" if style == "cinder"
                        else f"snap-{uuid.uuid4().hex[:8]}")
                # An origin-sized COW store, as Cinder's lvcreate -s -L <size> makes:
                # Cinder reports snapshot sizes from it (rounded up to whole GiB).
                blocks.append(lv_block(name, ["READ", "WRITE", "VISIBLE"],
                                       linear(origin_extents, extents.take(origin_extents))))
                blocks.append(lv_block(f"snapshot{next_snap}", ["READ"], [
                    "start_extent = 0", f"extent_count = {origin_extents}", 'type = "snapshot"',
                    "chunk_size = 8", f'origin = "{origin}"', f'cow_store = "{name}"']))
                next_snap += 1
                created.append({"lv": name, "kind": "snapshot", "origin": origin})
        if not blocks:
            return created

        new = "".join(blocks)
        if re.search(r"^\tlogical_volumes \{\n", text, re.M):
            text = re.sub(r"^(\tlogical_volumes \{\n)", lambda m: m.group(1) + "\n" + new,
                          text, count=1, flags=re.M)
        else:
            end = text.rfind("\n}")
            text = text[:end] + "\n\n\tlogical_volumes {\n\n" + new + "\t}\n" + text[end:]
        seqno = int(re.search(r"seqno = (\d+)", text).group(1))
        text = text.replace(f"seqno = {seqno}", f"seqno = {seqno + 1}", 1)
        with open(path, "w") as f:
            f.write(text)
        lvm("vgcfgrestore", "-f", path, vg)
    finally:
        os.remove(path)

    present = {lv["name"] for lv in list_lvs(vg)}
    missing = [c["lv"] for c in created if c["lv"] not in present]
    if missing:
        sys.exit(f"vgcfgrestore succeeded but these LVs are missing: {missing}")
    return created


def list_lvs(vg):
    rows = report("lvs", "--units", "b", "--nosuffix", "-o",
                  "lv_name,lv_attr,origin,lv_size", vg)["lv"]
    return [{"name": r["lv_name"], "attr": r["lv_attr"], "origin": r["origin"] or None,
             "size_bytes": int(r["lv_size"])} for r in rows]


def remove(vg, names):
    # snapshots first: an origin with snapshots cannot be removed on its own
    by_name = {lv["name"]: lv for lv in list_lvs(vg)}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        sys.exit(f"no such LVs in VG {vg}: {unknown}")
    ordered = sorted(names, key=lambda n: by_name[n]["origin"] is None)
    lvm("lvremove", "-f", *[f"{vg}/{n}" for n in ordered])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vg", default=os.environ.get("SNAPPORT_E2E_VG"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add")
    a.add_argument("--volumes", type=int, default=0)
    a.add_argument("--snapshots", type=int, default=0)
    a.add_argument("--on", nargs="*", default=[])
    a.add_argument("--style", choices=["cinder", "plain"], default="cinder")
    a.add_argument("--vol-gib", type=int, default=1)
    sub.add_parser("lvs")
    r = sub.add_parser("remove")
    r.add_argument("lvs", nargs="+")
    args = ap.parse_args()

    if not args.vg:
        sys.exit("no VG: set SNAPPORT_E2E_VG (source the harness's env.sh) or pass --vg")
    if not os.path.isfile(os.path.join(os.environ.get("LVM_SYSTEM_DIR", ""), "lvm.conf")):
        sys.exit("LVM_SYSTEM_DIR must point at the harness's private lvm.conf (source env.sh)")

    if args.cmd == "add":
        out = add(args.vg, args.volumes, args.snapshots, args.on, args.style, args.vol_gib)
    elif args.cmd == "lvs":
        out = list_lvs(args.vg)
    else:
        remove(args.vg, args.lvs)
        out = {"removed": args.lvs}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
