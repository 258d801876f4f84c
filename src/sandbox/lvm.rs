//! A throw-away, loop-backed LVM volume group in activation-disabled mode, for the demo,
//! the tests and the benchmarks. These machines have no device-mapper, so snapshots are
//! written straight into the VG metadata (`vgcfgbackup`, edit, `vgcfgrestore`); every
//! other command is ordinary lvm2.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use thiserror::Error;

/// LVM's default extent size, in MiB.
const EXTENT_MIB: u64 = 4;

/// Why a sandbox could not be made or used.
#[derive(Debug, Error)]
pub enum SandboxError {
    #[error("{0}")]
    Missing(String),
    #[error("{command} failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One LV to lay out: a plain LV, or a classic snapshot of `origin`.
#[derive(Debug, Clone, PartialEq)]
pub struct LvSpec {
    pub name: String,
    pub mib: u64,
    pub origin: Option<String>,
}

impl LvSpec {
    /// A plain (volume) LV.
    pub fn volume(name: impl Into<String>, mib: u64) -> Self {
        Self {
            name: name.into(),
            mib,
            origin: None,
        }
    }

    /// A snapshot LV whose copy-on-write store has `mib` MiB.
    pub fn snapshot(name: impl Into<String>, mib: u64, origin: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            mib,
            origin: Some(origin.into()),
        }
    }
}

/// A live sandbox. Dropping it tears it down unless [`Sandbox::keep`] was called.
#[derive(Debug)]
pub struct Sandbox {
    vg: String,
    dir: PathBuf,
    loop_device: String,
    keep: bool,
}

/// Checks what a sandbox needs: root, lvm2 and loop devices. The message says what to do.
pub fn check_prerequisites() -> Result<(), SandboxError> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let is_root = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|uids| uids.split_whitespace().nth(1))
        == Some("0");
    if !is_root {
        return Err(SandboxError::Missing(
            "an LVM sandbox needs root (loop devices and lvm2): run as root".into(),
        ));
    }
    if !Path::new("/dev/loop-control").exists() {
        return Err(SandboxError::Missing(
            "an LVM sandbox needs loop devices (/dev/loop-control is missing)".into(),
        ));
    }
    match Command::new("lvm").arg("version").output() {
        Ok(_) => Ok(()),
        Err(_) => Err(SandboxError::Missing(
            "an LVM sandbox needs lvm2: apt-get install -y lvm2".into(),
        )),
    }
}

