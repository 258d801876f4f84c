//! Walking Cinder's lists: volumes and snapshots page by page (several pages at once
//! when the server tells the total), and the manageable lists with their JSON markers.

use std::collections::HashSet;
use std::time::Instant;

use futures::StreamExt;
use serde::de::DeserializeOwned;

use super::RemoteBackend;
use super::clusters::LIST_BY_CLUSTER;
use super::http::{Call, Microversion, Retry};
use super::wire::{self, Identified, Page};
use crate::backend::{Error, PageSink, Reference, Result, backend_of};

/// The first microversion whose lists can tell their total (`with_count`).
const COUNT_MICROVERSION: Microversion = Microversion(45);
/// Pages of an inventory fetched at once once the total is known: enough to keep a
/// couple of API workers busy, few enough not to crowd out other callers.
const PAGES_IN_FLIGHT: usize = 4;

impl RemoteBackend {
    /// Walks a volume or snapshot list, delivering every non-empty page in order. From
    /// microversion 3.45 the first page tells the total, and the rest is fetched by
    /// offset, a few pages at a time; rows are deduplicated by id (a row can move
    /// between pages while they are read). Older servers are walked by marker.
    pub(super) async fn list_paged<W, T>(
        &self,
        path: &str,
        query: Vec<(&'static str, String)>,
        keep: &(dyn Fn(&T) -> bool + Sync),
        sink: PageSink<'_, T>,
    ) -> Result<()>
    where
        W: DeserializeOwned + Into<T> + Identified,
    {
        let limit = self.options.page_size.max(1) as usize;
        let mut seen = HashSet::new();
        let mut deliver = |page: Vec<W>| {
            let items: Vec<T> = page
                .into_iter()
                .filter(|item| seen.insert(item.id().to_string()))
                .map(Into::into)
                .filter(|item| keep(item))
                .collect();
            if !items.is_empty() {
                sink(items);
            }
        };
        if self.microversion() < COUNT_MICROVERSION {
            return self.walk_by_marker(path, &query, None, &mut deliver).await;
        }
        let mut params = query.clone();
        params.push(("with_count", "true".into()));
        let first: Page<W> = self.list_page(path, params).await?;
        let full = first.items.len() >= limit;
        let next = wire::next_marker(&first.links)?;
        let total = first.count.unwrap_or(0) as usize;
        deliver(first.items);
        if !full {
            return Ok(());
        }
        let pages = futures::stream::iter((limit..total).step_by(limit))
            .map(|offset| {
                let mut params = query.clone();
                params.push(("offset", offset.to_string()));
                self.list_page::<W>(path, params)
            })
            .buffered(PAGES_IN_FLIGHT);
        futures::pin_mut!(pages);
        let mut last = next;
        while let Some(page) = pages.next().await {
            let page = page?;
            let page_full = page.items.len() >= limit;
            last = if page_full {
                wire::next_marker(&page.links)?
            } else {
                None
            };
            deliver(page.items);
        }
        match last {
            // Rows beyond the total counted at first: go on by marker.
            Some(marker) => {
                self.walk_by_marker(path, &query, Some(marker), &mut deliver)
                    .await
            }
            None => Ok(()),
        }
    }

    /// One page of a volume or snapshot list.
    pub(super) async fn list_page<W: DeserializeOwned>(
        &self,
        path: &str,
        mut params: Vec<(&'static str, String)>,
    ) -> Result<Page<W>> {
        params.push(("limit", self.options.page_size.max(1).to_string()));
        self.get(Call::get(path, self.options.read_timeout).query(params))
            .await
    }

    /// Follows next links from `marker` (the start when `None`) to the end.
    pub(super) async fn walk_by_marker<W: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        mut marker: Option<String>,
        deliver: &mut (dyn FnMut(Vec<W>) + Send),
    ) -> Result<()> {
        loop {
            let mut params = query.to_vec();
            params.extend(marker.clone().map(|m| ("marker", m)));
            let page: Page<W> = self.list_page(path, params).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            let next = wire::next_marker(&page.links)?;
            deliver(page.items);
            match next {
                None => return Ok(()),
                Some(next) if marker.as_ref() == Some(&next) => {
                    return Err(Error::Backend(format!(
                        "{path}: the next link repeats marker {next}"
                    )));
                }
                Some(next) => marker = Some(next),
            }
        }
    }

    /// Walks a host's manageable list (by its cluster where it has one) with the JSON
    /// reference of the last item as the marker.
    pub(super) async fn manageable<T: DeserializeOwned>(
        &self,
        path: &str,
        host: &str,
        reference: fn(&T) -> &Reference,
    ) -> Result<Vec<T>> {
        let limit = self.options.manageable_page_size.max(1);
        let addressee = self.addressee(backend_of(host), LIST_BY_CLUSTER).await;
        let (field, target) = addressee.field();
        let mut all: Vec<T> = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![
                (field, target.to_string()),
                ("limit", limit.to_string()),
                ("sort", "reference:asc".to_string()),
            ];
            params.extend(marker.clone().map(|m| ("marker", m)));
            let mut call = Call::get(path, self.options.manageable_timeout).query(params);
            call.retry = Retry::ConnectOnly;
            let started = Instant::now();
            let page: Page<T> = self.get(call).await?;
            let count = page.items.len();
            tracing::debug!(
                path,
                host,
                count,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "manageable page"
            );
            let next = page.items.last().map(|last| {
                serde_json::to_string(reference(last)).expect("a reference serializes")
            });
            all.extend(page.items);
            if count < limit as usize {
                return Ok(all);
            }
            if next == marker {
                return Err(Error::Backend(format!(
                    "{path}: pagination does not advance past {next:?}"
                )));
            }
            marker = next;
        }
    }
}
