//! The real-Cinder harness of `tests/e2e/cinder-up.sh`, as the end-to-end tests see it:
//! its env.sh, requests to its APIs, the snapport binary pointed at its clouds.yaml, and
//! the request logs of its cinder-api processes. Shared by the LVM and the RBD suites.
//!
//! The tests run only when `SNAPPORT_E2E_DIR` names a running harness
//! (`tests/e2e/run.sh` does all of it: up, the tests, down). Without it they return at
//! once, except in CI (`CI` set), where a missing harness fails every test: a skipped
//! e2e test is a failed one there.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::isolated;

/// Serialises the tests of one suite: they seed the storage that Cinder renames in.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A running harness, as described by its env.sh.
pub struct Harness {
    pub dir: PathBuf,
    pub vars: BTreeMap<String, String>,
    /// HOME and XDG dirs of the snapport runs (config, logs), per test.
    pub home: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// The harness named by `SNAPPORT_E2E_DIR`, or `None` outside CI when it is not set.
pub fn harness() -> Option<Harness> {
    let (dir, vars) = harness_env()?;
    let turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(Harness {
        dir,
        vars,
        home: tempfile::tempdir().expect("temp dir"),
        _turn: turn,
    })
}

/// The state dir and env.sh variables of the harness named by `SNAPPORT_E2E_DIR`, or
/// `None` outside CI when it is not set (in CI a missing harness fails the test).
pub fn harness_env() -> Option<(PathBuf, BTreeMap<String, String>)> {
    let Some(dir) = std::env::var_os("SNAPPORT_E2E_DIR").filter(|d| !d.is_empty()) else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but SNAPPORT_E2E_DIR is not: the real-Cinder e2e tests need the \
                 harness; run them through tests/e2e/run.sh"
            );
        }
        eprintln!("SNAPPORT_E2E_DIR not set: real-Cinder e2e test not run (see tests/e2e/run.sh)");
        return None;
    };
    let dir = PathBuf::from(dir);
    let env_sh = dir.join("env.sh");
    let text = std::fs::read_to_string(&env_sh).unwrap_or_else(|err| {
        panic!(
            "SNAPPORT_E2E_DIR={} is not a running harness ({}: {err}); start it with \
             tests/e2e/cinder-up.sh",
            dir.display(),
            env_sh.display()
        )
    });
    let vars = text
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches(['\'', '"']).to_string()))
        .collect();
    Some((dir, vars))
}

/// An HTTP answer: status, headers we look at, and the JSON body (Null when empty).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}
impl Harness {
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing from {}/env.sh", self.dir.display()))
    }

    pub fn volhost(&self) -> &str {
        self.var("SNAPPORT_E2E_VOLHOST")
    }

    pub fn e2e_script(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e")
            .join(name)
    }

    /// The harness venv's python (it has the reference clients).
    pub fn python(&self) -> PathBuf {
        Path::new(self.var("SNAPPORT_E2E_VENV")).join("bin/python3")
    }

    /// A harness helper script run with its environment (VG, private LVM_SYSTEM_DIR).
    pub fn script(&self, name: &str) -> Command {
        let mut command = Command::new(self.python());
        command
            .arg(Self::e2e_script(name))
            .envs(&self.vars)
            .env("SNAPPORT_E2E_DIR", &self.dir);
        command
    }

    /// Runs a helper script to success and parses its JSON output.
    pub fn script_json(&self, name: &str, args: &[&str]) -> Value {
        let out = self.script(name).args(args).output().expect("helper runs");
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("helper prints JSON")
    }

    /// One request to the real Cinder; `path` is relative to the project endpoint unless
    /// it starts with `http`.
    pub fn request(&self, method: &str, path: &str, token: bool, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.var("SNAPPORT_E2E_API"))
        };
        let token = token.then(|| self.var("SNAPPORT_E2E_TOKEN"));
        self.request_as(method, &url, token, body)
    }

    /// One request to `url` with `token` (a Keystone token, or the noauth one).
    pub fn request_as(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let client = reqwest::Client::new();
            let mut request = client
                .request(method.parse().expect("method"), url)
                .header("OpenStack-API-Version", "volume 3.8");
            if let Some(token) = token {
                request = request.header("X-Auth-Token", token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request
                .send()
                .await
                .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.expect("body");
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            };
            Answer {
                status,
                headers,
                body,
            }
        })
    }

    /// The snapport binary on cloud `e2e` of the harness's clouds.yaml.
    pub fn snapport(&self) -> assert_cmd::Command {
        self.snapport_on("e2e")
    }

    /// The snapport binary on `cloud` of the harness's clouds.yaml.
    pub fn snapport_on(&self, cloud: &str) -> assert_cmd::Command {
        let mut command = self.snapport_bare();
        command.args(["--os-cloud", cloud]);
        command
    }

    /// The snapport binary with the harness's clouds.yaml, HOME and the XDG dirs in the
    /// test's temp dir and no other OS_* settings; no back end chosen.
    pub fn snapport_bare(&self) -> assert_cmd::Command {
        let mut command = isolated::snapport_cmd(self.home.path());
        command.env("OS_CLIENT_CONFIG_FILE", self.var("OS_CLIENT_CONFIG_FILE"));
        command
    }

    /// The shell line that opens the console on `cloud` with the test's HOME and XDG
    /// dirs, then prints its exit status as `EXIT=<code>`: what a tmux test types.
    pub fn console_line(&self, cloud: &str) -> String {
        format!(
            "HOME={home} XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state \
             XDG_DATA_HOME={home}/data OS_CLIENT_CONFIG_FILE={clouds} {bin} --os-cloud {cloud}; \
             echo EXIT=$?",
            home = self.home.path().display(),
            clouds = self.var("OS_CLIENT_CONFIG_FILE"),
            bin = env!("CARGO_BIN_EXE_snapport"),
        )
    }

    /// Runs snapport on cloud `e2e` with `-f json` to success and parses its output.
    pub fn snapport_json(&self, args: &[&str]) -> Value {
        self.snapport_json_on("e2e", args)
    }

    /// Runs snapport on `cloud` with `-f json` to success and parses its output.
    pub fn snapport_json_on(&self, cloud: &str, args: &[&str]) -> Value {
        let mut command = self.snapport_on(cloud);
        command.args(args).args(["-f", "json"]);
        json_output(command)
    }

    /// Runs snapport expecting exit `code` and a one-line error; returns that line.
    pub fn snapport_fails(&self, args: &[&str], code: i32) -> String {
        self.snapport_fails_on("e2e", args, code)
    }

    /// Runs snapport on `cloud` expecting exit `code` and a one-line error; returns it.
    pub fn snapport_fails_on(&self, cloud: &str, args: &[&str], code: i32) -> String {
        let assert = self.snapport_on(cloud).args(args).assert().code(code);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr.trim_end().to_string()
    }

    /// POST requests cinder-api has served so far, as its request log shows them.
    pub fn posts(&self) -> usize {
        self.posts_in("SNAPPORT_E2E_API_LOG")
    }

    /// POST requests the cinder-api whose log env.sh names `log_var` has served so far.
    pub fn posts_in(&self, log_var: &str) -> usize {
        self.requests_in(log_var, |request| request.starts_with("POST /v3/"))
    }

    /// Manageable-snapshot listings (`GET .../manageable_snapshots...`) of the volume
    /// host env.sh names `host_var` that the cinder-api whose log it names `log_var`
    /// has served so far, whatever their answer.
    pub fn listing_gets_in(&self, log_var: &str, host_var: &str) -> usize {
        let host = format!("host={}", self.var(host_var).replace('@', "%40"));
        self.requests_in(log_var, |request| {
            request.starts_with("GET /v3/")
                && request.contains("/manageable_snapshots")
                && request.contains(&host)
        })
    }

    /// Requests in a cinder-api request log (`"METHOD PATH HTTP/1.1"` of each
    /// eventlet.wsgi.server line) that `matches` accepts.
    pub fn requests_in(&self, log_var: &str, matches: impl Fn(&str) -> bool) -> usize {
        // the log line is written right after the response: let a late one land
        std::thread::sleep(Duration::from_millis(300));
        std::fs::read_to_string(self.var(log_var))
            .expect("cinder-api log")
            .lines()
            .filter(|line| line.contains("eventlet.wsgi.server"))
            .filter_map(|line| line.split('"').nth(1))
            .filter(|request| matches(request))
            .count()
    }

    /// What a migration's journal says: `migrate report -f json`.
    pub fn id_map(&self, journal: &Path) -> Value {
        let mut command = self.snapport_bare();
        command
            .args(["migrate", "report"])
            .arg(journal)
            .args(["-f", "json"]);
        json_output(command)
    }

    pub fn get(&self, path: &str) -> Value {
        let answer = self.request("GET", path, true, None);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        answer.body
    }
}

