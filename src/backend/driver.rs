//! Which Cinder volume driver runs a host's back end, as far as it changes what an
//! export leaves behind: a later delete of the parent volume is refused, leaves the
//! snapshot, or takes it along, depending on the driver.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Host, find_host};

/// The driver behind a host, from its capability report (remote) or its volume group
/// (local).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Driver {
    /// Cinder's LVM driver with `lvm_type = default`: classic snapshots.
    LvmThick,
    /// Cinder's LVM driver with `lvm_type = thin`: thin snapshots in a thin pool.
    LvmThin,
    /// Cinder's RBD driver (Ceph).
    Rbd,
    /// Another driver, or one that reported nothing: what it said of itself (vendor and
    /// protocol), empty when nothing.
    Unknown(String),
}

impl Driver {
    /// The name the driver gives snapshot `id` on the back end: Cinder's template
    /// `snapshot-<id>`, which the LVM driver escapes to `_snapshot-<id>` because LVM
    /// reserves names that start with `snapshot`.
    pub fn snapshot_name(&self, id: &str) -> String {
        match self {
            Driver::LvmThick | Driver::LvmThin => super::snapshot_lv_name(id),
            Driver::Rbd | Driver::Unknown(_) => format!("snapshot-{id}"),
        }
    }
}

impl Default for Driver {
    fn default() -> Self {
        Driver::Unknown(String::new())
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Driver::LvmThick => f.write_str("LVM (thick)"),
            Driver::LvmThin => f.write_str("LVM (thin)"),
            Driver::Rbd => f.write_str("RBD (Ceph)"),
            Driver::Unknown(said) if said.is_empty() => f.write_str("unknown"),
            Driver::Unknown(said) => f.write_str(said),
        }
    }
}

/// The driver of `host` (`host@backend[#pool]`, e.g. a volume's host) among `hosts`:
/// the pool's own, else its back end's; unknown when the host is not known or listed.
pub fn driver_on(hosts: &[Host], host: Option<&str>) -> Driver {
    let Some(host) = host else {
        return Driver::default();
    };
    find_host(hosts, host)
        .map(|known| known.driver.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, driver: Driver) -> Host {
        Host {
            host: name.into(),
            cluster: None,
            driver,
            storage: None,
            zone: None,
            status: "enabled".into(),
            state: "up".into(),
            updated_at: None,
            total_capacity_gb: None,
            free_capacity_gb: None,
        }
    }

    #[test]
    fn a_volume_host_finds_its_pool_then_its_back_end() {
        let hosts = [
            host("node@lvm#thick", Driver::LvmThick),
            host("node@lvm#thin", Driver::LvmThin),
            host("node@ceph#ceph", Driver::Rbd),
        ];
        assert_eq!(driver_on(&hosts, Some("node@lvm#thin")), Driver::LvmThin);
        assert_eq!(driver_on(&hosts, Some("node@ceph")), Driver::Rbd);
        assert_eq!(driver_on(&hosts, Some("other@nfs#x")), Driver::default());
    }

    #[test]
    fn only_lvm_escapes_the_snapshot_name_template() {
        assert_eq!(Driver::LvmThin.snapshot_name("s1"), "_snapshot-s1");
        assert_eq!(Driver::Rbd.snapshot_name("s1"), "snapshot-s1");
        assert_eq!(Driver::default().snapshot_name("s1"), "snapshot-s1");
    }

    #[test]
    fn drivers_read_as_operators_name_them() {
        assert_eq!(Driver::Rbd.to_string(), "RBD (Ceph)");
        assert_eq!(Driver::default().to_string(), "unknown");
        assert_eq!(
            serde_json::to_string(&Driver::LvmThin).unwrap(),
            r#""lvm-thin""#
        );
    }
}
