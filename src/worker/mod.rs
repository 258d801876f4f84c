//! Runs the console's effects against the back end on tokio tasks and answers with
//! replies (`protocol`), so the UI never waits for lvm or the network. Listings stream page by
//! page; imports and exports run as journaled batches (see `crate::batch`), so that a
//! console killed half-way can be resumed. The worker also owns the back ends opened
//! by name (the switcher's and the migration wizard's) and runs migrations, turning
//! the engine's progress callback into messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub mod protocol;

use self::protocol::{Connection, Effect, Load, Page, Ran, Reply, RequestId, Review, RunEnd};
use crate::backend::{self, Backend};
use crate::batch::retire::Survey;
use crate::batch::{self, Batch, Control};
use crate::config::BackendSpec;
use crate::connect::Directory;
use crate::migrate::preflight::Sides;
use crate::migrate::{self, Options, Plan, service};
use crate::pause::PausePoint;
use crate::sync::lock;

/// Back ends and runs shared by the worker's tasks.
struct Shared {
    /// The console's back end; effects take the one current when they start.
    current: Mutex<Opened>,
    /// Back ends opened by name, by the request that opened them.
    opened: Mutex<HashMap<RequestId, Opened>>,
    /// Stop flags of running migrations and batches, by request.
    stops: Mutex<HashMap<RequestId, Arc<AtomicBool>>>,
    /// Running migrations and batches, awaited before the console exits.
    runs: Mutex<Vec<JoinHandle<()>>>,
}

/// A back end with the description that opens it again (for batch journals).
#[derive(Clone)]
struct Opened {
    backend: Arc<dyn Backend>,
    spec: Option<BackendSpec>,
}

/// Spawns back-end calls and sends their results to the console.
#[derive(Clone)]
pub struct Worker {
    tx: UnboundedSender<Reply>,
    shared: Arc<Shared>,
    directory: Option<Arc<Directory>>,
}

impl Worker {
    /// A worker on `backend` that reports to `tx`; `directory` opens back ends by name.
    pub fn new(
        backend: Arc<dyn Backend>,
        directory: Option<Directory>,
        tx: UnboundedSender<Reply>,
    ) -> Self {
        Self {
            tx,
            shared: Arc::new(Shared {
                current: Mutex::new(Opened {
                    backend,
                    spec: directory.as_ref().and_then(|d| d.spec.clone()),
                }),
                opened: Mutex::new(HashMap::new()),
                stops: Mutex::new(HashMap::new()),
                runs: Mutex::new(Vec::new()),
            }),
            directory: directory.map(Arc::new),
        }
    }

    /// Starts one effect; returns at once. Switching, releasing and stopping take effect
    /// before the next effect starts.
    pub fn run(&self, effect: Effect) {
        match effect {
            Effect::Switch { connection } => {
                if let Some(opened) = lock(&self.shared.opened).remove(&connection) {
                    *lock(&self.shared.current) = opened;
                }
            }
            Effect::Release { connection } => {
                lock(&self.shared.opened).remove(&connection);
            }
            Effect::Stop { request } => {
                if let Some(stop) = lock(&self.shared.stops).get(&request) {
                    stop.store(true, Ordering::SeqCst);
                }
            }
            Effect::Migrate { request, .. } => {
                let stop = self.stop_flag(request);
                let worker = self.clone();
                let source = self.current();
                self.keep(tokio::spawn(worker.migrate(effect, source, stop)));
            }
            Effect::FindUnfinishedBatches => {
                let worker = self.clone();
                tokio::spawn(async move {
                    let journals = worker.unfinished_batches();
                    worker.send(Reply::UnfinishedBatches(journals));
                });
            }
            Effect::Batch {
                request,
                items,
                in_order,
            } => {
                let stop = self.stop_flag(request);
                let worker = self.clone();
                let current = lock(&self.shared.current).clone();
                self.keep(tokio::spawn(async move {
                    worker.batch(request, items, in_order, current, stop).await
                }));
            }
            effect => {
                let worker = self.clone();
                let backend = self.current();
                tokio::spawn(async move { worker.execute(effect, backend).await });
            }
        }
    }

    /// Asks running migrations and batches to stop after their steps or items in flight
    /// and waits for them, so that quitting (or a closed terminal) never cuts one in
    /// half: the journal then holds every outcome, and resume runs the rest.
    pub async fn wind_down(&self) {
        for stop in lock(&self.shared.stops).values() {
            stop.store(true, Ordering::SeqCst);
        }
        let runs = std::mem::take(&mut *lock(&self.shared.runs));
        for run in runs {
            let _ = run.await;
        }
    }

