#!/usr/bin/env python3
"""Seeds the harness Keystone over its REST API (stdlib only; idempotent).

As the bootstrap admin it creates, when missing:
  * region RegionTwo, whose block-storage endpoints are dead (nothing listens there)
  * project "service" and user "cinder" (role service): keystonemiddleware's user in
    Cinder deployment k
  * services block-storage and volumev3, public/internal/admin endpoints of deployment k
    in RegionOne and of the dead port in RegionTwo
  * domain "e2e" with project "e2e-project" and user "e2e-member" (role member only)
  * application credentials of the admin user: e2e-unrestricted, e2e-restricted and
    e2e-rules (access rules: GET os-services only)
Writes $KS_DIR/seed.env (ids and secrets, SNAPPORT_E2E_KS_*) and $KS_DIR/clouds.yaml
(entries under "clouds:", appended to the harness's clouds.yaml by cinder-up.sh), with
two clouds on Keystone's https socket: with the throw-away CA as cacert, and without.
"""
import json
import os
import sys
import urllib.error
import urllib.request

KS_DIR = os.environ["KS_DIR"]
URL = os.environ["KS_URL"] + "/v3"
TLS_URL = os.environ["KS_TLS_URL"] + "/v3"
ADMIN_PASSWORD = os.environ["KS_ADMIN_PASSWORD"]
CINDER_PASSWORD = os.environ["KS_CINDER_PASSWORD"]
K_PORT = os.environ["K_API_PORT"]
DEAD_PORT = os.environ["KS_DEAD_PORT"]
MEMBER_PASSWORD = "e2e-member-secret"
APPCREDS = {  # name -> (secret, body extras)
    "e2e-unrestricted": ("e2e-unrestricted-secret", {"unrestricted": True}),
    "e2e-restricted": ("e2e-restricted-secret", {"unrestricted": False}),
    "e2e-rules": ("e2e-rules-secret", {"unrestricted": False, "access_rules": [
        {"service": "block-storage", "method": "GET", "path": "/v3/*/os-services"}]}),
}


def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            return r.status, r.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        if e.code in ok:
            return e.code, e.headers, (json.loads(raw) if raw else None)
        sys.exit(f"keystone_seed: {method} {path} -> {e.code} {raw[:400]!r}")