/// Runs a snapport command to success and parses its JSON output.
pub fn json_output(mut command: assert_cmd::Command) -> Value {
    let out = command.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", String::from_utf8_lossy(&out)))
}

/// The target id of `source` in a migration's id map, which must say it moved.
pub fn moved_to(map: &Value, source: &str) -> String {
    let entry = map["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["source_id"] == source)
        .unwrap_or_else(|| panic!("{source} not in the id map: {map}"));
    assert_eq!(entry["placement"], "moved", "{entry}");
    entry["target_id"].as_str().expect("target id").to_string()
}

/// The harness Keystone (`tests/e2e/keystone.sh`) in front of deployment k.
impl Harness {
    /// A project-scoped token for the admin, fresh from Keystone.
    pub fn keystone_token(&self) -> String {
        self.keystone_token_as(
            ("admin", "Default"),
            self.var("SNAPPORT_E2E_KS_ADMIN_PASSWORD"),
            self.var("SNAPPORT_E2E_KS_ADMIN_PROJECT_ID"),
        )
    }

    /// A token for `(user, domain)` scoped to `project_id`, fresh from Keystone.
    pub fn keystone_token_as(
        &self,
        user: (&str, &str),
        password: &str,
        project_id: &str,
    ) -> String {
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user.0, "domain": {"name": user.1}, "password": password}}},
            "scope": {"project": {"id": project_id}}}});
        let url = format!("{}/auth/tokens", self.var("SNAPPORT_E2E_KEYSTONE_URL"));
        let answer = self.request("POST", &url, false, Some(body));
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.headers["x-subject-token"]
            .to_str()
            .expect("token")
            .to_string()
    }

    /// Every secret of the harness Keystone's clouds: passwords and application
    /// credential secrets, as env.sh names them.
    pub fn keystone_secrets(&self) -> Vec<String> {
        self.vars
            .iter()
            .filter(|(key, _)| {
                key.starts_with("SNAPPORT_E2E_KS_")
                    && (key.ends_with("_PASSWORD") || key.ends_with("_SECRET"))
            })
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// Files under the test's HOME (snapport's log, audit trail, journals) that hold
    /// any of `secrets`, with the secret's first characters.
    pub fn files_holding(&self, secrets: &[String]) -> Vec<String> {
        let mut found = Vec::new();
        let mut dirs = vec![self.home.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    let text = String::from_utf8_lossy(&bytes);
                    for secret in secrets.iter().filter(|s| text.contains(s.as_str())) {
                        found.push(format!("{} holds {}…", path.display(), &secret[..6]));
                    }
                }
            }
        }
        found
    }
}