    /// A stop flag for the run of `request`, which `Effect::Stop` and `wind_down` set.
    fn stop_flag(&self, request: RequestId) -> Arc<AtomicBool> {
        let stop = Arc::new(AtomicBool::new(false));
        lock(&self.shared.stops).insert(request, stop.clone());
        stop
    }

    /// Keeps a run's task for `wind_down` to await.
    fn keep(&self, run: JoinHandle<()>) {
        let mut runs = lock(&self.shared.runs);
        runs.retain(|run| !run.is_finished());
        runs.push(run);
    }

    fn current(&self) -> Arc<dyn Backend> {
        lock(&self.shared.current).backend.clone()
    }

    fn opened(&self, connection: RequestId) -> Result<Arc<dyn Backend>, String> {
        lock(&self.shared.opened)
            .get(&connection)
            .map(|opened| opened.backend.clone())
            .ok_or_else(|| "the target back end was closed; choose it again".to_string())
    }

    /// A send fails only when the console has quit; the result has nobody to go to.
    fn send(&self, reply: Reply) {
        let _ = self.tx.send(reply);
    }

    async fn execute(self, effect: Effect, backend: Arc<dyn Backend>) {
        let backend = backend.as_ref();
        match effect {
            Effect::Load { request, load } => {
                let tx = self.tx.clone();
                let page = move |page| {
                    let _ = tx.send(Reply::Page { request, page });
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
                    Load::ManageableVolumes(host) => backend
                        .manageable_volumes(&host)
                        .await
                        .map(|entries| page(Page::ManageableVolumes(entries))),
                };
                if let Err(err) = &result {
                    tracing::warn!(request, error = %err, "listing failed");
                }
                self.send(Reply::Loaded { request, result });
            }
            Effect::Connect {
                request,
                name,
                hosts,
            } => {
                let result = self.connect(request, &name, hosts).await;
                if let Err(err) = &result {
                    tracing::warn!(%name, error = %err, "opening a back end failed");
                }
                self.send(Reply::Connected { request, result });
            }
            Effect::Plan {
                request,
                volumes,
                from,
                to,
                target_host,
                target,
            } => {
                let review = match self.opened(target) {
                    Ok(target) => {
                        review(backend, target.as_ref(), &volumes, &from, &to, &target_host).await
                    }
                    Err(err) => Review::Failed(err),
                };
                self.send(Reply::Planned { request, review });
            }
            Effect::Refused { items } => {
                for item in &items {
                    let _ = crate::migrate::apply::execute(backend, &item.action).await;
                }
            }
            Effect::Survey { request, volume_id } => {
                let result = Survey::of(backend, &volume_id).await.map(Box::new);
                self.send(Reply::Surveyed { request, result });
            }
            Effect::Switch { .. }
            | Effect::Release { .. }
            | Effect::Stop { .. }
            | Effect::Migrate { .. }
            | Effect::Batch { .. }
            | Effect::FindUnfinishedBatches => {
                unreachable!("handled in Worker::run")
            }
            Effect::Copy { .. } => unreachable!("the console writes to the terminal itself"),
        }
    }

    async fn connect(
        &self,
        request: RequestId,
        name: &str,
        hosts: bool,
    ) -> Result<Connection, String> {
        let directory = self.directory.as_ref().ok_or_else(|| {
            "this console cannot open other back ends (no config file was read)".to_string()
        })?;
        tracing::info!(%name, "opening back end");
        let backend = directory
            .open(name)
            .await
            .map_err(|err| format!("{err:#}"))?;
        let hosts = if hosts {
            backend.hosts().await.map_err(|err| err.to_string())?
        } else {
            Vec::new()
        };
        let info = backend.info();
        let spec = Some(directory.config.backend(name));
        lock(&self.shared.opened).insert(request, Opened { backend, spec });
        Ok(Connection { info, hosts })
    }