_, HEADERS, BODY = call("POST", "/auth/tokens", {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": ADMIN_PASSWORD}}},
    "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}})
TOKEN = HEADERS["X-Subject-Token"]
ADMIN_USER_ID = BODY["token"]["user"]["id"]
ADMIN_PROJECT_ID = BODY["token"]["project"]["id"]


def get(path):
    return call("GET", path, token=TOKEN)[2]


def ensure(coll, key, query, body):
    """GET /coll?query; if empty, POST /coll {key: body}. Returns the entity."""
    found = get(f"/{coll}?{query}")[coll]
    if found:
        return found[0]
    return call("POST", f"/{coll}", {key: body}, token=TOKEN)[2][key]


def grant(project_id, user_id, role):
    role_id = get(f"/roles?name={role}")["roles"][0]["id"]
    call("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}", token=TOKEN)


if call("GET", "/regions/RegionTwo", token=TOKEN, ok=(200, 404))[0] == 404:
    call("POST", "/regions", {"region": {"id": "RegionTwo", "description": "dead endpoints"}},
         token=TOKEN)

service_project = ensure("projects", "project", "name=service&domain_id=default",
                         {"name": "service", "domain_id": "default"})
cinder_user = ensure("users", "user", "name=cinder&domain_id=default",
                     {"name": "cinder", "domain_id": "default", "password": CINDER_PASSWORD})
grant(service_project["id"], cinder_user["id"], "service")

ENDPOINTS = {"RegionOne": f"http://127.0.0.1:{K_PORT}/v3/$(project_id)s",
             "RegionTwo": f"http://127.0.0.1:{DEAD_PORT}/v3/$(project_id)s"}
for stype, sname in (("block-storage", "cinder"), ("volumev3", "cinderv3")):
    svc = ensure("services", "service", f"type={stype}", {"type": stype, "name": sname})
    have = get(f"/endpoints?service_id={svc['id']}")["endpoints"]
    for region, url in ENDPOINTS.items():
        for iface in ("public", "internal", "admin"):
            if not [e for e in have if e["region_id"] == region and e["interface"] == iface]:
                call("POST", "/endpoints", {"endpoint": {
                    "service_id": svc["id"], "interface": iface, "region_id": region,
                    "url": url}}, token=TOKEN)

domain = ensure("domains", "domain", "name=e2e", {"name": "e2e"})
member_project = ensure("projects", "project", f"name=e2e-project&domain_id={domain['id']}",
                        {"name": "e2e-project", "domain_id": domain["id"]})
member = ensure("users", "user", f"name=e2e-member&domain_id={domain['id']}",
                {"name": "e2e-member", "domain_id": domain["id"], "password": MEMBER_PASSWORD})
grant(member_project["id"], member["id"], "member")

have = {a["name"]: a for a in get(f"/users/{ADMIN_USER_ID}/application_credentials")
        ["application_credentials"]}
for name, (secret, extra) in APPCREDS.items():
    if name not in have:
        body = dict({"name": name, "secret": secret}, **extra)
        have[name] = call("POST", f"/users/{ADMIN_USER_ID}/application_credentials",
                          {"application_credential": body}, token=TOKEN)[2]["application_credential"]

env = {
    "ADMIN_PASSWORD": ADMIN_PASSWORD, "ADMIN_USER_ID": ADMIN_USER_ID,
    "ADMIN_PROJECT_ID": ADMIN_PROJECT_ID, "CINDER_PASSWORD": CINDER_PASSWORD,
    "MEMBER_PASSWORD": MEMBER_PASSWORD, "MEMBER_PROJECT_ID": member_project["id"],
    "APPCRED_UNRESTRICTED_ID": have["e2e-unrestricted"]["id"],
    "APPCRED_UNRESTRICTED_SECRET": APPCREDS["e2e-unrestricted"][0],
    "APPCRED_RESTRICTED_ID": have["e2e-restricted"]["id"],
    "APPCRED_RESTRICTED_SECRET": APPCREDS["e2e-restricted"][0],
    "APPCRED_RULES_ID": have["e2e-rules"]["id"],
    "APPCRED_RULES_SECRET": APPCREDS["e2e-rules"][0],
}
with open(f"{KS_DIR}/seed.env", "w") as f:
    f.write("".join(f"export SNAPPORT_E2E_KS_{k}={v}\n" for k, v in env.items()))


def cloud(name, auth, auth_type="password", region="RegionOne", interface="public",
          url=URL, cacert=None):
    lines = [f"  {name}:", f"    auth_type: {auth_type}", "    auth:", f"      auth_url: {url}"]
    lines += [f"      {k}: {v}" for k, v in auth.items()]
    lines += [f"    region_name: {region}", f"    interface: {interface}"]
    if cacert:
        lines.append(f"    cacert: {cacert}")
    return "\n".join(lines) + "\n"


ADMIN = {"username": "admin", "password": ADMIN_PASSWORD, "user_domain_name": "Default",
         "project_name": "admin", "project_domain_name": "Default"}


def appcred(name):
    return {"application_credential_id": have[name]["id"],
            "application_credential_secret": APPCREDS[name][0]}


clouds = [
    cloud("ks-admin", ADMIN),
    cloud("ks-admin-by-id", {"user_id": ADMIN_USER_ID, "password": ADMIN_PASSWORD,
                             "project_id": ADMIN_PROJECT_ID}),
    cloud("ks-admin-internal", ADMIN, interface="internal"),
    cloud("ks-admin-regiontwo", ADMIN, region="RegionTwo"),
    cloud("ks-admin-tls", ADMIN, url=TLS_URL, cacert=f"{KS_DIR}/tls/ca.pem"),
    cloud("ks-admin-tls-no-cacert", ADMIN, url=TLS_URL),
    cloud("ks-appcred", appcred("e2e-unrestricted"), "v3applicationcredential"),
    cloud("ks-appcred-by-name", {
        "application_credential_name": "e2e-unrestricted",
        "application_credential_secret": APPCREDS["e2e-unrestricted"][0],
        "username": "admin", "user_domain_name": "Default"}, "v3applicationcredential"),
    cloud("ks-appcred-restricted", appcred("e2e-restricted"), "v3applicationcredential"),
    cloud("ks-appcred-rules", appcred("e2e-rules"), "v3applicationcredential"),
    cloud("ks-member", {"username": "e2e-member", "password": MEMBER_PASSWORD,
                        "user_domain_name": "e2e", "project_name": "e2e-project",
                        "project_domain_name": "e2e"}),
]
with open(f"{KS_DIR}/clouds.yaml", "w") as f:
    f.write("".join(clouds))
print(f"keystone_seed: admin project {ADMIN_PROJECT_ID}, member project {member_project['id']}")
