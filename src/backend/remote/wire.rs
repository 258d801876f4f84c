//! Cinder's JSON shapes, as far as snapport reads them, and their conversion to the
//! shared domain types.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::backend::{Driver, Error, Host, Metadata, Result, Snapshot, Volume, backend_of};

/// A page of a list: `volumes`/`snapshots` with their `*_links`, or a manageable list
/// (`manageable-snapshots`, hyphenated, without links).
#[derive(Deserialize)]
pub struct Page<T> {
    #[serde(
        alias = "volumes",
        alias = "snapshots",
        alias = "manageable-snapshots",
        alias = "manageable-volumes"
    )]
    pub items: Vec<T>,
    #[serde(default, alias = "volumes_links", alias = "snapshots_links")]
    pub links: Vec<Link>,
    /// The whole list's length, when asked for with `with_count` (3.45+).
    #[serde(default)]
    pub count: Option<u64>,
}

/// A list row's id, by which pages fetched side by side are deduplicated.
pub trait Identified {
    fn id(&self) -> &str;
}

/// A pagination link.
#[derive(Deserialize)]
pub struct Link {
    pub rel: String,
    pub href: String,
}

/// The marker of the `next` link. Only the marker is taken: the link's host may be
/// wrong behind a badly configured proxy, so the caller builds the URL itself.
pub fn next_marker(links: &[Link]) -> Result<Option<String>> {
    let Some(link) = links.iter().find(|link| link.rel == "next") else {
        return Ok(None);
    };
    let base = url::Url::parse("http://relative.invalid/").expect("static URL");
    let url = base
        .join(&link.href)
        .map_err(|err| Error::Backend(format!("unreadable next link {}: {err}", link.href)))?;
    let marker = url
        .query_pairs()
        .find(|(key, _)| key == "marker")
        .map(|(_, v)| v.into_owned());
    match marker {
        Some(marker) => Ok(Some(marker)),
        None => Err(Error::Backend(format!(
            "next link without a marker: {}",
            link.href
        ))),
    }
}

/// `{"volume": {...}}`, `{"snapshot": {...}}`.
#[derive(Deserialize)]
pub struct One<T> {
    #[serde(alias = "volume", alias = "snapshot")]
    pub item: T,
}

impl Identified for VolumeWire {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Identified for SnapshotWire {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A volume of the detail view.
#[derive(Deserialize)]
pub struct VolumeWire {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    status: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default, rename = "os-vol-host-attr:host")]
    host: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    attachments: Option<Vec<Value>>,
}

impl From<VolumeWire> for Volume {
    fn from(wire: VolumeWire) -> Self {
        Volume {
            id: wire.id,
            name: wire.name,
            description: wire.description,
            status: wire.status.into(),
            size: wire.size.unwrap_or(0),
            host: wire.host,
            created_at: wire.created_at,
            metadata: wire.metadata.unwrap_or_default(),
            attached: wire.attachments.is_some_and(|a| !a.is_empty()),
        }
    }
}

