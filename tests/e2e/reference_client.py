#!/usr/bin/env python3
"""Drive the e2e harness's real Cinder with the reference clients and record what they saw.

The reference clients are python-cinderclient (`cinder ...`) and python-openstackclient
(`openstack ...`), installed in the harness venv. snapport must agree with them, so
this script runs the manage/unmanage flows an operator would type and writes what the
clients printed, parsed, as JSON for the Rust e2e tests to compare against.

usage (run with the harness venv's python, or any python3 once env.sh is sourced):
  reference_client.py flows [--out FILE] [--keep]
      Seeds LVs, then: manageable-list, manage, snapshot-manageable-list,
      snapshot-manage, snapshot-list, the two error cases (unknown volume, missing LV),
      snapshot-unmanage, and openstackclient's view of the same listing. Checks every
      result (safe flags, LV renames per lvs) and exits 1 if any check failed. Without
      --keep it unmanages and removes everything it created at the end.
  reference_client.py view [--deployment a|b] [--backend lvm|rbd]
      What cinderclient sees now: manageable volumes and snapshots of the harness host,
      volumes and snapshots. JSON on stdout. --deployment b asks the second Cinder,
      --backend rbd lists its RBD host instead of its LVM one.

The harness is found through SNAPPORT_E2E_DIR (its env.sh is read).
"""

import argparse
import ast
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ZERO_ID = "00000000-0000-0000-0000-000000000000"


