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

use super::{RemoteBackend, Resource};
use crate::backend::snapshot_keys::locate;
use crate::backend::{
    Backend, Error, ManageSnapshotRequest, ManageVolumeRequest, ManageableSnapshot,
    ManageableVolume, Reference, Result, Status, backend_of,
};
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

    /// The host's listing of back-end `noun`s for an import's checks, or why a check
    /// cannot rely on it: the listing failed, or it is empty, which is also how a driver
    /// without manageable listings answers.
    pub async fn for_check<F>(
        &self,
        host: &str,
        noun: &str,
        fetch: F,
    ) -> std::result::Result<Arc<Vec<T>>, String>
    where
        F: Future<Output = Result<Vec<T>>>,
    {
        let listing = self
            .get(host, fetch)
            .await
            .map_err(|err| format!("the manageable {noun} listing of host {host} failed: {err}"))?;
        if listing.is_empty() {
            return Err(format!(
                "host {host} lists no back-end {noun}s at all (a driver without manageable \
                 listings answers so)"
            ));
        }
        Ok(listing)
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

/// What a claim holds: a reference on a host and, for a snapshot, the parent volume it
/// goes under (RBD names snapshots per image: `daily` under two volumes is two objects).
type ClaimKey = (String, Option<String>, Reference);

/// References this session is importing or has imported, per host (and parent): a
/// listing fetched before a batch still shows them under their old names.
#[derive(Default)]
pub struct Claims {
    taken: Mutex<HashMap<ClaimKey, Option<String>>>,
}

/// A reference held while its import runs; dropped unsettled (the import failed or was
/// abandoned), it is free again.
pub struct Claim<'a> {
    claims: &'a Claims,
    key: ClaimKey,
    settled: bool,
}

impl Claims {
    /// Takes `reference` on `host` (under the volume `parent`, for a snapshot), or
    /// says who has it: `Some(id)` for an earlier import of this session, `None` for
    /// one still running.
    pub fn take(
        &self,
        host: &str,
        parent: Option<&str>,
        reference: &Reference,
    ) -> std::result::Result<Claim<'_>, Option<String>> {
        let key = (
            backend_of(host).to_string(),
            parent.map(str::to_string),
            reference.clone(),
        );
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

impl RemoteBackend {
    /// The id Cinder manages `reference` under, where the reference follows the
    /// driver's name template for `resource` and Cinder has that id: one GET, no listing.
    pub(super) async fn managed_under_template(
        &self,
        resource: Resource,
        reference: &Reference,
    ) -> Result<Option<String>> {
        let prefixes: &[&str] = match resource {
            Resource::Snapshot => &["_snapshot-", "snapshot-"],
            Resource::Volume => &["volume-"],
        };
        let Some(id) = templated_id(reference, prefixes) else {
            return Ok(None);
        };
        Ok(self.status(resource, id).await?.map(|_| id.to_string()))
    }

    /// Holds `reference` (under the volume `parent`, for a snapshot) for this import,
    /// refused when this session is importing it already or imported it before (its
    /// old name is still in a kept listing).
    pub(super) fn claim(
        &self,
        noun: &str,
        host: &str,
        parent: Option<&str>,
        reference: &Reference,
    ) -> Result<Claim<'_>> {
        self.claims
            .take(host, parent, reference)
            .map_err(|owner| match owner {
                Some(id) => already_managed(noun, reference.label(), host, Some(&id)),
                None => Error::AlreadyManaged(format!(
                    "{}{} on host {host} is being imported by another item of this batch",
                    reference.label(),
                    parent
                        .map(|id| format!(" under volume {id}"))
                        .unwrap_or_default()
                )),
            })
    }