    /// Runs imports, exports, creates or deletes as a journaled batch, reporting each
    /// item as it ends. Items the batch did not reach (its journal failed, or an item of
    /// a batch run in order failed) are reported failed, with why.
    async fn batch(
        self,
        request: RequestId,
        items: Vec<batch::Item>,
        in_order: bool,
        current: Opened,
        stop: Arc<AtomicBool>,
    ) {
        let actions: Vec<migrate::Action> = items.iter().map(|item| item.action.clone()).collect();
        let reported = Mutex::new(vec![false; items.len()]);
        let report = |number: usize, result: &backend::Result<Option<String>>| {
            let item = number - 1;
            lock(&reported)[item] = true;
            let result = result.clone();
            let action = &actions[item];
            self.send(if action.creates() {
                Reply::Managed {
                    request,
                    item,
                    result: result.map(Option::unwrap_or_default),
                }
            } else if action.is_delete() {
                Reply::Deleted {
                    request,
                    item,
                    result: result.map(drop),
                }
            } else {
                Reply::Unmanaged {
                    request,
                    item,
                    result: result.map(drop),
                }
            });
        };
        let result = match self.batch_journal(&current) {
            Ok((path, spec)) => {
                let batch = Batch {
                    backend: spec,
                    label: current.backend.info().label,
                    items,
                    in_order,
                };
                tracing::info!(journal = %path.display(), "batch starts");
                let pause = PausePoint::from_env(&[batch::PAUSE_SCOPE]);
                let control = Control {
                    pause: pause.as_ref(),
                    stop: &stop,
                    report: &report,
                    at_once: batch::AT_ONCE,
                };
                match batch::start(&path, batch, current.backend.as_ref(), control).await {
                    Ok(state) if !state.complete => Err(format!(
                        "not run: an earlier item failed or the console stopped; \
                         `snapport batch resume {}` goes on from there",
                        path.display()
                    )),
                    Ok(_) => Ok(()),
                    Err(err) => Err(format!("the batch stopped: {err}")),
                }
            }
            Err(err) => Err(format!("the batch stopped: {err}")),
        };
        if let Err(err) = result {
            tracing::warn!(error = %err, "batch stopped");
            let missing: Vec<usize> = (1..=actions.len())
                .filter(|number| !lock(&reported)[number - 1])
                .collect();
            for number in missing {
                report(number, &Err(backend::Error::Backend(err.clone())));
            }
        }
        lock(&self.shared.stops).remove(&request);
    }

    /// The journals of batches left unfinished on the console's back end.
    fn unfinished_batches(&self) -> Vec<PathBuf> {
        let (Some(directory), Some(spec)) = (&self.directory, &lock(&self.shared.current).spec)
        else {
            return Vec::new();
        };
        batch::unfinished(&batch::journals_dir(&directory.paths))
            .into_iter()
            .filter(|(_, state)| *spec == state.batch.backend)
            .map(|(path, _)| path)
            .collect()
    }

    /// A new journal path for a batch on `current`, with the description that reopens it.
    fn batch_journal(&self, current: &Opened) -> Result<(PathBuf, BackendSpec), String> {
        let (Some(directory), Some(spec)) = (&self.directory, &current.spec) else {
            return Err("this console cannot journal batches (no back-end description)".into());
        };
        let dir = batch::journals_dir(&directory.paths);
        std::fs::create_dir_all(&dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        Ok((batch::new_journal_path(&dir), spec.clone()))
    }

    /// Saves the plan, applies it with progress messages, writes the id map.
    async fn migrate(self, effect: Effect, source: Arc<dyn Backend>, stop: Arc<AtomicBool>) {
        let Effect::Migrate {
            request,
            plan,
            plan_file,
            journal,
            target,
        } = effect
        else {
            unreachable!("only migrations come here")
        };
        let end = match self.opened(target) {
            Ok(target) => {
                let tx = self.tx.clone();
                let events = move |event| {
                    let _ = tx.send(Reply::Progress { request, event });
                };
                apply_plan(*plan, &plan_file, &journal, source, target, &events, &stop).await
            }
            Err(err) => RunEnd::Refused(err),
        };
        lock(&self.shared.stops).remove(&request);
        self.send(Reply::Migrated { request, end });
    }
}

/// The migration service's review, as the wizard shows it.
async fn review(
    source: &dyn Backend,
    target: &dyn Backend,
    volumes: &[String],
    from: &str,
    to: &str,
    target_host: &str,
) -> Review {
    let sides = Sides { source, target };
    match service::review(sides, volumes, from, to, target_host).await {
        Ok(service::Review::Ready(plan)) => Review::Ready(plan),
        Ok(service::Review::Refused { plan, problems }) => Review::Refused { plan, problems },
        Err(err) => Review::Failed(err.to_string()),
    }
}

/// Saves and applies the plan with the migration service, as `snapport migrate apply`
/// does, for the wizard.
async fn apply_plan(
    plan: Plan,
    plan_file: &Path,
    journal: &Path,
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
    events: &(dyn Fn(crate::migrate::Event) + Sync),
    stop: &AtomicBool,
) -> RunEnd {
    let prepared = match service::prepare(plan, plan_file, journal, source, target).await {
        Ok(prepared) => prepared,
        Err(err) => return RunEnd::Refused(err.to_string()),
    };
    tracing::info!(journal = %journal.display(), "migration starts");
    match service::run(prepared, &Options::default(), events, stop).await {
        Ok(finished) => RunEnd::Ran(Box::new(Ran {
            outcome: finished.outcome,
            error: finished.error.map(|err| err.to_string()),
            map: finished.map,
            reports: finished.reports.map_err(|err| err.to_string()),
        })),
        Err(err) => RunEnd::Refused(err.to_string()),
    }
}