def load_harness():
    """The variables of the harness's env.sh, also put into this process's environment."""
    state = os.environ.get("SNAPPORT_E2E_DIR")
    if not state or not os.path.isfile(os.path.join(state, "env.sh")):
        sys.exit("SNAPPORT_E2E_DIR must point at a running harness (tests/e2e/cinder-up.sh)")
    env = {}
    with open(os.path.join(state, "env.sh")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export ") and "=" in line:
                key, value = line[len("export "):].split("=", 1)
                env[key] = value.strip("'\"")
    os.environ.update(env)
    return env


def parse_cell(text):
    """A prettytable cell as cinderclient prints it, back to a Python value."""
    text = text.strip()
    if text == "-" or text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    if text.isdigit():
        return int(text)
    if text.startswith("{") or text.startswith("["):
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
    return text


def parse_table(out):
    """Rows of a prettytable (`| a | b |` lines under a header row) as dicts."""
    rows = [line for line in out.splitlines() if line.startswith("|")]
    if not rows:
        return []
    header = [h.strip() for h in rows[0].strip("|").split("|")]
    return [dict(zip(header, (parse_cell(c) for c in row.strip("|").split("|")))) for row in rows[1:]]


def parse_properties(out):
    """A cinderclient `Property | Value` table as one dict."""
    return {row["Property"]: row["Value"] for row in parse_table(out)}


class Reference:
    """Runs the clients, keeps a record of every call and every check."""

    def __init__(self, env, deployment="a", backend="lvm"):
        """deployment: "a" (the main Cinder) or "b" (the second one on the same storage);
        backend: its "lvm" or its "rbd" volume host."""
        self.env = env
        prefix = "SNAPPORT_E2E_" if deployment == "a" else "SNAPPORT_E2E_B_"
        host = prefix + ("RBD_" if backend == "rbd" else "")
        self.host = env[host + "VOLHOST"]
        self.pool = env[host + "POOL"]
        self.api_url = env[prefix + "API"]
        self.api_root = env[prefix + "API_ROOT"]
        self.venv_bin = os.path.join(env["SNAPPORT_E2E_VENV"], "bin")
        self.calls = []
        self.checks = []

    def run(self, label, argv, env=None):
        started = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True, env=env)
        call = {"label": label, "argv": argv, "exit": r.returncode, "stdout": r.stdout,
                "stderr": r.stderr.strip(), "seconds": round(time.monotonic() - started, 3)}
        self.calls.append(call)
        return call

    def cinder(self, label, *args):
        """python-cinderclient with Cinder noauth: the plugin options are registered from
        OS_AUTH_TYPE in the environment, and it appends /<project> to --endpoint."""
        env = {k: v for k, v in os.environ.items() if k not in ("OS_TOKEN", "OS_ENDPOINT", "OS_CLOUD")}
        env["OS_AUTH_TYPE"] = "noauth"
        argv = [os.path.join(self.venv_bin, "cinder"), "--os-auth-type", "noauth",
                "--user-id", "admin", "--project-id", self.env["SNAPPORT_E2E_PROJECT"],
                "--endpoint", self.api_root + "/v3",
                "--os-volume-api-version", "3.8", *args]
        return self.run(label, argv, env)

    def openstack(self, label, *args):
        """python-openstackclient through the harness's clouds.yaml (cloud e2e-token)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["OS_CLIENT_CONFIG_FILE"] = self.env["OS_CLIENT_CONFIG_FILE"]
        argv = [os.path.join(self.venv_bin, "openstack"), "--os-cloud", "e2e-token",
                "--os-volume-api-version", "3.8", *args]
        return self.run(label, argv, env)

    def api(self, method, path, body=None):
        """One raw API request (to record Cinder's own answer where a client hides it)."""
        req = urllib.request.Request(
            self.api_url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-Auth-Token": self.env["SNAPPORT_E2E_TOKEN"], "Content-Type": "application/json",
                     "OpenStack-API-Version": "volume 3.8"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        answer = {"method": method, "path": path, "request": body, "status": status,
                  "body": json.loads(raw) if raw else None}
        self.calls.append({"label": f"api {method} {path}", **answer})
        return answer

    def ok(self, call):
        if call["exit"] != 0:
            raise SystemExit(f"{call['label']}: {' '.join(call['argv'][:1] + call['argv'][-4:])} "
                             f"exited {call['exit']}: {call['stderr']}")
        return call["stdout"]

    def check(self, what, passed, detail=None):
        self.checks.append({"what": what, "ok": bool(passed), "detail": detail})
        print(f"{'ok  ' if passed else 'FAIL'} {what}" + ("" if passed else f": {detail}"), file=sys.stderr)

    # -- the harness's volume group, as lvm sees it ---------------------------------
    def seed(self, *args):
        r = subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), *args],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(f"seed.py {' '.join(args)}: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def lvs(self):
        return {lv["name"]: lv for lv in self.seed("lvs")}

    # -- listings --------------------------------------------------------------------
    def manageable_volumes(self, label):
        return parse_table(self.ok(self.cinder(label, "manageable-list", self.host)))

    def manageable_snapshots(self, label):
        return parse_table(self.ok(self.cinder(label, "snapshot-manageable-list", self.host)))

    def view(self):
        return {
            "manageable_volumes": self.manageable_volumes("view: manageable-list"),
            "manageable_snapshots": self.manageable_snapshots("view: snapshot-manageable-list"),
            "volumes": parse_table(self.ok(self.cinder("view: list", "list", "--all-tenants"))),
            "snapshots": parse_table(self.ok(self.cinder("view: snapshot-list", "snapshot-list",
                                                         "--all-tenants"))),
        }

    # -- waiting for asynchronous results --------------------------------------------
    def wait_status(self, kind, ident, wanted, timeout=60):
        """Poll `cinder show`/`snapshot-show` until the status is in wanted; "gone" means
        the record no longer exists."""
        command = "show" if kind == "volume" else "snapshot-show"
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            r = self.cinder(f"poll {kind} {ident}", command, ident)
            self.calls.pop()  # polls would drown the record
            if r["exit"] != 0:
                status = "gone" if "could not be found" in r["stderr"] or "No " in r["stderr"] else r["stderr"]
            else:
                status = parse_properties(r["stdout"]).get("status")
            if status in wanted:
                return status
            time.sleep(0.5)
        return status


def by_ref(rows):
    return {row["reference"]["source-name"]: row for row in rows}


def log_has(path, *needles):
    with open(path, errors="replace") as f:
        return any(all(n in line for n in needles) for line in f)


def flows(ref, record):
    tag = record["tag"]
    seeded = ref.seed("add", "--volumes", "2", "--snapshots", "2", "--style", "cinder")
    seeded += ref.seed("add", "--volumes", "1", "--snapshots", "1", "--style", "plain")
    vols = [s["lv"] for s in seeded if s["kind"] == "volume"]
    snaps = {v: [s["lv"] for s in seeded if s.get("origin") == v] for v in vols}
    record["seeded"] = seeded

    # 1. manageable volumes: every seeded origin, safe to manage
    rows = by_ref(ref.manageable_volumes("manageable-list (seeded)"))
    record["views"]["manageable_volumes_seeded"] = list(rows.values())
    for v in vols:
        row = rows.get(v)
        ref.check(f"manageable-list shows {v} safe, 1 GiB",
                  row and row["safe_to_manage"] is True and row["size"] == 1 and row["cinder_id"] is None, row)

    # 2. manage each volume; the LV is renamed to volume-<new id>, snapshots follow it
    for i, v in enumerate(vols):
        out = ref.ok(ref.cinder(f"manage {v}", "manage", "--name", f"ref-{tag}-vol{i}", ref.pool, v))
        vid = parse_properties(out)["id"]
        status = ref.wait_status("volume", vid, {"available", "error"})
        ref.check(f"manage {v}: volume {vid} available", status == "available", status)
        record["volumes"][v] = {"id": vid, "lv": f"volume-{vid}", "status": status}
    lvs = ref.lvs()
    for v in vols:
        new = record["volumes"][v]["lv"]
        ref.check(f"lvs: {v} renamed to {new}", new in lvs and v not in lvs, sorted(lvs))
        for s in snaps[v]:
            ref.check(f"lvs: {s} now a snapshot of {new}", lvs.get(s, {}).get("origin") == new, lvs.get(s))

    rows = by_ref(ref.manageable_volumes("manageable-list (managed)"))
    record["views"]["manageable_volumes_managed"] = list(rows.values())
    for v in vols:
        vol = record["volumes"][v]
        row = rows.get(vol["lv"])
        ref.check(f"manageable-list: {vol['lv']} unsafe, already managed as {vol['id']}",
                  row and row["safe_to_manage"] is False and row["reason_not_safe"] == "already managed"
                  and row["cinder_id"] == vol["id"], row)

    # 3. manageable snapshots: safe, source_reference is the (renamed) origin LV
    rows = by_ref(ref.manageable_snapshots("snapshot-manageable-list (seeded)"))
    record["views"]["manageable_snapshots_seeded"] = list(rows.values())
    for v in vols:
        for s in snaps[v]:
            row = rows.get(s)
            ref.check(f"snapshot-manageable-list shows {s} safe, origin {record['volumes'][v]['lv']}",
                      row and row["safe_to_manage"] is True
                      and row["source_reference"] == {"source-name": record["volumes"][v]["lv"]}, row)

    # 4. snapshot-manage the first snapshot of each volume
    for v in vols:
        s = snaps[v][0]
        vid = record["volumes"][v]["id"]
        out = ref.ok(ref.cinder(f"snapshot-manage {s}", "snapshot-manage", "--name", f"ref-{tag}-{s[:14]}",
                                vid, s))
        props = parse_properties(out)
        sid = props["id"]
        status = ref.wait_status("snapshot", sid, {"available", "error"})
        ref.check(f"snapshot-manage {s}: snapshot {sid} available", status == "available", status)
        record["snapshots"][s] = {"id": sid, "volume_id": vid, "lv": f"_snapshot-{sid}", "status": status,
                                  "accepted": props}
    lvs = ref.lvs()
    for s, snap in record["snapshots"].items():
        vol_lv = f"volume-{snap['volume_id']}"
        ref.check(f"lvs: {s} renamed to {snap['lv']}, origin {vol_lv}",
                  s not in lvs and lvs.get(snap["lv"], {}).get("origin") == vol_lv, lvs.get(snap["lv"]))

    rows = by_ref(ref.manageable_snapshots("snapshot-manageable-list (managed)"))
    record["views"]["manageable_snapshots_managed"] = list(rows.values())
    for s, snap in record["snapshots"].items():
        row = rows.get(snap["lv"])
        ref.check(f"snapshot-manageable-list: {snap['lv']} unsafe, already managed",
                  row and row["safe_to_manage"] is False and row["reason_not_safe"] == "already managed"
                  and row["cinder_id"] == snap["id"], row)
    for v in vols:
        for s in snaps[v][1:]:
            ref.check(f"snapshot-manageable-list: unmanaged {s} still safe",
                      rows.get(s, {}).get("safe_to_manage") is True, rows.get(s))

    # 5. snapshot-list shows the imported snapshots on their volumes
    listed = {row["ID"]: row for row in parse_table(ref.ok(ref.cinder("snapshot-list", "snapshot-list")))}
    record["views"]["snapshot_list"] = list(listed.values())
    for s, snap in record["snapshots"].items():
        row = listed.get(snap["id"])
        ref.check(f"snapshot-list: {snap['id']} available on {snap['volume_id']}",
                  row and row["Status"] == "available" and row["Volume ID"] == snap["volume_id"], row)

    # 6. error: unknown volume. cinderclient looks the volume up itself and refuses
    #    before sending the manage request; Cinder's own answer comes from the API.
    victim = snaps[vols[1]][1]
    r = ref.cinder("snapshot-manage unknown volume", "snapshot-manage", ZERO_ID, victim)
    api = ref.api("POST", "/manageable_snapshots",
                  {"snapshot": {"volume_id": ZERO_ID, "ref": {"source-name": victim}}})
    record["errors"] = {"unknown_volume": {"cinderclient": {"exit": r["exit"], "stderr": r["stderr"]},
                                           "api": api}}
    ref.check("cinderclient refuses snapshot-manage onto an unknown volume",
              r["exit"] != 0 and f"No volume with a name or ID of '{ZERO_ID}' exists." in r["stderr"],
              r["stderr"])
    ref.check("Cinder answers 404 'Volume ... could not be found.' for an unknown volume",
              api["status"] == 404
              and api["body"] == {"itemNotFound": {"code": 404,
                                                   "message": f"Volume {ZERO_ID} could not be found."}},
              api)

    # 7. error: missing LV, accepted (202), then the record goes to error; the reason is
    #    only in cinder-volume's log
    ghost = f"no-such-lv-{tag}"
    vid = record["volumes"][vols[1]]["id"]
    out = ref.ok(ref.cinder("snapshot-manage missing LV", "snapshot-manage", "--name", f"ref-{tag}-ghost",
                            vid, ghost))
    gid = parse_properties(out)["id"]
    status = ref.wait_status("snapshot", gid, {"available", "error"})
    logged = False
    for _ in range(20):
        logged = log_has(ref.env["SNAPPORT_E2E_VOLUME_LOG"], "ManageExistingInvalidReference", ghost,
                         "Specified logical volume does not exist.")
        if logged:
            break
        time.sleep(0.25)
    record["errors"]["missing_lv"] = {"snapshot_id": gid, "status": status, "logged": logged}
    ref.check(f"snapshot-manage of a missing LV: record {gid} goes to error", status == "error", status)
    ref.check("cinder-volume.log names ManageExistingInvalidReference for the missing LV", logged)
    ref.ok(ref.cinder("snapshot-delete error record", "snapshot-delete", gid))
    status = ref.wait_status("snapshot", gid, {"gone"})
    ref.check(f"the error record {gid} can be deleted", status == "gone", status)

    # 8. snapshot-unmanage: record gone, LV kept under its new name and manageable again
    first = snaps[vols[0]][0]
    snap = record["snapshots"][first]
    ref.ok(ref.cinder("snapshot-unmanage", "snapshot-unmanage", snap["id"]))
    status = ref.wait_status("snapshot", snap["id"], {"gone"})
    ref.check(f"snapshot-unmanage {snap['id']}: record gone", status == "gone", status)
    snap["unmanaged"] = True
    lvs = ref.lvs()
    ref.check(f"lvs: {snap['lv']} still there after unmanage", snap["lv"] in lvs, sorted(lvs))
    rows = by_ref(ref.manageable_snapshots("snapshot-manageable-list (after unmanage)"))
    record["views"]["manageable_snapshots_unmanaged"] = list(rows.values())
    row = rows.get(snap["lv"])
    ref.check(f"snapshot-manageable-list: {snap['lv']} safe to manage again",
              row and row["safe_to_manage"] is True and row["cinder_id"] is None, row)

    # 9. openstackclient (through clouds.yaml) sees the same manageable snapshots
    out = ref.ok(ref.openstack("openstack snapshot manageable list", "block", "storage", "snapshot",
                               "manageable", "list", ref.host, "--long", "-f", "json"))
    osc = json.loads(out)
    record["views"]["openstack_manageable_snapshots"] = osc
    osc_view = sorted((r["reference"]["source-name"], r["safe_to_manage"], r["reason_not_safe"]) for r in osc)
    cinder_view = sorted((name, row["safe_to_manage"], row["reason_not_safe"]) for name, row in rows.items())
    ref.check("openstackclient and cinderclient list the same manageable snapshots", osc_view == cinder_view,
              {"openstack": osc_view, "cinder": cinder_view})



def cleanup(ref, record):
    """Unmanage what the flows imported and remove the LVs they seeded."""
    for snap in record["snapshots"].values():
        if not snap.get("unmanaged") and snap["status"] == "available":
            ref.ok(ref.cinder("cleanup: snapshot-unmanage", "snapshot-unmanage", snap["id"]))
            ref.wait_status("snapshot", snap["id"], {"gone"})
    for vol in record["volumes"].values():
        ref.ok(ref.cinder("cleanup: unmanage", "unmanage", vol["id"]))
        ref.wait_status("volume", vol["id"], {"gone"})
    renamed = {**{v: d["lv"] for v, d in record["volumes"].items()},
               **{s: d["lv"] for s, d in record["snapshots"].items()}}
    current = [renamed.get(s["lv"], s["lv"]) for s in record["seeded"]]
    lvs = ref.lvs()
    if any(name in lvs for name in current):
        ref.seed("remove", *[name for name in current if name in lvs])
    lvs = ref.lvs()
    left = [name for name in current if name in lvs]
    ref.check("cleanup removed every LV the flows created", not left, left)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("flows")
    f.add_argument("--out")
    f.add_argument("--keep", action="store_true")
    v = sub.add_parser("view")
    v.add_argument("--deployment", choices=["a", "b"], default="a")
    v.add_argument("--backend", choices=["lvm", "rbd"], default="lvm")
    args = ap.parse_args()

    env = load_harness()
    ref = Reference(env, getattr(args, "deployment", "a"), getattr(args, "backend", "lvm"))
    if args.cmd == "view":
        json.dump(ref.view(), sys.stdout, indent=1)
        print()
        return
    started = time.monotonic()
    record = {"tag": uuid.uuid4().hex[:6], "seeded": [], "volumes": {}, "snapshots": {}, "views": {}}
    try:
        flows(ref, record)
    except SystemExit as stop:  # a client call failed outright: record it, still clean up
        ref.check("the reference flows ran to the end", False, str(stop))
    finally:
        if not args.keep:
            try:
                cleanup(ref, record)
            except SystemExit as stop:
                ref.check("cleanup", False, str(stop))
    record.update({"host": ref.host, "pool": ref.pool, "seconds": round(time.monotonic() - started, 1),
                   "checks": ref.checks, "calls": ref.calls,
                   "passed": all(c["ok"] for c in ref.checks)})
    out = args.out or os.path.join(env["SNAPPORT_E2E_DIR"], "reference.json")
    with open(out, "w") as fh:
        json.dump(record, fh, indent=1)
    failed = [c for c in ref.checks if not c["ok"]]
    print(f"{len(ref.checks) - len(failed)} checks passed, {len(failed)} failed "
          f"in {record['seconds']}s; record: {out}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