fn run(command: &mut Command) -> Result<String, SandboxError> {
    let output = command.output()?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(SandboxError::Command {
            command: format!("{command:?}"),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// An id in LVM's 6-4-4-4-4-4-6 form, unique enough for one VG.
fn lvm_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let bytes = [
        uuid::Uuid::new_v4().into_bytes(),
        uuid::Uuid::new_v4().into_bytes(),
    ]
    .concat();
    let mut chars = bytes
        .iter()
        .map(|byte| ALPHABET[*byte as usize % ALPHABET.len()] as char);
    [6, 4, 4, 4, 4, 4, 6]
        .iter()
        .map(|len| chars.by_ref().take(*len).collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn lv_block(out: &mut String, name: &str, status: &str, segment: &[String]) {
    let _ = writeln!(
        out,
        "\t\t{name} {{\n\t\t\tid = \"{}\"\n\t\t\tstatus = [{status}]\n\t\t\tflags = []\n\
         \t\t\tcreation_time = 1717200000\n\t\t\tcreation_host = \"snapport-sandbox\"\n\
         \t\t\tsegment_count = 1\n\n\t\t\tsegment1 {{",
        lvm_id()
    );
    for line in segment {
        let _ = writeln!(out, "\t\t\t\t{line}");
    }
    let _ = writeln!(out, "\t\t\t}}\n\t\t}}\n");
}

/// A number in LVM's metadata text, which may carry a trailing `# comment`.
fn number(text: &str) -> Option<u64> {
    text.split('#').next()?.trim().parse().ok()
}

/// The first extent after every striped segment in the metadata text. LVM writes
/// `stripes = ["pv0", 0]` on one line or, once it has rewritten the metadata, over
/// three; a segment's `extent_count` comes before its stripes.
fn next_free_extent(text: &str) -> u64 {
    let mut next = 0;
    for (at, _) in text.match_indices("stripes = [") {
        let segment_start = text[..at].rfind("extent_count = ").unwrap_or(0);
        let count = text[segment_start..]
            .strip_prefix("extent_count = ")
            .and_then(|rest| number(rest.lines().next().unwrap_or("")))
            .unwrap_or(0);
        let list = &text[at + "stripes = [".len()..];
        let start = list
            .split(']')
            .next()
            .and_then(|items| items.rsplit(',').next())
            .and_then(number)
            .unwrap_or(0);
        next = next.max(start + count);
    }
    next
}

/// The extent count of LV `name`'s first segment in the metadata text.
fn extent_count_of(text: &str, name: &str) -> Option<u64> {
    let header = format!("\t\t{name} {{");
    let start = text.find(&header)?;
    text[start..]
        .lines()
        .find_map(|line| line.trim().strip_prefix("extent_count = "))
        .and_then(number)
}

impl Sandbox {
    /// Creates a loop device backed by a sparse file in `dir`, a VG named `vg` on it and
    /// the given LVs. `dir` also holds the private `lvm.conf` (activation off, backups
    /// off, private locks, a filter that sees only this loop device).
    pub fn create(
        vg: &str,
        dir: &Path,
        size_mib: u64,
        lvs: &[LvSpec],
    ) -> Result<Self, SandboxError> {
        check_prerequisites()?;
        std::fs::create_dir_all(dir.join("lvm").join("lock"))?;
        let image = dir.join("pv.img");
        std::fs::File::create(&image)?.set_len(size_mib * 1024 * 1024)?;
        let loop_device = run(Command::new("losetup").args(["-f", "--show"]).arg(&image))?
            .trim()
            .to_string();
        let sandbox = Self {
            vg: vg.to_string(),
            dir: dir.to_path_buf(),
            loop_device,
            keep: false,
        };
        std::fs::write(
            dir.join("state"),
            format!("{}\n{}\n", sandbox.loop_device, sandbox.vg),
        )?;
        std::fs::write(
            sandbox.lvm_system_dir().join("lvm.conf"),
            format!(
                "global {{ activation = 0 locking_dir = \"{}\" }}\n\
                 devices {{ filter = [ \"a|^{}$|\", \"r|.*|\" ] use_devicesfile = 0 obtain_device_list_from_udev = 0 }}\n\
                 backup {{ backup = 0 archive = 0 }}\n",
                sandbox.lvm_system_dir().join("lock").display(),
                sandbox.loop_device
            ),
        )?;
        run(sandbox
            .lvm("pvcreate")
            .args(["--metadatasize", "64m", &sandbox.loop_device]))?;
        run(sandbox.lvm("vgcreate").args([vg, &sandbox.loop_device]))?;
        sandbox.add_lvs(lvs)?;
        Ok(sandbox)
    }

    /// The volume group's name.
    pub fn vg(&self) -> &str {
        &self.vg
    }

    /// The directory to pass as `LVM_SYSTEM_DIR` to every lvm command on this VG.
    pub fn lvm_system_dir(&self) -> PathBuf {
        self.dir.join("lvm")
    }

    /// The loop device backing the VG.
    pub fn loop_device(&self) -> &str {
        &self.loop_device
    }

    /// Leaves the VG and its files in place when the sandbox is dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// An lvm command set up for this sandbox.
    pub fn lvm(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("LVM_SYSTEM_DIR", self.lvm_system_dir())
            .env("LVM_SUPPRESS_FD_WARNINGS", "1")
            .env("LC_ALL", "C");
        command
    }

    /// Adds LVs by editing the VG metadata in one restore: thousands take seconds.
    pub fn add_lvs(&self, lvs: &[LvSpec]) -> Result<(), SandboxError> {
        if lvs.is_empty() {
            return Ok(());
        }
        let backup = self.dir.join("vg.txt");
        run(self.lvm("vgcfgbackup").arg("-f").arg(&backup).arg(&self.vg))?;
        let mut text = std::fs::read_to_string(&backup)?;
        let mut extent = next_free_extent(&text);
        let mut hidden = text.matches("type = \"snapshot\"").count();
        let mut blocks = String::new();
        for lv in lvs {
            let extents = (lv.mib / EXTENT_MIB).max(1);
            let stripe = vec![
                "start_extent = 0".to_string(),
                format!("extent_count = {extents}"),
                "type = \"striped\"".to_string(),
                "stripe_count = 1".to_string(),
                format!("stripes = [\"pv0\", {extent}]"),
            ];
            extent += extents;
            lv_block(
                &mut blocks,
                &lv.name,
                "\"READ\", \"WRITE\", \"VISIBLE\"",
                &stripe,
            );
            if let Some(origin) = &lv.origin {
                let origin_extents = extent_count_of(&text, origin)
                    .or_else(|| extent_count_of(&blocks, origin))
                    .ok_or_else(|| {
                        SandboxError::Missing(format!("origin LV {origin} not found"))
                    })?;
                let segment = vec![
                    "start_extent = 0".to_string(),
                    format!("extent_count = {origin_extents}"),
                    "type = \"snapshot\"".to_string(),
                    "chunk_size = 8".to_string(),
                    format!("origin = \"{origin}\""),
                    format!("cow_store = \"{}\"", lv.name),
                ];
                lv_block(
                    &mut blocks,
                    &format!("snapshot{hidden}"),
                    "\"READ\"",
                    &segment,
                );
                hidden += 1;
            }
        }
        if let Some(at) = text.find("\tlogical_volumes {\n") {
            text.insert_str(at + "\tlogical_volumes {\n".len(), &blocks);
        } else {
            let at = text
                .rfind("\n}")
                .ok_or_else(|| SandboxError::Missing("unexpected VG metadata layout".into()))?;
            text.insert_str(at, &format!("\n\tlogical_volumes {{\n\n{blocks}\t}}\n"));
        }
        let seqno: u64 = text
            .split("seqno = ")
            .nth(1)
            .and_then(|rest| number(rest.lines().next().unwrap_or("")))
            .ok_or_else(|| SandboxError::Missing("VG metadata has no seqno".into()))?;
        text = text.replacen(
            &format!("seqno = {seqno}"),
            &format!("seqno = {}", seqno + 1),
            1,
        );
        std::fs::write(&backup, text)?;
        run(self
            .lvm("vgcfgrestore")
            .arg("-f")
            .arg(&backup)
            .arg(&self.vg))?;
        Ok(())
    }

    /// `(name, origin)` of every LV, straight from `lvs`, for tests to check the VG.
    pub fn lv_names(&self) -> Result<Vec<(String, String)>, SandboxError> {
        let out = run(self.lvm("lvs").args([
            "--noheadings",
            "--separator",
            "|",
            "-o",
            "lv_name,origin",
            &self.vg,
        ]))?;
        Ok(out
            .lines()
            .filter_map(|line| line.trim().split_once('|'))
            .map(|(name, origin)| (name.to_string(), origin.to_string()))
            .collect())
    }

    fn destroy(&self) {
        // Wiping the only PV drops the VG at once; vgremove would remove LVs one by one.
        let _ = self
            .lvm("pvremove")
            .args(["-ff", "-y", &self.loop_device])
            .output();
        let _ = Command::new("losetup")
            .args(["-d", &self.loop_device])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !self.keep {
            self.destroy();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = "\t\tvolume-a {\n\t\t\tsegment1 {\n\t\t\t\textent_count = 25\n\t\t\t\tstripes = [\"pv0\", 0]\n\t\t\t}\n\t\t}\n\t\tsnap {\n\t\t\tsegment1 {\n\t\t\t\textent_count = 4\n\t\t\t\tstripes = [\"pv0\", 25]\n\t\t\t}\n\t\t}\n\t\tsnapshot0 {\n\t\t\tsegment1 {\n\t\t\t\textent_count = 25\n\t\t\t\ttype = \"snapshot\"\n\t\t\t}\n\t\t}\n";

    #[test]
    fn free_extents_follow_the_last_stripe() {
        assert_eq!(next_free_extent(META), 29);
        assert_eq!(next_free_extent(""), 0);
    }

    #[test]
    fn rewritten_metadata_has_comments_and_multi_line_stripes() {
        let text = "\t\tvol {\n\t\t\tsegment1 {\n\t\t\t\textent_count = 16\t# 64 Megabytes\n\n\t\t\t\ttype = \"striped\"\n\t\t\t\tstripes = [\n\t\t\t\t\t\"pv0\", 40\n\t\t\t\t]\n\t\t\t}\n\t\t}\n";
        assert_eq!(extent_count_of(text, "vol"), Some(16));
        assert_eq!(next_free_extent(text), 56);
    }

    #[test]
    fn origin_extents_are_read_from_its_block() {
        assert_eq!(extent_count_of(META, "volume-a"), Some(25));
        assert_eq!(extent_count_of(META, "snap"), Some(4));
        assert_eq!(extent_count_of(META, "nope"), None);
    }

    #[test]
    fn lvm_ids_have_lvm_shape() {
        let id = lvm_id();
        let lens: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(lens, vec![6, 4, 4, 4, 4, 4, 6]);
    }
}
