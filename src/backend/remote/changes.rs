//! Changes and their end: a manage, unmanage, create or delete is sent, then its status
//! is polled, soon at first and then less often, until Cinder has finished it or given
//! up.

use std::time::Instant;

use serde_json::json;

use super::http::Call;
use super::wire::{Brief, One};
use super::{Operation, Progress, RemoteBackend, Resource};
use crate::backend::{Error, Result};

impl RemoteBackend {
    pub(super) fn report(
        &self,
        operation: Operation,
        id: &str,
        status: &str,
        started: Instant,
        finished: bool,
    ) {
        tracing::info!(
            ?operation,
            id,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            finished,
            "progress"
        );
        let _ = self.progress.send(Progress {
            operation,
            id: id.to_string(),
            status: status.to_string(),
            elapsed: started.elapsed(),
            finished,
        });
    }

    /// Reads a resource's status; `None` once Cinder answers 404.
    pub(super) async fn status(&self, resource: Resource, id: &str) -> Result<Option<String>> {
        let path = format!("{}/{id}", resource.collection());
        match self
            .get::<One<Brief>>(Call::get(&path, self.options.read_timeout))
            .await
        {
            Ok(one) => Ok(Some(one.item.status)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Polls until `done` accepts the status (`Ok(true)`) or rejects it (`Err`), within
    /// the configured time.
    pub(super) async fn wait(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
        done: impl Fn(Option<&str>) -> Result<bool>,
    ) -> Result<()> {
        let started = Instant::now();
        let mut pause = self.options.poll_first.min(self.options.poll_interval);
        loop {
            let status = self.status(resource, id).await?;
            let shown = status.as_deref().unwrap_or("gone");
            match done(status.as_deref()) {
                Ok(true) => {
                    self.report(operation, id, shown, started, true);
                    return Ok(());
                }
                Err(err) => {
                    self.report(operation, id, shown, started, true);
                    return Err(err);
                }
                Ok(false) => self.report(operation, id, shown, started, false),
            }
            if started.elapsed() >= self.options.poll_timeout {
                return Err(Error::Backend(format!(
                    "gave up after {} s: {} {id} is still {shown}; Cinder may yet finish, check it later",
                    self.options.poll_timeout.as_secs(),
                    resource.noun()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(self.options.poll_interval);
        }
    }

    /// Waits for `available`; `error` means the change failed and left a record behind.
    /// `what` says what was asked (`import …`, `create …`).
    pub(super) async fn wait_available(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
        what: &str,
    ) -> Result<()> {
        self.wait(operation, resource, id, |status| match status {
            Some("available") => Ok(true),
            Some("error") => Err(Error::Backend(format!(
                "Cinder could not {what}: {noun} {id} went to status error (the reason is in \
                 cinder-volume's log). The error record {id} stays in Cinder; delete it \
                 (openstack volume {snapshot}delete {id}) before trying again.",
                noun = resource.noun(),
                snapshot = if matches!(resource, Resource::Snapshot) {
                    "snapshot "
                } else {
                    ""
                },
            ))),
            Some(_) => Ok(false),
            None => Err(Error::NotFound(format!(
                "{} {id} disappeared while Cinder was to {what}",
                resource.noun()
            ))),
        })
        .await
    }

    /// Posts an import and waits until Cinder reports the new resource available.
    pub(super) async fn import(
        &self,
        operation: Operation,
        resource: Resource,
        body: serde_json::Value,
        what: &str,
    ) -> Result<String> {
        let path = resource.manageable_collection();
        let reply = self
            .session
            .send(Call::post(path, body, self.options.read_timeout))
            .await?;
        let created: One<Brief> = reply.json(&format!("POST {path}"))?;
        let id = created.item.id;
        tracing::info!(id, what, "import accepted");
        self.wait_available(operation, resource, &id, &format!("import {what}"))
            .await?;
        Ok(id)
    }

    /// Sends an unmanage or a delete and waits for the 404 that ends it; `failed`
    /// says which statuses mean it failed, and why.
    async fn remove(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
        call: Call<'_>,
        failed: impl Fn(&str) -> Option<String>,
    ) -> Result<()> {
        // What the listings say of that resource's back-end object is about to change.
        self.snapshot_listings.forget_all();
        self.volume_listings.forget_all();
        self.session.send(call).await?;
        self.wait(operation, resource, id, |status| match status {
            None => Ok(true),
            Some(status) => failed(status).map_or(Ok(false), |why| Err(Error::Backend(why))),
        })
        .await
    }

    pub(super) async fn unmanage(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
    ) -> Result<()> {
        let path = format!("{}/{id}/action", resource.collection());
        let call = Call::post(
            &path,
            json!({ "os-unmanage": null }),
            self.options.read_timeout,
        );
        self.remove(operation, resource, id, call, |status| {
            matches!(status, "error_deleting" | "error_unmanaging").then(|| {
                format!(
                    "Cinder could not unmanage {} {id}: its status is {status}",
                    resource.noun()
                )
            })
        })
        .await
    }

    /// Sends Cinder's DELETE and waits for the 404 that ends it. A delete that failed
    /// shows in the status: `error_deleting`, or `available` again (the LVM driver's
    /// VolumeIsBusy: the back end still holds a snapshot of the volume).
    pub(super) async fn delete(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
    ) -> Result<()> {
        let path = format!("{}/{id}", resource.collection());
        let call = Call::delete(&path, self.options.read_timeout);
        let noun = resource.noun();
        self.remove(operation, resource, id, call, |status| match status {
            "error_deleting" => Some(format!(
                "Cinder could not delete {noun} {id}: its status is {status} (the reason is in \
                 cinder-volume's log)"
            )),
            "available" => Some(format!(
                "Cinder did not delete {noun} {id}: its driver refused and the status went back \
                 to available (on LVM this is VolumeIsBusy: the back end still holds a snapshot \
                 of it that Cinder does not manage; cinder-volume's log has the reason)"
            )),
            _ => None,
        })
        .await
    }
}