/// A snapshot of the detail view.
#[derive(Deserialize)]
pub struct SnapshotWire {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    status: String,
    #[serde(default)]
    size: Option<u64>,
    volume_id: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

impl From<SnapshotWire> for Snapshot {
    fn from(wire: SnapshotWire) -> Self {
        Snapshot {
            id: wire.id,
            name: wire.name,
            description: wire.description,
            status: wire.status.into(),
            size: wire.size.unwrap_or(0),
            volume_id: wire.volume_id,
            created_at: wire.created_at,
            metadata: wire.metadata.unwrap_or_default(),
        }
    }
}

/// The id and status of a volume or snapshot: what an import answer and a poll need.
#[derive(Deserialize)]
pub struct Brief {
    pub id: String,
    pub status: String,
}

/// `GET /os-services` entries.
#[derive(Deserialize)]
pub struct ServiceList {
    pub services: Vec<Service>,
}

/// A service; `host` is `host@backend` for cinder-volume.
#[derive(Deserialize)]
pub struct Service {
    pub host: String,
    /// `cluster@backend` when the service runs active/active in a cluster (3.7+).
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub zone: Option<String>,
    pub status: String,
    pub state: String,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `GET /scheduler-stats/get_pools?detail=true`.
#[derive(Deserialize)]
pub struct PoolList {
    pub pools: Vec<Pool>,
}

/// A pool, `host@backend#pool`, with the driver's capability report.
#[derive(Deserialize)]
pub struct Pool {
    pub name: String,
    #[serde(default)]
    pub capabilities: Map<String, Value>,
}

impl Pool {
    /// A capacity figure; drivers may report `"infinite"` or `"unknown"`, which is none.
    fn capacity(&self, key: &str) -> Option<f64> {
        match self.capabilities.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    fn text(&self, key: &str) -> &str {
        self.capabilities
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Where the pool keeps its data, from `location_info`: the LVM driver's
    /// `LVMVolumeDriver:<host>:<vg>:<type>:<mirrors>` gives the VG (the host differs
    /// between two clouds on one shared VG), the RBD driver's
    /// `ceph:<conf>:<fsid>:<user>:<pool>` the cluster and the pool.
    pub fn storage(&self) -> Option<String> {
        let location = self.text("location_info");
        if let Some(lvm) = location.strip_prefix("LVMVolumeDriver:") {
            let vg = lvm.split(':').nth(1).filter(|vg| !vg.is_empty())?;
            return Some(format!("lvm:{vg}"));
        }
        let ceph: Vec<&str> = location.strip_prefix("ceph:")?.split(':').collect();
        match ceph.as_slice() {
            [.., fsid, _user, pool] if !fsid.is_empty() && !pool.is_empty() => {
                Some(format!("rbd:{fsid}/{pool}"))
            }
            _ => None,
        }
    }

    /// The driver, from what its report says of itself. Cinder's LVM driver names
    /// itself in `location_info` (`LVMVolumeDriver:host:vg:lvm_type:mirrors`, the type
    /// already resolved from `auto`); the RBD driver reports the `ceph` protocol. The
    /// scheduler may widen a protocol into the list of its spellings.
    pub fn driver(&self) -> Driver {
        if let Some(lvm) = self.text("location_info").strip_prefix("LVMVolumeDriver:") {
            let thin = match lvm.split(':').nth(2) {
                Some(lvm_type) => lvm_type == "thin",
                None => {
                    self.capabilities.get("thin_provisioning_support") == Some(&Value::Bool(true))
                }
            };
            return if thin {
                Driver::LvmThin
            } else {
                Driver::LvmThick
            };
        }
        let protocols: Vec<&str> = match self.capabilities.get("storage_protocol") {
            Some(Value::String(protocol)) => vec![protocol],
            Some(Value::Array(spellings)) => spellings.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if protocols.iter().any(|p| p.eq_ignore_ascii_case("ceph")) {
            return Driver::Rbd;
        }
        let said: Vec<&str> = [self.text("vendor_name")]
            .into_iter()
            .chain(protocols.first().copied())
            .filter(|part| !part.is_empty())
            .collect();
        Driver::Unknown(said.join(" "))
    }
}

/// One host per pool of each cinder-volume service; a service without pools (down, or
/// not yet reporting) is still listed, without capacity. The scheduler reports the
/// pools of a clustered service under the cluster's name, shared by its services.
/// Sorted, because Cinder's service order is not stable.
pub fn join_hosts(services: Vec<Service>, pools: &[Pool]) -> Vec<Host> {
    let mut hosts = Vec::new();
    for service in services {
        let reported_as = service.cluster.as_deref().unwrap_or(&service.host);
        let mut own: Vec<&Pool> = pools
            .iter()
            .filter(|p| backend_of(&p.name) == reported_as)
            .collect();
        own.sort_by(|a, b| a.name.cmp(&b.name));
        let make = |host: String, pool: Option<&Pool>| Host {
            host,
            cluster: service.cluster.clone(),
            driver: pool.map(Pool::driver).unwrap_or_default(),
            storage: pool.and_then(Pool::storage),
            zone: service.zone.clone(),
            status: service.status.clone(),
            state: service.state.clone(),
            updated_at: service.updated_at.clone(),
            total_capacity_gb: pool.and_then(|p| p.capacity("total_capacity_gb")),
            free_capacity_gb: pool.and_then(|p| p.capacity("free_capacity_gb")),
        };
        if own.is_empty() {
            hosts.push(make(service.host.clone(), None));
        } else {
            hosts.extend(own.into_iter().map(|pool| {
                let host = match pool.name.split_once('#') {
                    Some((_, name)) => format!("{}#{name}", service.host),
                    None => service.host.clone(),
                };
                make(host, Some(pool))
            }));
        }
    }
    hosts.sort_by(|a, b| a.host.cmp(&b.host));
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_marker_ignores_the_links_host() {
        let links = vec![Link {
            rel: "next".into(),
            href: "http://wrong-proxy:1/v3/p/volumes/detail?all_tenants=1&limit=2&marker=abc-1"
                .into(),
        }];
        assert_eq!(next_marker(&links).unwrap().as_deref(), Some("abc-1"));
        assert_eq!(next_marker(&[]).unwrap(), None);
    }

    #[test]
    fn hosts_join_pools_and_keep_poolless_services() {
        let services: Vec<Service> = serde_json::from_str(
            r#"[{"host":"b@lvm","zone":"nova","status":"enabled","state":"down"},
                {"host":"a@lvm","zone":"nova","status":"enabled","state":"up"}]"#,
        )
        .unwrap();
        let pools: Vec<Pool> = serde_json::from_str(
            r#"[{"name":"a@lvm#p2","capabilities":{"total_capacity_gb":"infinite","free_capacity_gb":1}},
                {"name":"a@lvm#p1","capabilities":{"total_capacity_gb":10.5,"free_capacity_gb":2}},
                {"name":"a@lvmx#p","capabilities":{}}]"#,
        )
        .unwrap();
        let hosts = join_hosts(services, &pools);
        let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(names, ["a@lvm#p1", "a@lvm#p2", "b@lvm"]);
        assert_eq!(hosts[0].total_capacity_gb, Some(10.5));
        assert_eq!(hosts[1].total_capacity_gb, None);
        assert_eq!(hosts[2].state, "down");
    }

    fn sample<T: serde::de::DeserializeOwned>(body: &str) -> T {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn drivers_come_from_real_capability_reports() {
        let lvm: PoolList = sample(include_str!("../../../tests/corpus/cinder/pools_lvm.json"));
        let rbd: PoolList = sample(include_str!("../../../tests/corpus/cinder/pools_rbd.json"));
        let drivers: Vec<Driver> = lvm
            .pools
            .iter()
            .chain(&rbd.pools)
            .map(Pool::driver)
            .collect();
        assert_eq!(drivers, [Driver::LvmThick, Driver::LvmThin, Driver::Rbd]);
    }

    #[test]
    fn storage_is_the_vg_or_the_ceph_cluster_and_pool_whatever_the_host() {
        let pools: Vec<Pool> = sample(
            r#"[{"name":"a@lvm#lvm","capabilities":{"location_info":"LVMVolumeDriver:node-a:cinder-volumes:default:0"}},
                {"name":"b@lvm#lvm","capabilities":{"location_info":"LVMVolumeDriver:node-b:cinder-volumes:thin:0"}},
                {"name":"a@ceph#ceph","capabilities":{"location_info":"ceph:/etc/ceph/ceph.conf:4245d994-9985-470d-980b-bcad3894afb0:cinder:volumes"}},
                {"name":"a@x#x","capabilities":{"location_info":"ceph::::"}},
                {"name":"a@y#y","capabilities":{}}]"#,
        );
        let storage: Vec<Option<String>> = pools.iter().map(Pool::storage).collect();
        assert_eq!(
            storage,
            [
                Some("lvm:cinder-volumes".into()),
                Some("lvm:cinder-volumes".into()),
                Some("rbd:4245d994-9985-470d-980b-bcad3894afb0/volumes".into()),
                None,
                None,
            ]
        );
    }

    #[test]
    fn other_drivers_are_unknown_by_what_they_say_of_themselves() {
        let pools: Vec<Pool> = sample(
            r#"[{"name":"a@pure#p","capabilities":{"vendor_name":"Pure Storage","storage_protocol":["iSCSI","iscsi"],"thin_provisioning_support":true}},
                {"name":"a@lvm#p","capabilities":{"location_info":"LVMVolumeDriver:a","thin_provisioning_support":true}},
                {"name":"a@x#p","capabilities":{}}]"#,
        );
        let drivers: Vec<Driver> = pools.iter().map(Pool::driver).collect();
        assert_eq!(
            drivers,
            [
                Driver::Unknown("Pure Storage iSCSI".into()),
                Driver::LvmThin,
                Driver::Unknown(String::new())
            ]
        );
    }

