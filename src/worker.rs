//! Runs the console's effects against the back end on tokio tasks and reports back as
//! messages, so the UI never waits for lvm or the network. Listings stream page by
//! page; imports and exports run a few at a time.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc::UnboundedSender};

use crate::app::msg::{Effect, Load, Msg, Page, Unmanage};
use crate::backend::Backend;

/// How many imports or exports run at once.
const MUTATIONS_AT_ONCE: usize = 4;

/// Spawns back-end calls and sends their results to the console.
#[derive(Clone)]
pub struct Worker {
    backend: Arc<dyn Backend>,
    tx: UnboundedSender<Msg>,
    mutations: Arc<Semaphore>,
}

impl Worker {
    /// A worker that reports to `tx`.
    pub fn new(backend: Arc<dyn Backend>, tx: UnboundedSender<Msg>) -> Self {
        Self {
            backend,
            tx,
            mutations: Arc::new(Semaphore::new(MUTATIONS_AT_ONCE)),
        }
    }

    /// Starts one effect; returns at once.
    pub fn run(&self, effect: Effect) {
        let worker = self.clone();
        tokio::spawn(async move { worker.execute(effect).await });
    }

    async fn execute(self, effect: Effect) {
        let backend = self.backend.as_ref();
        // A send fails only when the console has quit; the result has nobody to go to.
        let send = |msg| {
            let _ = self.tx.send(msg);
        };
        match effect {
            Effect::Load { request, load } => {
                let tx = self.tx.clone();
                let page = move |page| {
                    let _ = tx.send(Msg::Page { request, page });
                };
                let result = match load {
                    Load::Hosts => backend.hosts().await.map(|hosts| page(Page::Hosts(hosts))),
                    Load::Volumes(filter) => {
                        backend
                            .volumes_paged(&filter, &mut |rows| page(Page::Volumes(rows)))
                            .await
                    }
                    Load::Snapshots(filter) => {
                        backend
                            .snapshots_paged(&filter, &mut |rows| page(Page::Snapshots(rows)))
                            .await
                    }
                    Load::Manageable(host) => backend
                        .manageable_snapshots(&host)
                        .await
                        .map(|entries| page(Page::Manageable(entries))),
                };
                if let Err(err) = &result {
                    tracing::warn!(request, error = %err, "listing failed");
                }
                send(Msg::Loaded { request, result });
            }
            Effect::Manage {
                request,
                item,
                manage,
            } => {
                let _permit = self.mutations.acquire().await;
                tracing::info!(reference = manage.reference.label(), volume = %manage.volume_id, "manage snapshot");
                let result = backend.manage_snapshot(&manage).await;
                if let Err(err) = &result {
                    tracing::warn!(error = %err, "manage failed");
                }
                send(Msg::Managed {
                    request,
                    item,
                    result,
                });
            }
            Effect::Unmanage {
                request,
                item,
                unmanage,
            } => {
                let _permit = self.mutations.acquire().await;
                let result = match &unmanage {
                    Unmanage::Snapshot(id) => {
                        tracing::info!(%id, "unmanage snapshot");
                        backend.unmanage_snapshot(id).await
                    }
                    Unmanage::Volume(id) => {
                        tracing::info!(%id, "unmanage volume");
                        backend.unmanage_volume(id).await
                    }
                };
                if let Err(err) = &result {
                    tracing::warn!(error = %err, "unmanage failed");
                }
                send(Msg::Unmanaged {
                    request,
                    item,
                    result,
                });
            }
        }
    }
}
