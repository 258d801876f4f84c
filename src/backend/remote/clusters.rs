//! Active/active services: the cluster a host's service belongs to. A clustered back
//! end is served by any of its services, so manageable listings (3.17+) and volume
//! imports (3.16+) go to the cluster, as cinderclient's `--cluster` does, rather than to
//! one service that may be down. Older servers are addressed by host.

use std::collections::HashMap;
use std::sync::Mutex;

use super::RemoteBackend;
use super::http::{Call, Microversion};
use super::wire::{Service, ServiceList};
use crate::backend::{Result, backend_of};
use crate::sync::lock;

/// The first microversion that imports a volume into a cluster.
pub const MANAGE_BY_CLUSTER: Microversion = Microversion(16);
/// The first microversion that lists a cluster's manageable volumes and snapshots.
pub const LIST_BY_CLUSTER: Microversion = Microversion(17);

/// Whom a host's manageable listing or volume import is addressed to.
#[derive(Debug, Clone, PartialEq)]
pub enum Addressee {
    /// `host@backend[#pool]`, as the operator gave it.
    Host(String),
    /// `cluster@backend[#pool]`: the host's cluster, with the host's pool.
    Cluster(String),
}

impl Addressee {
    /// The query parameter or body field and its value.
    pub fn field(&self) -> (&'static str, &str) {
        match self {
            Addressee::Host(host) => ("host", host),
            Addressee::Cluster(cluster) => ("cluster", cluster),
        }
    }
}

/// The cluster of each cinder-volume service (`host@backend`), as last listed; `None`
/// until a listing arrived.
#[derive(Default)]
pub struct Clusters {
    known: Mutex<Option<HashMap<String, Option<String>>>>,
}

impl Clusters {
    /// Remembers the services' clusters.
    pub fn record(&self, services: &[Service]) {
        let known = services
            .iter()
            .map(|service| (service.host.clone(), service.cluster.clone()))
            .collect();
        *lock(&self.known) = Some(known);
    }

    /// The cluster of `host`'s service: `None` while no listing arrived, `Some(None)`
    /// for a service outside any cluster (or unknown).
    fn of(&self, host: &str) -> Option<Option<String>> {
        let known = lock(&self.known);
        let known = known.as_ref()?;
        Some(known.get(backend_of(host)).cloned().flatten())
    }
}

impl RemoteBackend {
    /// The cinder-volume services, whose clusters are remembered on the way.
    pub(super) async fn volume_services(&self) -> Result<Vec<Service>> {
        let call = Call::get("os-services", self.options.read_timeout)
            .query(vec![("binary", "cinder-volume".into())]);
        let services = self.get::<ServiceList>(call).await?.services;
        self.clusters.record(&services);
        Ok(services)
    }

    /// Whom to address for `host` in a call that takes a cluster from microversion
    /// `since`: the host's cluster when it has one and the server speaks `since`, else
    /// the host. The services are listed once if no listing arrived yet; if that fails,
    /// the host is addressed, as before clusters.
    pub(super) async fn addressee(&self, host: &str, since: Microversion) -> Addressee {
        if self.microversion() < since {
            return Addressee::Host(host.to_string());
        }
        let cluster = match self.clusters.of(host) {
            Some(cluster) => cluster,
            None => match self.volume_services().await {
                Ok(_) => self.clusters.of(host).flatten(),
                Err(err) => {
                    tracing::warn!(host, %err, "services unreadable: addressing the host");
                    None
                }
            },
        };
        match cluster {
            Some(cluster) => Addressee::Cluster(match host.split_once('#') {
                Some((_, pool)) => format!("{cluster}#{pool}"),
                None => cluster,
            }),
            None => Addressee::Host(host.to_string()),
        }
    }
}
