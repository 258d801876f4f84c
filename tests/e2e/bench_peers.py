#!/usr/bin/env python3
"""snapport against its peers on the real-Cinder harness: inventory, batch import, batch export.

usage: bench_peers.py --snapport BIN [--rows 10000] [--lvs 60] [--batch 30] [--runs 5]
                      [--batch-runs 3] [--warmup 1] [--parallel 8]

Run with the harness venv's python, with the harness's env.sh in the environment
(scripts/bench-peers.sh does both). On deployment a it

1. seeds: one volume LV with LVS snapshot LVs and one bare volume LV (seed.py), manages
   both volumes, and inserts ROWS `available` snapshot rows straight into a's database
   under the bare volume (no LVs behind them: an inventory needs only the records);
2. inventory: `snapport snapshot list -f json` vs `cinder snapshot-list --all-tenants`
   vs `openstack volume snapshot list --all-projects` vs a curl marker walk, each run
   RUNS times in turn after WARMUP unmeasured runs;
3. import: `snapport snapshot manage --volume V --ref ... (BATCH refs)` vs the curl floor
   (one manageable listing, then PARALLEL manages at once, each polled until available),
   BATCH-RUNS times each, state reset between runs (everything imported is unmanaged
   again); counts the manageable-listing GETs each snapport run caused in a's API log;
4. export: `snapport snapshot unmanage ID... --yes` vs the curl floor (PARALLEL unmanages
   at once, each polled until gone), BATCH-RUNS times each, the BATCH snapshots imported
   again (not timed) before every run;
5. prints a table of medians and ratios, and removes every row, record and LV it made,
   whatever happened.
"""

import argparse
import configparser
import concurrent.futures
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = os.environ
API = ENV.get("SNAPPORT_E2E_API", "")
TOKEN = ENV.get("SNAPPORT_E2E_TOKEN", "")
SEED_MARK = "snapport bench-peers seed"


def say(text):
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ Cinder API
def api(method, path, body=None):
    """One request to deployment a: (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data=data, method=method, headers={
        "X-Auth-Token": TOKEN, "OpenStack-API-Version": "volume 3.8",
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode(errors="replace")


def wait_status(kind, rid, want, timeout=300):
    """Polls /{kind}s/{rid} until its status is `want` ("gone": until 404)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = api("GET", f"/{kind}s/{rid}")
        if want == "gone" and status == 404:
            return
        if status == 200:
            state = body[kind]["status"]
            if state == want:
                return
            if state.startswith("error"):
                raise RuntimeError(f"{kind} {rid} went to {state}")
        time.sleep(0.2)
    raise RuntimeError(f"{kind} {rid} not {want} after {timeout}s")


def manage(kind, ref, fields):
    """Imports back-end `ref` as a `kind` with `fields` and waits until it is available."""
    status, body = api("POST", f"/manageable_{kind}s",
                       {kind: {"ref": {"source-name": ref}, **fields}})
    if status != 202:
        raise RuntimeError(f"manage {kind} {ref}: {status} {body}")
    rid = body[kind]["id"]
    wait_status(kind, rid, "available")
    return rid


def manage_volume(lv, name):
    return manage("volume", lv, {"host": ENV["SNAPPORT_E2E_POOL"], "name": name})


def manage_snapshot(volume, ref):
    return manage("snapshot", ref, {"volume_id": volume, "name": f"bench-{ref}"})


def unmanage(kind, rid):
    status, body = api("POST", f"/{kind}s/{rid}/action", {"os-unmanage": None})
    if status not in (202, 404):
        raise RuntimeError(f"unmanage {kind} {rid}: {status} {body}")
    wait_status(kind, rid, "gone")


def snapshots_of(volume):
    status, body = api("GET", f"/snapshots?all_tenants=1&volume_id={volume}&limit=1000")
    if status != 200:
        raise RuntimeError(f"list snapshots of {volume}: {status} {body}")
    return body["snapshots"]