    #[test]
    fn clustered_services_share_the_pools_reported_under_their_cluster() {
        let services: ServiceList = sample(include_str!(
            "../../../tests/corpus/cinder/services_cluster.json"
        ));
        let volume_services = services
            .services
            .into_iter()
            .filter(|s| s.host.contains('@'))
            .collect();
        let pools: PoolList = sample(
            r#"{"pools":[{"name":"mycluster@ceph#ceph","capabilities":{"storage_protocol":"ceph","total_capacity_gb":10.0}},
                         {"name":"devstack@lvmdriver-1#lvmdriver-1","capabilities":{"location_info":"LVMVolumeDriver:devstack:vg:default:0"}}]}"#,
        );
        let hosts = join_hosts(volume_services, &pools.pools);
        let rows: Vec<(&str, Option<&str>, &Driver)> = hosts
            .iter()
            .map(|h| (h.host.as_str(), h.cluster.as_deref(), &h.driver))
            .collect();
        assert_eq!(
            rows,
            [
                ("ceph1@ceph#ceph", Some("mycluster@ceph"), &Driver::Rbd),
                ("ceph2@ceph#ceph", Some("mycluster@ceph"), &Driver::Rbd),
                ("devstack@lvmdriver-1#lvmdriver-1", None, &Driver::LvmThick),
            ]
        );
        assert_eq!(hosts[0].total_capacity_gb, Some(10.0));
    }
}
