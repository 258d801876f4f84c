//! What snapport checks before an import, at the price of one manageable listing per
//! host rather than one per item.
//!
//! Cinder's manageable listing scans the whole back end (about 0.2 s per snapshot LV with
//! the LVM driver, and HTTP 500 once that passes the RPC timeout), so the checks of a
//! session share one listing per host: the one the operator last looked at, or one
//! fetched for the first check that needs it. Imports this session made are remembered
//! (their references were renamed away), and a change that renames what a listing shows
//! drops it. Where a reference follows the driver's name template (`_snapshot-<id>`,
//! `snapshot-<id>`, `volume-<id>`), one GET of that id tells whether Cinder manages it,
//! with or without a listing.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::backend::{Error, Reference, Result, backend_of};
use crate::sync::lock;

/// How long a host's listing serves checks before the next check fetches it again.
/// Long enough for a batch, short enough that a console left open re-lists.
pub const LISTING_MAX_AGE: Duration = Duration::from_secs(300);

/// A listing as fetched: the entries, or why there are none.
pub type Listed<T> = std::result::Result<Arc<Vec<T>>, Error>;

struct Memo<T> {
    fetched: Instant,
    listed: Listed<T>,
}

/// One host's kept listing; its lock makes checks that arrive together wait for one fetch.
type Slot<T> = Arc<tokio::sync::Mutex<Option<Memo<T>>>>;

/// The manageable listings of one kind (snapshots or volumes), one per host.
pub struct Listings<T> {
    hosts: Mutex<HashMap<String, Slot<T>>>,
}

impl<T> Default for Listings<T> {
    fn default() -> Self {
        Self {
            hosts: Mutex::default(),
        }
    }
}

impl<T> Listings<T> {
    fn slot(&self, host: &str) -> Slot<T> {
        lock(&self.hosts)
            .entry(backend_of(host).to_string())
            .or_default()
            .clone()
    }

    /// Keeps a listing the operator was shown, so that checks judge what they saw.
    pub async fn store(&self, host: &str, listed: Listed<T>) {
        *self.slot(host).lock().await = Some(Memo {
            fetched: Instant::now(),
            listed,
        });
    }

    /// The host's listing for a check: the kept one while it is fresh, else fetched once,
    /// however many checks ask at the same time. A failure is kept too: a batch does not
    /// wait for the same timeout once per item.
    pub async fn get<F>(&self, host: &str, fetch: F) -> Listed<T>
    where
        F: Future<Output = Result<Vec<T>>>,
    {
        let slot = self.slot(host);
        let mut memo = slot.lock().await;
        if let Some(kept) = memo.as_ref()
            && kept.fetched.elapsed() < LISTING_MAX_AGE
        {
            return kept.listed.clone();
        }
        let listed = fetch.await.map(Arc::new);
        *memo = Some(Memo {
            fetched: Instant::now(),
            listed: listed.clone(),
        });
        listed
    }

    /// Drops the host's listing: a change made it wrong.
    pub fn forget(&self, host: &str) {
        lock(&self.hosts).remove(backend_of(host));
    }

    /// Drops every listing.
    pub fn forget_all(&self) {
        lock(&self.hosts).clear();
    }
}

/// References this session is importing or has imported, per host: a listing fetched
/// before a batch still shows them under their old names.
#[derive(Default)]
pub struct Claims {
    taken: Mutex<HashMap<(String, Reference), Option<String>>>,
}

/// A reference held while its import runs; dropped unsettled (the import failed or was
/// abandoned), it is free again.
pub struct Claim<'a> {
    claims: &'a Claims,
    key: (String, Reference),
    settled: bool,
}

impl Claims {
    /// Takes `reference` on `host`, or says who has it: `Some(id)` for an earlier
    /// import of this session, `None` for one still running.
    pub fn take(
        &self,
        host: &str,
        reference: &Reference,
    ) -> std::result::Result<Claim<'_>, Option<String>> {
        let key = (backend_of(host).to_string(), reference.clone());
        let mut taken = lock(&self.taken);
        if let Some(owner) = taken.get(&key) {
            return Err(owner.clone());
        }
        taken.insert(key.clone(), None);
        Ok(Claim {
            claims: self,
            key,
            settled: false,
        })
    }
}

impl Claim<'_> {
    /// The import worked: the reference now belongs to `id`.
    pub fn settle(mut self, id: &str) {
        lock(&self.claims.taken).insert(self.key.clone(), Some(id.to_string()));
        self.settled = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.settled {
            lock(&self.claims.taken).remove(&self.key);
        }
    }
}

/// The id in a reference that follows one of the driver name templates given as
/// prefixes (e.g. `_snapshot-`), when what follows is a UUID.
pub fn templated_id<'a>(reference: &'a Reference, prefixes: &[&str]) -> Option<&'a str> {
    let name = reference.source_name.as_deref()?;
    prefixes
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .filter(|id| uuid::Uuid::try_parse(id).is_ok())
}

/// Why an import cannot go on without its listing: what was checked, what could not be,
/// the back end's reason, and how to go on.
pub fn listing_unavailable(reason: &str, checked: &[String], not_checked: &str) -> Error {
    Error::ListingUnavailable(format!(
        "{reason}. Checked: {}. Not checked: {not_checked}. To import it without these \
         checks, skip the listing (--no-listing; the console asks)",
        checked.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_give_their_id() {
        let id = "0b7c1f5e-8d2a-4c59-9e41-3f6a2b1c9d70";
        let snapshot = Reference::name(format!("_snapshot-{id}"));
        assert_eq!(
            templated_id(&snapshot, &["_snapshot-", "snapshot-"]),
            Some(id)
        );
        let rbd = Reference::name(format!("snapshot-{id}"));
        assert_eq!(templated_id(&rbd, &["_snapshot-", "snapshot-"]), Some(id));
        for other in ["_snapshot-daily", "daily", "volume-x", ""] {
            let reference = Reference::name(other);
            assert_eq!(
                templated_id(&reference, &["_snapshot-", "snapshot-"]),
                None,
                "{other}"
            );
        }
        assert_eq!(templated_id(&snapshot, &["volume-"]), None);
    }

    #[test]
    fn a_claim_holds_until_dropped_and_remembers_its_id_once_settled() {
        let claims = Claims::default();
        let reference = Reference::name("snap-1");
        let first = claims.take("h@lvm#lvm", &reference).unwrap();
        assert_eq!(claims.take("h@lvm", &reference).err(), Some(None));
        drop(first);
        let again = claims.take("h@lvm", &reference).unwrap();
        again.settle("new-id");
        assert_eq!(
            claims.take("h@lvm#pool", &reference).err(),
            Some(Some("new-id".to_string()))
        );
        assert!(claims.take("other@lvm", &reference).is_ok());
    }

    #[tokio::test]
    async fn checks_at_the_same_time_share_one_fetch_and_a_failure_is_kept() {
        let listings: Listings<u32> = Listings::default();
        let fetches = std::sync::atomic::AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(Error::Backend("HTTP 500: MessagingTimeout".into()))
        };
        let (a, b) = tokio::join!(
            listings.get("h@lvm", fetch()),
            listings.get("h@lvm", fetch())
        );
        assert!(a.is_err() && b.is_err());
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
        listings.forget("h@lvm#lvm");
        let c = listings.get("h@lvm", async { Ok(vec![7]) }).await.unwrap();
        assert_eq!(*c, vec![7]);
    }
}