def in_parallel(fn, items, workers):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


# ------------------------------------------------------------------ the database
def database():
    """A connection to deployment a's database (from its cinder.conf)."""
    import pymysql  # the harness venv has it (Cinder's MariaDB driver)

    conf = configparser.ConfigParser(interpolation=None)
    conf.read(os.path.join(ENV["SNAPPORT_E2E_DIR"], "etc", "cinder.conf"))
    url = urllib.parse.urlparse(conf["database"]["connection"])
    query = dict(urllib.parse.parse_qsl(url.query))
    return pymysql.connect(user=url.username, password=url.password, database=url.path.lstrip("/"),
                           unix_socket=query["unix_socket"], autocommit=False)


def seed_rows(volume, count):
    """Inserts `count` available snapshot rows of `volume` (no LV behind them)."""
    db = database()
    try:
        with db.cursor() as cur:
            cur.execute("SELECT size, volume_type_id, project_id, user_id FROM volumes WHERE id = %s",
                        (volume,))
            size, volume_type, project, user = cur.fetchone()
            now = datetime.datetime.utcnow()
            sql = ("INSERT INTO snapshots (id, created_at, updated_at, deleted, volume_id, user_id, "
                   "project_id, status, progress, volume_size, display_name, display_description, "
                   "volume_type_id, use_quota) "
                   "VALUES (%s, %s, %s, 0, %s, %s, %s, 'available', '100%%', %s, %s, %s, %s, 1)")
            for start in range(0, count, 1000):
                rows = []
                for i in range(start, min(count, start + 1000)):
                    at = now + datetime.timedelta(microseconds=i)
                    rows.append((str(uuid.uuid4()), at, at, volume, user, project, size,
                                 f"bench-row-{i:05d}", SEED_MARK, volume_type))
                cur.executemany(sql, rows)
        db.commit()
    finally:
        db.close()


def purge_rows(volume):
    db = database()
    try:
        with db.cursor() as cur:
            cur.execute("DELETE FROM snapshots WHERE volume_id = %s AND display_description = %s",
                        (volume, SEED_MARK))
            gone = cur.rowcount
        db.commit()
        return gone
    finally:
        db.close()


# ------------------------------------------------------------------ LVs
def seed_py(*args):
    out = subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), *args],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"seed.py {args[0]}: {out.stderr.strip()}")
    return json.loads(out.stdout)


# ------------------------------------------------------------------ timing
def timed(cmd, env=None):
    """Runs cmd to completion: (wall seconds, exit code, stdout text)."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.monotonic()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
        wall = time.monotonic() - t0
        out.seek(0)
        text = out.read()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd[:6])} ... exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return wall, text


def uuid_rows(table):
    """Rows of a client's table whose first cell is a record id."""
    count = 0
    for line in table.splitlines():
        cell = line[2:38] if line.startswith("| ") else ""
        if len(cell) == 36 and cell.count("-") == 4:
            count += 1
    return count


def api_log_listing_gets():
    with open(ENV["SNAPPORT_E2E_API_LOG"], errors="replace") as f:
        return sum(1 for line in f
                   if "eventlet.wsgi.server" in line and '"GET /v3/' in line
                   and "/manageable_snapshots" in line)


