//! Cinder's JSON shapes, as far as snapport reads them, and their conversion to the
//! shared domain types.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::backend::{Error, Host, Metadata, Result, Snapshot, Volume, backend_of};

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
            status: wire.status,
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
            status: wire.status,
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
}

/// One host per pool of each cinder-volume service; a service without pools (down, or
/// not yet reporting) is still listed, without capacity. Sorted, because Cinder's service
/// order is not stable.
pub fn join_hosts(services: Vec<Service>, pools: &[Pool]) -> Vec<Host> {
    let mut hosts = Vec::new();
    for service in services {
        let mut own: Vec<&Pool> = pools
            .iter()
            .filter(|p| backend_of(&p.name) == service.host)
            .collect();
        own.sort_by(|a, b| a.name.cmp(&b.name));
        let make = |host: String, pool: Option<&Pool>| Host {
            host,
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
            hosts.extend(
                own.into_iter()
                    .map(|pool| make(pool.name.clone(), Some(pool))),
            );
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
}
