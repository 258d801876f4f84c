//! `snapport config path|show|check` and `batch list`'s output options, as an operator
//! runs them: the real binary, its HOME and XDG dirs in a temporary directory.

mod isolated;

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

/// An operator's home: config.toml and clouds.yaml where snapport and openstack look.
struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: TempDir::new().unwrap(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` at `relative` (directories made), and returns the path.
    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn config(&self, text: &str) -> PathBuf {
        self.write("config/snapport/config.toml", text)
    }

    fn clouds(&self, text: &str) -> PathBuf {
        self.write("config/openstack/clouds.yaml", text)
    }

    fn snapport(&self) -> assert_cmd::Command {
        isolated::snapport_cmd(self.root())
    }

    /// stdout of a run that succeeds.
    fn stdout(&self, args: &[&str]) -> String {
        let output = self.snapport().args(args).assert().success();
        String::from_utf8(output.get_output().stdout.clone()).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.stdout(args)).unwrap()
    }

    /// stderr of `config check`, which fails with exit 1 naming `place` (`LINE:COLUMN`
    /// or `LINE:`) of `file` first.
    fn check_fails_at(&self, file: &Path, place: &str) -> String {
        let output = self.snapport().args(["config", "check"]).assert().code(1);
        let err = String::from_utf8(output.get_output().stderr.clone()).unwrap();
        let named = format!("error: {}:{place}", file.display());
        assert!(err.starts_with(&named), "{named}: {err}");
        err
    }
}

const PROD: &str = "clouds:\n  prod:\n    auth:\n      auth_url: http://keystone:5000/v3\n      \
                    username: ops\n      user_domain_name: Default\n      project_name: admin\n      \
                    project_domain_name: Default\n      password: clouds-pw-1\n";

/// The row of `config path -f json` for `file`.
fn row<'a>(rows: &'a Value, file: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|row| row["file"] == file)
        .unwrap_or_else(|| panic!("no {file} in {rows:#}"))
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn path_lists_every_file_from_the_config_the_options_name() {
    let home = Home::new();
    let config = home.write(
        "elsewhere/snapport.toml",
        "[backends.old]\nkind = \"local\"\nvg = \"vg0\"\n\
         [backends.ceph]\nkind = \"rbd\"\npool = \"volumes\"\ncatalog = \"/srv/ceph.sqlite\"\n",
    );
    let clouds = home.write("lab/clouds.yaml", PROD);
    let root = home.root();
    let output = home
        .snapport()
        .env("OS_CLIENT_CONFIG_FILE", &clouds)
        .args(["--config"])
        .arg(&config)
        .args(["config", "path", "-f", "json"])
        .assert()
        .success();
    let rows: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();

    assert_eq!(row(&rows, "config")["path"], text(&config));
    assert_eq!(row(&rows, "config")["exists"], true);
    assert_eq!(row(&rows, "clouds.yaml")["path"], text(&clouds));
    assert_eq!(row(&rows, "clouds.yaml")["note"], "OS_CLIENT_CONFIG_FILE");
    let secure = row(&rows, "secure.yaml");
    assert_eq!(secure["exists"], false);
    assert!(
        secure["note"]
            .as_str()
            .unwrap()
            .contains(&text(&root.join("config/openstack"))),
        "where it was looked for: {secure}"
    );
    let catalogs: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["file"] == "catalog")
        .map(|row| row["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        catalogs,
        [
            "/srv/ceph.sqlite",
            &text(&root.join("data/snapport/catalog-vg0.sqlite"))
        ]
    );
    let state = root.join("state/snapport");
    assert_eq!(
        row(&rows, "audit")["path"],
        text(&state.join("audit.jsonl"))
    );
    assert_eq!(row(&rows, "log")["path"], text(&state.join("snapport.log")));
    assert_eq!(
        row(&rows, "batch journals")["path"],
        text(&state.join("batches"))
    );
    assert_eq!(
        row(&rows, "migration journals")["path"],
        text(&state.join("migrations"))
    );

    let local = home.stdout(&[
        "--local", "--vg", "vg9", "config", "path", "-f", "value", "-c", "Path", "-c", "Exists",
    ]);
    let catalog = root.join("data/snapport/catalog-vg9.sqlite");
    assert!(
        local
            .lines()
            .any(|line| line == format!("{} false", catalog.display())),
        "the --local back end's catalog: {local}"
    );
}

#[test]
fn path_still_lists_the_files_when_the_config_file_is_broken() {
    let home = Home::new();
    let config = home.config("[backends.old]\nkind = \"local\"\nvg = \n");
    let rows = home.json(&["config", "path", "-f", "json"]);
    assert_eq!(row(&rows, "config")["path"], text(&config));
    assert!(
        row(&rows, "config")["note"]
            .as_str()
            .unwrap()
            .contains("`snapport config check` says why"),
        "{rows:#}"
    );
    assert_eq!(
        row(&rows, "audit")["path"],
        text(&home.root().join("state/snapport/audit.jsonl"))
    );
}

#[test]
fn show_masks_every_secret_in_every_format() {
    let home = Home::new();
    home.config("theme = \"light\"\n[backends.prod]\nkind = \"cloud\"\ncloud = \"prod\"\n");
    home.clouds(&format!(
        "{PROD}  app:\n    auth_type: v3applicationcredential\n    auth:\n      \
         auth_url: http://keystone:5000/v3\n      application_credential_id: cred-1\n      \
         application_credential_secret: app-secret-2\n  \
         edge:\n    auth_type: admin_token\n    token: token-3\n    \
         block_storage_endpoint_override: http://edge:8776/v3\n"
    ));
    home.write(
        "config/openstack/secure.yaml",
        "clouds:\n  prod:\n    region_name: RegionTwo\n    auth:\n      password: secure-pw-4\n",
    );
    let secrets = [
        "clouds-pw-1",
        "app-secret-2",
        "token-3",
        "secure-pw-4",
        "env-pw-5",
    ];
    for format in ["table", "json", "yaml", "csv", "value"] {
        let output = home
            .snapport()
            .env("OS_AUTH_URL", "http://keystone:5000/v3")
            .env("OS_USERNAME", "envuser")
            .env("OS_PASSWORD", "env-pw-5")
            .args(["config", "show", "-f", format])
            .assert()
            .success();
        let out = String::from_utf8_lossy(&output.get_output().stdout).into_owned()
            + &String::from_utf8_lossy(&output.get_output().stderr);
        for secret in secrets {
            assert!(!out.contains(secret), "{format} shows {secret}:\n{out}");
        }
        for shown in ["light", "RegionTwo", "cred-1", "envuser", "********"] {
            assert!(out.contains(shown), "{format} lacks {shown}:\n{out}");
        }
    }
    let shown = home.json(&["config", "show", "-f", "json"]);
    let prod = &shown["clouds"]["prod"];
    assert_eq!(prod["auth"]["password"], "********", "{shown:#}");
    assert_eq!(
        prod["region_name"], "RegionTwo",
        "secure.yaml merged over clouds.yaml"
    );
    assert_eq!(shown["backends"]["prod"]["cloud"], "prod");
    assert_eq!(shown["theme"], "light");
}

#[test]
fn check_names_the_line_and_column_of_a_broken_config_file() {
    let home = Home::new();
    let config = home.config("theme = \"light\"\n[backends.old]\nvg = \n");
    home.check_fails_at(&config, "3:6: ");
}

#[test]
fn check_names_the_line_of_a_broken_clouds_yaml() {
    let home = Home::new();
    let clouds = home.clouds("clouds:\n  prod:\n    auth: {\n    region_name: [\n");
    home.check_fails_at(&clouds, "5:");
}

#[test]
fn check_finds_a_back_end_naming_a_cloud_clouds_yaml_lacks() {
    let home = Home::new();
    home.clouds(PROD);
    let config = home.config(
        "theme = \"light\"\n\n[backends.prod]\nkind = \"cloud\"\ncloud = \"prod\"\n\n\
         [backends.staging]\nkind = \"cloud\"\ncloud = \"stagin\"\n",
    );
    let err = home.check_fails_at(&config, "7:11: [backends.staging]");
    assert!(
        err.contains("cloud 'stagin' is not defined") && err.contains("clouds: prod"),
        "{err}"
    );
}

#[test]
fn check_finds_an_unknown_key_action_and_a_missing_theme() {
    let home = Home::new();
    let config = home.config("[keys]\nrefresh = \"ctrl-r\"\nreload = \"R\"\n");
    let err = home.check_fails_at(&config, "3:1: ");
    assert!(err.contains("unknown action 'reload'"), "{err}");
    home.config("theme = \"solarized\"\n");
    let err = home.check_fails_at(&config, "1:9: ");
    assert!(err.contains("'solarized'"), "{err}");
}

#[test]
fn check_says_ok_and_what_it_read_when_all_is_well() {
    let home = Home::new();
    home.clouds(PROD);
    home.config(
        "theme = \"high-contrast\"\n[keys]\nrefresh = \"ctrl-r\"\n\
         [backends.prod]\nkind = \"cloud\"\ncloud = \"prod\"\n",
    );
    let out = home.stdout(&["config", "check"]);
    assert!(out.starts_with("ok: "), "{out}");
    assert!(
        out.contains("1 back end(s), 1 key override(s), theme high-contrast")
            && out.contains("1 cloud(s)"),
        "{out}"
    );
    assert!(!out.contains("clouds-pw-1"), "{out}");
}

/// Two unfinished batch journals in the state dir: an import with two of three items
/// settled, and a retirement with two of five.
fn unfinished_batches(home: &Home) -> [PathBuf; 2] {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/batch_journal");
    let import = std::fs::read_to_string(corpus.join("import.journal.jsonl")).unwrap();
    let unfinished: Vec<&str> = import.lines().take(5).collect();
    let retire = std::fs::read_to_string(corpus.join("retire.journal.jsonl")).unwrap();
    [
        home.write(
            "state/snapport/batches/20261129T210602.217Z.journal.jsonl",
            &(unfinished.join("\n") + "\n"),
        ),
        home.write(
            "state/snapport/batches/20261129T230602.217Z.journal.jsonl",
            &retire,
        ),
    ]
}

#[test]
fn batch_list_takes_the_listing_output_options() {
    let home = Home::new();
    assert_eq!(
        home.json(&["batch", "list", "-f", "json"]),
        Value::Array(vec![])
    );
    let [import, retire] = unfinished_batches(&home);

    let listed = home.json(&["batch", "list", "-f", "json"]);
    assert_eq!(
        listed,
        serde_json::json!([
            {
                "journal": text(&import),
                "backend": "local lvm vg=cinder-volumes",
                "done": 2,
                "items": 3,
                "started_at": "2026-11-29T21:06:02.217Z",
            },
            {
                "journal": text(&retire),
                "backend": "cloud e2e",
                "done": 2,
                "items": 5,
                "started_at": "2026-11-29T23:06:02.217Z",
            },
        ])
    );
    assert_eq!(
        home.stdout(&["batch", "list", "-f", "value", "-c", "JOURNAL"]),
        format!("{}\n{}\n", import.display(), retire.display())
    );
    assert_eq!(
        home.stdout(&[
            "batch",
            "list",
            "-f",
            "value",
            "-c",
            "BACK END",
            "-c",
            "DONE",
            "--sort-column",
            "STARTED",
            "--sort-descending",
        ]),
        "cloud e2e 2/5\nlocal lvm vg=cinder-volumes 2/3\n"
    );
    home.snapport()
        .args(["batch", "list", "-c", "Journal"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("'JOURNAL'"));
}