class Bench:
    def __init__(self, args):
        self.args = args
        self.results = {}  # (round, contender) -> [seconds]
        self.notes = []
        self.snap_volume = None
        self.inv_volume = None
        self.lvs = []  # every LV seeded, under its current name
        self.slots = []  # the snapshot LVs' current names, in seeding order
        self.listing_gets = []
        # snapport's own files (log, batch journals) stay out of the operator's home
        self.home = tempfile.TemporaryDirectory(prefix="snapport-bench-")
        h = self.home.name
        self.snapport_env = dict(ENV, HOME=h, XDG_CONFIG_HOME=f"{h}/config",
                                 XDG_DATA_HOME=f"{h}/data", XDG_STATE_HOME=f"{h}/state")

    # -- set-up and tear-down
    def setup(self):
        a = self.args
        say(f"seeding {a.lvs} snapshot LVs on a volume LV, and a bare volume LV")
        made = seed_py("add", "--volumes", "1", "--snapshots", str(a.lvs))
        made += seed_py("add", "--volumes", "1")
        self.lvs = [m["lv"] for m in made]
        origin = next(m["lv"] for m in made if m["kind"] == "volume")
        bare = next(m["lv"] for m in made if m["kind"] == "volume" and m["lv"] != origin)
        self.slots = [m["lv"] for m in made if m["kind"] == "snapshot"]
        self.snap_volume = manage_volume(origin, "bench-peers-snapshots")
        self.rename(origin, f"volume-{self.snap_volume}")
        self.inv_volume = manage_volume(bare, "bench-peers-inventory")
        self.rename(bare, f"volume-{self.inv_volume}")
        say(f"inserting {a.rows} snapshot rows into deployment a's database")
        seed_rows(self.inv_volume, a.rows)

    def rename(self, old, new):
        self.lvs = [new if lv == old else lv for lv in self.lvs]
        self.slots = [new if lv == old else lv for lv in self.slots]

    def teardown(self):
        say("removing the seeded rows, records and LVs")
        errors = []
        for step in (self._purge, self._unmanage_all, self._remove_lvs):
            try:
                step()
            except Exception as err:  # keep cleaning up
                errors.append(f"{step.__name__}: {err}")
        for err in errors:
            say(f"cleanup: {err}")
        return not errors

    def _purge(self):
        if self.inv_volume:
            say(f"purged {purge_rows(self.inv_volume)} rows")

    def _unmanage_all(self):
        for volume in (self.snap_volume, self.inv_volume):
            if not volume:
                continue
            ids = [s["id"] for s in snapshots_of(volume)]
            in_parallel(lambda i: unmanage("snapshot", i), ids, 8)
            # an import a failed round did not record left its LV under the new id
            self.lvs += [f"_snapshot-{rid}" for rid in ids]
            unmanage("volume", volume)

    def _remove_lvs(self):
        present = {lv["name"] for lv in seed_py("lvs")}
        names = [lv for lv in set(self.lvs) | set(self.slots) if lv in present]
        if names:
            seed_py("remove", *names)

    # -- helpers for the rounds
    def import_with_api(self, refs):
        """Imports refs (not timed) and records the renames; returns the new ids."""
        ids = in_parallel(lambda r: manage_snapshot(self.snap_volume, r), refs, self.args.parallel)
        for ref, rid in zip(refs, ids):
            self.rename(ref, f"_snapshot-{rid}")
        return ids

    def unmanage_volume_snapshots(self):
        ids = [s["id"] for s in snapshots_of(self.snap_volume)]
        in_parallel(lambda i: unmanage("snapshot", i), ids, self.args.parallel)

    def resync(self):
        """After a failed round: nothing managed under the volume, and the slots are
        the snapshot LVs of its LV under their current names."""
        self.unmanage_volume_snapshots()
        origin = f"volume-{self.snap_volume}"
        self.slots = sorted(lv["name"] for lv in seed_py("lvs") if lv["origin"] == origin)
        self.lvs += self.slots

    def record(self, rnd, contender, seconds):
        self.results.setdefault((rnd, contender), []).append(seconds)
        say(f"{rnd:9} {contender:40} {seconds:7.2f} s")

    # -- the rounds
    def inventory(self):
        a = self.args
        venv = os.path.dirname(sys.executable)
        cinder_env = dict(ENV, OS_AUTH_TYPE="noauth")
        for key in ("OS_TOKEN", "OS_ENDPOINT", "OS_CLOUD"):
            cinder_env.pop(key, None)
        contenders = [
            ("snapport", [a.snapport, "--os-cloud", "e2e", "snapshot", "list", "-f", "json"],
             self.snapport_env, lambda out: len(json.loads(out))),
            ("cinderclient", [
                os.path.join(venv, "cinder"), "--os-auth-type", "noauth", "--user-id", "admin",
                "--project-id", ENV["SNAPPORT_E2E_PROJECT"],
                "--endpoint", ENV["SNAPPORT_E2E_API_ROOT"] + "/v3",
                "--os-volume-api-version", a.cinder_microversion, "snapshot-list", "--all-tenants"],
             cinder_env, uuid_rows),
            ("openstackclient", [os.path.join(venv, "openstack"), "--os-cloud", "e2e-token",
                                 "volume", "snapshot", "list", "--all-projects"],
             None, uuid_rows),
            ("curl crawl", [os.path.join(HERE, "curl-floor.sh"), "crawl"], None, lambda out: int(out)),
        ]
        self.inventory_cmds = contenders
        total = self.args.rows
        for run in range(a.warmup + a.runs):
            for name, cmd, env, count in contenders:
                seconds, out = timed(cmd, env)
                rows = count(out)
                if rows < total:
                    raise RuntimeError(f"{name} listed {rows} snapshots, expected at least {total}")
                if run >= a.warmup:
                    self.record("inventory", name, seconds)

    def import_round(self):
        a = self.args
        for run in range(a.batch_runs):
            for name in ("snapport", "curl floor"):
                refs = self.slots[:a.batch]
                if name == "snapport":
                    cmd = [a.snapport, "--os-cloud", "e2e", "snapshot", "manage",
                           "--volume", self.snap_volume, "-f", "json"]
                    for ref in refs:
                        cmd += ["--ref", ref]
                    before = api_log_listing_gets()
                    seconds, out = timed(cmd, self.snapport_env)
                    # the request log line lands right after the response
                    time.sleep(0.5)
                    self.listing_gets.append(api_log_listing_gets() - before)
                    items = json.loads(out)
                    if isinstance(items, dict):
                        items = [dict(items, reference=refs[0])]
                    failed = [i for i in items if "error" in i]
                    if failed or len(items) != len(refs):
                        raise RuntimeError(f"snapport import: {failed or items}")
                    new = {i["reference"]: i["id"] for i in items}
                else:
                    seconds, out = timed([os.path.join(HERE, "curl-floor.sh"), "import",
                                          self.snap_volume, *refs])
                    new = dict(line.split() for line in out.splitlines())
                self.record("import", name, seconds)
                states = {s["id"]: s["status"] for s in snapshots_of(self.snap_volume)}
                if sorted(states) != sorted(new.values()) or set(states.values()) != {"available"}:
                    raise RuntimeError(f"after the {name} import: {states}")
                for ref, rid in new.items():
                    self.rename(ref, f"_snapshot-{rid}")
                self.unmanage_volume_snapshots()

    def export_round(self):
        a = self.args
        for run in range(a.batch_runs):
            for name in ("snapport", "curl floor"):
                ids = self.import_with_api(self.slots[:a.batch])
                if name == "snapport":
                    cmd = [a.snapport, "--os-cloud", "e2e", "snapshot", "unmanage", *ids,
                           "--yes"]
                else:
                    cmd = [os.path.join(HERE, "curl-floor.sh"), "export", *ids]
                seconds, _ = timed(cmd, self.snapport_env if name == "snapport" else None)
                self.record("export", name, seconds)
                left = snapshots_of(self.snap_volume)
                if left:
                    raise RuntimeError(f"after the {name} export {len(left)} snapshots are left")

    # -- the report
    def report(self):
        a = self.args
        med = {k: statistics.median(v) for k, v in self.results.items()}
        print()
        print(f"snapport vs its peers on a real Cinder ({a.rows} snapshot rows; "
              f"{a.lvs} snapshot LVs on one volume, {a.batch} imported/exported at once; "
              f"curl with {a.parallel} in flight)")
        print()
        print(f"| round | contender | runs | min s | median s | max s | ratio | target |")
        print(f"|---|---|---|---|---|---|---|---|")
        targets = {
            ("inventory", "cinderclient"): ("cinderclient / snapport", 2.0, True),
            ("inventory", "openstackclient"): ("openstackclient / snapport", 7.0, True),
            ("inventory", "curl crawl"): ("curl / snapport", None, True),
            ("import", "snapport"): ("snapport / curl floor", 1.25, False),
            ("export", "snapport"): ("snapport / curl floor", 1.3, False),
        }
        verdicts = []
        for (rnd, name), times in self.results.items():
            ratio, target = "", ""
            base = (rnd, "snapport" if rnd == "inventory" else "curl floor")
            if (rnd, name) in targets and base in med:
                label, goal, at_least = targets[(rnd, name)]
                value = med[(rnd, name)] / med[base]
                ratio = f"{label} = {value:.2f}"
                if goal:
                    ok = value >= goal if at_least else value <= goal
                    target = f"{'≥' if at_least else '≤'} {goal} {'met' if ok else 'MISSED'}"
                    verdicts.append(ok)
            print(f"| {rnd} | {name} | {len(times)} | {min(times):.2f} | "
                  f"{med[(rnd, name)]:.2f} | {max(times):.2f} | {ratio} | {target} |")
        print()
        if self.listing_gets:
            ok = all(n == 1 for n in self.listing_gets)
            verdicts.append(ok)
            print(f"manageable-listing GETs per snapport import (cinder-api log): "
                  f"{self.listing_gets} (target: exactly 1 each: {'met' if ok else 'MISSED'})")
        print()
        print("commands:")
        for name, cmd, env, _ in self.inventory_cmds:
            print(f"  inventory {name}: {' '.join(cmd)}")
        print(f"  import snapport: {a.snapport} --os-cloud e2e snapshot manage --volume V "
              f"--ref LV1 ... --ref LV{a.batch} -f json")
        print(f"  import curl floor: tests/e2e/curl-floor.sh import V LV1 ... LV{a.batch}")
        print(f"  export snapport: {a.snapport} --os-cloud e2e snapshot unmanage ID1 ... "
              f"ID{a.batch} --yes")
        print(f"  export curl floor: tests/e2e/curl-floor.sh export ID1 ... ID{a.batch}")
        return all(verdicts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapport", required=True)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--lvs", type=int, default=60)
    ap.add_argument("--batch", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5, help="measured inventory runs per contender")
    ap.add_argument("--batch-runs", type=int, default=3, help="measured import/export runs")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured inventory runs")
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--cinder-microversion", default="3.8")
    ap.add_argument("--only", choices=["inventory", "import", "export"], action="append")
    args = ap.parse_args()
    if not API or not os.path.isfile(ENV.get("SNAPPORT_E2E_API_LOG", "")):
        sys.exit("source the harness's env.sh first")
    if args.batch > args.lvs:
        sys.exit("--batch cannot exceed --lvs")
    os.environ["FLOOR_PARALLEL"] = str(args.parallel)
    rounds = args.only or ["inventory", "import", "export"]

    bench = Bench(args)
    bench.inventory_cmds = []
    ok = False
    try:
        bench.setup()
        failed = []
        for rnd in ("inventory", "import", "export"):
            if rnd not in rounds:
                continue
            try:
                getattr(bench, "inventory" if rnd == "inventory" else f"{rnd}_round")()
            except RuntimeError as err:
                say(f"the {rnd} round failed: {err}")
                failed.append(rnd)
                bench.resync()
        ok = bench.report() and not failed
        for rnd in failed:
            print(f"the {rnd} round FAILED (see above); its figures are incomplete")
    finally:
        clean = bench.teardown()
    sys.exit(0 if ok and clean else 1)


if __name__ == "__main__":
    main()