    /// snapport's checks before a snapshot import, all made before anything is sent:
    /// the parent exists and is available, the reference is not a managed snapshot's
    /// name, and, in the host's listing, it exists, is not managed and is a snapshot of
    /// the parent. Returns the claim on the reference.
    pub(super) async fn check_snapshot_import(
        &self,
        request: &ManageSnapshotRequest,
    ) -> Result<Claim<'_>> {
        let wanted = request.reference.label();
        let (parent, managed) = futures::try_join!(
            self.volume(&request.volume_id),
            self.managed_under_template(Resource::Snapshot, &request.reference),
        )?;
        let host = parent.host.clone().ok_or_else(|| {
            Error::InvalidState(format!(
                "Invalid volume: volume {} has no host, so its back end is unknown",
                parent.id
            ))
        })?;
        if !matches!(parent.status, Status::Available | Status::InUse) {
            return Err(Error::InvalidState(format!(
                "Invalid volume: Volume {} status must be available, in-use, but current status is: {}.",
                parent.id, parent.status
            )));
        }
        if let Some(id) = managed {
            return Err(already_managed("snapshot", wanted, &host, Some(&id)));
        }
        let claim = self.claim("snapshot", &host, Some(&parent.id), &request.reference)?;
        if request.without_listing {
            return Ok(claim);
        }
        let unavailable = |reason: String| {
            let mut checked = vec![format!(
                "volume {} exists and is {}",
                parent.id, parent.status
            )];
            if templated_id(&request.reference, &["_snapshot-", "snapshot-"]).is_some() {
                checked.push(format!(
                    "{wanted} is not the name of a snapshot Cinder manages"
                ));
            }
            listing_unavailable(
                &reason,
                &checked,
                &format!(
                    "that {wanted} exists on the back end, is a snapshot of volume {}, and is \
                     not managed under another name",
                    parent.id
                ),
            )
        };
        let listing = self
            .snapshot_listings
            .for_check(&host, "snapshot", self.fetch_manageable_snapshots(&host))
            .await
            .map_err(unavailable)?;
        // The name may be listed under several parents (RBD): only the entry under this
        // volume is what the manage will take.
        let located = locate(&listing, &request.reference, |entry| {
            entry.is_snapshot_of(&parent.id)
        });
        let entry = match located.own {
            Some(entry) => entry,
            None if located.elsewhere.is_empty() => {
                return Err(Error::InvalidReference(format!(
                    "{wanted} does not exist on host {host}: the back end does not list it as a snapshot"
                )));
            }
            None if request.force => located.elsewhere[0],
            None => {
                return Err(Error::InvalidReference(format!(
                    "{wanted} is listed on host {host} only as a snapshot of {}, not of volume {}; \
                     import it under the volume it belongs to, or force the import where the \
                     driver finds snapshots by name alone (LVM; RBD looks on the volume's own image)",
                    located.other_parents().join(" and of "),
                    parent.id,
                )));
            }
        };
        if is_managed(entry.cinder_id.as_deref(), entry.reason_not_safe.as_deref()) {
            return Err(already_managed(
                "snapshot",
                wanted,
                &host,
                entry.cinder_id.as_deref(),
            ));
        }
        Ok(claim)
    }

    /// snapport's checks before a volume import: the reference is not a managed volume's
    /// name and, in the host's listing, not managed. Returns the claim on the reference.
    pub(super) async fn check_volume_import(
        &self,
        request: &ManageVolumeRequest,
    ) -> Result<Claim<'_>> {
        let wanted = request.reference.label();
        let host = &request.host;
        if let Some(id) = self
            .managed_under_template(Resource::Volume, &request.reference)
            .await?
        {
            return Err(already_managed("volume", wanted, host, Some(&id)));
        }
        let claim = self.claim("volume", host, None, &request.reference)?;
        if request.without_listing {
            return Ok(claim);
        }
        let unavailable = |reason: String| {
            let checked = if templated_id(&request.reference, &["volume-"]).is_some() {
                format!("{wanted} is not the name of a volume Cinder manages")
            } else {
                format!("nothing ({wanted} does not follow the volume-<id> name template)")
            };
            listing_unavailable(
                &reason,
                &[checked],
                &format!(
                    "that {wanted} exists on the back end and is not managed under another name"
                ),
            )
        };
        let listing = self
            .volume_listings
            .for_check(host, "volume", self.fetch_manageable_volumes(host))
            .await
            .map_err(unavailable)?;
        if let Some(entry) = listing
            .iter()
            .find(|entry| entry.reference == request.reference)
            && is_managed(entry.cinder_id.as_deref(), entry.reason_not_safe.as_deref())
        {
            return Err(already_managed(
                "volume",
                wanted,
                host,
                entry.cinder_id.as_deref(),
            ));
        }
        Ok(claim)
    }

    pub(super) async fn fetch_manageable_snapshots(
        &self,
        host: &str,
    ) -> Result<Vec<ManageableSnapshot>> {
        self.manageable(
            "manageable_snapshots/detail",
            host,
            |entry: &ManageableSnapshot| &entry.reference,
        )
        .await
    }

    pub(super) async fn fetch_manageable_volumes(
        &self,
        host: &str,
    ) -> Result<Vec<ManageableVolume>> {
        self.manageable(
            "manageable_volumes/detail",
            host,
            |entry: &ManageableVolume| &entry.reference,
        )
        .await
    }
}

/// Cinder marks an entry of a manageable list as managed with its id or this reason.
pub(super) fn is_managed(cinder_id: Option<&str>, reason_not_safe: Option<&str>) -> bool {
    cinder_id.is_some() || reason_not_safe == Some("already managed")
}

pub(super) fn already_managed(
    noun: &str,
    wanted: &str,
    host: &str,
    cinder_id: Option<&str>,
) -> Error {
    let owner = cinder_id
        .map(|id| format!(" as {noun} {id}"))
        .unwrap_or_default();
    Error::AlreadyManaged(format!(
        "{wanted} on host {host} is already managed{owner}; importing it again would leave \
         that record pointing at a renamed {noun}"
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
        let first = claims.take("h@lvm#lvm", None, &reference).unwrap();
        assert_eq!(claims.take("h@lvm", None, &reference).err(), Some(None));
        drop(first);
        let again = claims.take("h@lvm", None, &reference).unwrap();
        again.settle("new-id");
        assert_eq!(
            claims.take("h@lvm#pool", None, &reference).err(),
            Some(Some("new-id".to_string()))
        );
        assert!(claims.take("other@lvm", None, &reference).is_ok());
    }

    #[test]
    fn one_snapshot_name_under_two_volumes_is_two_claims() {
        let claims = Claims::default();
        let daily = Reference::name("daily");
        let first = claims.take("h@rbd", Some("v1"), &daily).unwrap();
        let second = claims.take("h@rbd", Some("v2"), &daily).unwrap();
        assert_eq!(claims.take("h@rbd", Some("v1"), &daily).err(), Some(None));
        first.settle("s1");
        second.settle("s2");
        assert_eq!(
            claims.take("h@rbd", Some("v2"), &daily).err(),
            Some(Some("s2".to_string()))
        );
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
