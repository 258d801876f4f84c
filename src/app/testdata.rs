//! Fixed data for tests of the state machine and the screens, and a stand-in worker
//! that answers effects from it the way the real worker would (pages, then Loaded).
//!
//! Test support: its length is data.

use std::path::PathBuf;

use crate::backend::{
    BackendInfo, Driver, Error, Host, ManageableSnapshot, ManageableVolume, Metadata, Reference,
    Snapshot, Volume, driver_on,
};
use crate::migrate::journal::Phase;
use crate::migrate::plan::SourceVolume;
use crate::migrate::report::{Entry, Placement};
use crate::migrate::{Event, IdMap, Outcome, Plan, Problem};

use super::keymap::{Key, KeyCode, Keymap};
use super::migrate::{Ran, Review, RunEnd};
use super::msg::{Connection, Effect, Load, Msg, Page, Reply};
use super::update;
use super::{App, NamedBackend, Session};
use crate::migrate::Action;

pub const HOST: &str = "node1@lvm#cinder-volumes";
pub const DB: &str = "11111111-1111-4111-8111-111111111111";
pub const WEB: &str = "22222222-2222-4222-8222-222222222222";
pub const CACHE: &str = "33333333-3333-4333-8333-333333333333";
/// Text that would drive the terminal if it reached it: an OSC title, a clear screen,
/// a colour.
pub const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred";
/// A volume another cloud left on the back end: its LV is `volume-<ORPHAN>` and the
/// back-end snapshot `pre-migration` is a snapshot of it.
pub const ORPHAN: &str = "99999999-9999-4999-8999-999999999999";

fn volume(id: &str, name: &str, size: u64) -> Volume {
    Volume {
        id: id.into(),
        name: Some(name.into()),
        description: Some("imported by the tests".into()),
        status: "available".into(),
        size,
        host: Some(HOST.into()),
        created_at: Some("2024-06-01T10:00:00.000000".into()),
        metadata: Metadata::from([("tier".to_string(), "gold".to_string())]),
        attached: false,
    }
}

fn snapshot(id: &str, name: &str, volume_id: &str) -> Snapshot {
    Snapshot {
        id: id.into(),
        name: Some(name.into()),
        description: None,
        status: "available".into(),
        size: 1,
        volume_id: volume_id.into(),
        created_at: Some("2024-06-02T03:00:00.000000".into()),
        metadata: Metadata::new(),
    }
}

fn entry(
    reference: &str,
    origin: &str,
    unsafe_reason: Option<&str>,
    cinder_id: Option<&str>,
) -> ManageableSnapshot {
    ManageableSnapshot {
        reference: Reference::name(reference),
        size: 1,
        safe_to_manage: unsafe_reason.is_none(),
        reason_not_safe: unsafe_reason.map(str::to_string),
        cinder_id: cinder_id.map(str::to_string),
        extra_info: None,
        source_reference: Some(Reference::name(origin)),
    }
}

fn backend_volume(
    reference: &str,
    size: u64,
    unsafe_reason: Option<&str>,
    cinder_id: Option<&str>,
) -> ManageableVolume {
    ManageableVolume {
        reference: Reference::name(reference),
        size,
        safe_to_manage: unsafe_reason.is_none(),
        reason_not_safe: unsafe_reason.map(str::to_string),
        cinder_id: cinder_id.map(str::to_string),
        extra_info: None,
    }
}

/// The id the test back end gives the volume imported as item `item` of a job.
pub fn imported_volume_id(item: usize) -> String {
    format!("cccccccc-0000-4000-8000-00000000000{item}")
}

/// A host with three volumes, four managed snapshots, back-end snapshots of every
/// kind (managed, importable, of an unmanaged volume, in use) and back-end volumes of
/// every kind (managed, importable, in use).
#[derive(Clone)]
pub struct Dataset {
    pub info: BackendInfo,
    pub hosts: Vec<Host>,
    pub volumes: Vec<Volume>,
    pub snapshots: Vec<Snapshot>,
    pub manageable: Vec<ManageableSnapshot>,
    pub manageable_volumes: Vec<ManageableVolume>,
    /// What every volume unmanage answers.
    pub volume_unmanage: Result<(), Error>,
    /// Why every back-end listing (snapshots and volumes) fails, if it does.
    pub backend_listing: Option<Error>,
    /// Why the host listing fails, if it does.
    pub hosts_listing: Option<Error>,
    /// Why every import fails, if it does.
    pub manage_error: Option<Error>,
    /// The named back ends, the open one, where migrations go.
    pub session: Session,
    /// Back ends whose opening fails, with the error.
    pub unreachable: Vec<(String, String)>,
    /// The hosts every other back end lists.
    pub target_hosts: Vec<Host>,
    /// What preflight finds wrong with every plan.
    pub problems: Vec<Problem>,
    /// A migration run stalls when this step has started.
    pub stall_at: Option<usize>,
    /// This step of a migration run fails.
    pub fail_at: Option<usize>,
}

/// The time every test plan is made at.
pub const PLANNED_AT: &str = "2024-06-05T09:30:00Z";

fn target_host(host: &str, free: f64) -> Host {
    Host {
        host: host.into(),
        cluster: None,
        driver: Driver::LvmThick,
        storage: Some(format!("lvm:{}", host.split('#').nth(1).unwrap_or("vg"))),
        zone: Some("nova".into()),
        status: "enabled".into(),
        state: "up".into(),
        updated_at: None,
        total_capacity_gb: Some(100.0),
        free_capacity_gb: Some(free),
    }
}

fn named(name: &str, about: &str) -> NamedBackend {
    NamedBackend {
        name: name.into(),
        about: about.into(),
    }
}

/// The id a migration gives the resource created by `step`.
pub fn new_id(step: usize) -> String {
    format!("ffffffff-0000-4000-8000-{step:012}")
}

impl Default for Dataset {
    fn default() -> Self {
        let managed = |id: &str, volume: &str| {
            entry(
                &format!("_snapshot-{id}"),
                &format!("volume-{volume}"),
                Some("already managed"),
                Some(id),
            )
        };
        Self {
            info: BackendInfo {
                label: "local lvm vg=cinder-volumes".into(),
                identity: None,
                read_only: false,
                warnings: Vec::new(),
            },
            hosts: vec![Host {
                host: HOST.into(),
                cluster: None,
                driver: Driver::LvmThick,
                storage: Some("lvm:cinder-volumes".into()),
                zone: Some("nova".into()),
                status: "enabled".into(),
                state: "up".into(),
                updated_at: Some("2024-06-03T12:00:00.000000".into()),
                total_capacity_gb: Some(100.0),
                free_capacity_gb: Some(42.5),
            }],
            volumes: vec![
                volume(DB, "db-primary", 20),
                volume(WEB, "web-assets", 10),
                volume(CACHE, "build-cache", 5),
            ],
            snapshots: vec![
                snapshot(
                    "aaaaaaaa-0000-4000-8000-000000000001",
                    "db-primary-daily-0",
                    DB,
                ),
                snapshot(
                    "aaaaaaaa-0000-4000-8000-000000000002",
                    "db-primary-daily-1",
                    DB,
                ),
                snapshot(
                    "aaaaaaaa-0000-4000-8000-000000000003",
                    "web-assets-daily-0",
                    WEB,
                ),
                snapshot(
                    "aaaaaaaa-0000-4000-8000-000000000004",
                    "web-assets-daily-1",
                    WEB,
                ),
            ],
            manageable: vec![
                managed("aaaaaaaa-0000-4000-8000-000000000001", DB),
                managed("aaaaaaaa-0000-4000-8000-000000000002", DB),
                entry(
                    "_snapshot-dddddddd-0000-4000-8000-000000000009",
                    &format!("volume-{DB}"),
                    None,
                    None,
                ),
                entry("backup-2024-06-01", &format!("volume-{DB}"), None, None),
                entry("nightly-2024-06-02", &format!("volume-{WEB}"), None, None),
                entry(
                    "pre-migration",
                    "volume-99999999-9999-4999-8999-999999999999",
                    None,
                    None,
                ),
                entry(
                    "scratch-snap",
                    &format!("volume-{CACHE}"),
                    Some("snapshot in use"),
                    None,
                ),
            ],
            manageable_volumes: vec![
                backend_volume(
                    &format!("volume-{DB}"),
                    20,
                    Some("already managed"),
                    Some(DB),
                ),
                backend_volume(
                    &format!("volume-{WEB}"),
                    10,
                    Some("already managed"),
                    Some(WEB),
                ),
                backend_volume(
                    &format!("volume-{CACHE}"),
                    5,
                    Some("already managed"),
                    Some(CACHE),
                ),
                backend_volume(&format!("volume-{ORPHAN}"), 2, None, None),
                ManageableVolume {
                    extra_info: Some(serde_json::json!({"lv_attr": "-wi-a-----"})),
                    ..backend_volume("legacy-app", 4, None, None)
                },
                backend_volume("swap-lv", 1, Some("volume in use"), None),
            ],
            volume_unmanage: Ok(()),
            backend_listing: None,
            hosts_listing: None,
            manage_error: None,
            session: Session {
                current: Some("old".into()),
                backends: vec![
                    named("lab", "cloud lab"),
                    named("new", "local lvm vg=cinder-volumes host=new@lvm"),
                    named("old", "local lvm vg=cinder-volumes host=old@lvm"),
                ],
                migrations_dir: PathBuf::from("/home/op/.local/state/snapport/migrations"),
                command: "snapport --config /etc/snapport/config.toml".into(),
            },
            unreachable: vec![(
                "lab".into(),
                "cannot reach https://lab.example:5000/v3: connection refused".into(),
            )],
            target_hosts: vec![
                target_host("new@lvm#cinder-volumes", 42.5),
                target_host("new@lvm#fast", 10.0),
            ],
            problems: Vec::new(),
            stall_at: None,
            fail_at: None,
        }
    }
}

impl Dataset {
    /// The back end after the volume LV `volume-<ORPHAN>` was imported as `new_id`
    /// named `name`: Cinder renamed the LV, so its snapshot's origin is the new name.
    pub fn after_orphan_import(&self, new_id: &str, name: &str) -> Self {
        let mut data = self.clone();
        data.volumes.push(volume(new_id, name, 2));
        for entry in &mut data.manageable {
            if entry.source_reference == Some(Reference::name(format!("volume-{ORPHAN}"))) {
                entry.source_reference = Some(Reference::name(format!("volume-{new_id}")));
            }
        }
        for entry in &mut data.manageable_volumes {
            if entry.reference == Reference::name(format!("volume-{ORPHAN}")) {
                *entry = backend_volume(
                    &format!("volume-{new_id}"),
                    2,
                    Some("already managed"),
                    Some(new_id),
                );
            }
        }
        data
    }

    /// 31 managed snapshots: 12 of db-primary, 10 of web-assets, 9 of build-cache.
    pub fn many_snapshots() -> Self {
        let snapshots = [
            (DB, "db-primary", 12),
            (WEB, "web-assets", 10),
            (CACHE, "build-cache", 9),
        ]
        .into_iter()
        .flat_map(|(volume, name, count)| {
            (0..count).map(move |n| {
                snapshot(
                    &format!("{}-0000-4000-8000-{n:012}", &volume[..8]),
                    &format!("{name}-hourly-{n:02}"),
                    volume,
                )
            })
        })
        .collect();
        Self {
            snapshots,
            ..Self::default()
        }
    }

    /// An RBD back end where the images of db-primary and web-assets each hold a
    /// snapshot named `daily`: one name, two entries, told apart by their parent.
    pub fn rbd_dailies() -> Self {
        let mut data = Self::default();
        for volume in [DB, WEB] {
            let daily = entry("daily", &format!("volume-{volume}"), None, None);
            data.manageable.push(daily);
        }
        data
    }

    /// The back end's listings of back-end snapshots and volumes fail the way a
    /// remote Cinder's do when its volume service times out.
    pub fn backend_listing_fails() -> Self {
        Self {
            backend_listing: Some(Error::Backend(
                "HTTP 500 from GET /manageable_snapshots/detail?host=node1@lvm: \
                 MessagingTimeout: Timed out waiting for a reply to message ID 4f1c"
                    .into(),
            )),
            ..Self::default()
        }
    }

    /// Names, descriptions, metadata and a back-end reference that try to take the
    /// terminal over: set its title, clear it, turn it red.
    pub fn hostile_names() -> Self {
        let mut data = Self::default();
        data.volumes[0].name = Some(format!("db {HOSTILE}"));
        data.volumes[0].description = Some(format!("desc {HOSTILE}"));
        data.volumes[0]
            .metadata
            .insert(format!("key{HOSTILE}"), format!("value{HOSTILE}"));
        data.snapshots[0].name = Some(HOSTILE.into());
        data.snapshots[0].description = Some(format!("{HOSTILE}\r\n\u{9b}2J"));
        for entry in &mut data.manageable {
            if entry.reference == Reference::name("backup-2024-06-01") {
                entry.reference = Reference::name(format!("backup{HOSTILE}"));
            }
        }
        data
    }

    /// The dataset seen read-only.
    /// The host run by `driver` instead of LVM (thick).
    pub fn with_driver(driver: Driver) -> Self {
        let mut data = Self::default();
        data.hosts[0].driver = driver;
        data
    }

    /// Besides the LVM host, an RBD back end run active/active by two services in the
    /// cluster `mycluster@ceph`, one of them down.
    pub fn clustered() -> Self {
        let mut data = Self::default();
        let member = |host: &str, state: &str| Host {
            host: host.into(),
            cluster: Some("mycluster@ceph".into()),
            driver: Driver::Rbd,
            storage: Some("rbd:4245d994-9985-470d-980b-bcad3894afb0/volumes".into()),
            state: state.into(),
            total_capacity_gb: Some(10.0),
            free_capacity_gb: Some(9.99),
            ..data.hosts[0].clone()
        };
        let members = [
            member("ceph1@ceph#ceph", "up"),
            member("ceph2@ceph#ceph", "down"),
        ];
        data.hosts.extend(members);
        data
    }

    /// A user without the admin role: Cinder's policy refuses the host listing, the
    /// project's own volumes and snapshots list as usual.
    pub fn member() -> Self {
        Self {
            hosts_listing: Some(Error::Forbidden(
                "Policy doesn't allow volume_extension:services:index to be performed.".into(),
            )),
            ..Self::default()
        }
    }

    pub fn read_only() -> Self {
        let mut data = Self::default();
        data.info.read_only = true;
        data
    }

    /// The replies the worker would send for one effect.
    pub fn replies(&self, effect: &Effect) -> Vec<Msg> {
        match effect {
            Effect::Load {
                request,
                load: Load::Manageable(_) | Load::ManageableVolumes(_),
            } if self.backend_listing.is_some() => vec![Msg::Reply(Reply::Loaded {
                request: *request,
                result: Err(self.backend_listing.clone().expect("checked")),
            })],
            Effect::Load {
                request,
                load: Load::Hosts,
            } if self.hosts_listing.is_some() => vec![Msg::Reply(Reply::Loaded {
                request: *request,
                result: Err(self.hosts_listing.clone().expect("checked")),
            })],
            Effect::Load { request, load } => {
                let request = *request;
                let page = match load {
                    Load::Hosts => Page::Hosts(self.hosts.clone()),
                    Load::Volumes(filter) => Page::Volumes(
                        self.volumes
                            .iter()
                            .filter(|v| {
                                filter.host.as_deref().is_none_or(|h| {
                                    v.host.as_deref().is_some_and(|vh| {
                                        crate::backend::backend_of(vh)
                                            == crate::backend::backend_of(h)
                                    })
                                })
                            })
                            .cloned()
                            .collect(),
                    ),
                    Load::Snapshots(filter) => Page::Snapshots(
                        self.snapshots
                            .iter()
                            .filter(|s| {
                                filter
                                    .volume_id
                                    .as_deref()
                                    .is_none_or(|id| s.volume_id == id)
                            })
                            .cloned()
                            .collect(),
                    ),
                    Load::Manageable(_) => Page::Manageable(self.manageable.clone()),
                    Load::ManageableVolumes(_) => {
                        Page::ManageableVolumes(self.manageable_volumes.clone())
                    }
                };
                vec![
                    Msg::Reply(Reply::Page { request, page }),
                    Msg::Reply(Reply::Loaded {
                        request,
                        result: Ok(()),
                    }),
                ]
            }
            Effect::Batch { request, items, .. } => items
                .iter()
                .enumerate()
                .map(|(item, batch_item)| {
                    let request = *request;
                    match &batch_item.action {
                        Action::ManageSnapshot { .. } | Action::ManageVolume { .. }
                            if self.manage_error.is_some() =>
                        {
                            Msg::Reply(Reply::Managed {
                                request,
                                item,
                                result: Err(self.manage_error.clone().expect("checked")),
                            })
                        }
                        Action::ManageSnapshot { .. } => Msg::Reply(Reply::Managed {
                            request,
                            item,
                            result: Ok(format!("eeeeeeee-0000-4000-8000-00000000000{item}")),
                        }),
                        Action::ManageVolume { .. } | Action::CreateVolume { .. } => {
                            Msg::Reply(Reply::Managed {
                                request,
                                item,
                                result: Ok(imported_volume_id(item)),
                            })
                        }
                        Action::UnmanageSnapshot { .. } => Msg::Reply(Reply::Unmanaged {
                            request,
                            item,
                            result: Ok(()),
                        }),
                        Action::UnmanageVolume { .. } => Msg::Reply(Reply::Unmanaged {
                            request,
                            item,
                            result: self.volume_unmanage.clone(),
                        }),
                        Action::DeleteSnapshot { .. } => Msg::Reply(Reply::Deleted {
                            request,
                            item,
                            result: Ok(()),
                        }),
                        Action::DeleteVolume { .. } => Msg::Reply(Reply::Deleted {
                            request,
                            item,
                            result: self.volume_unmanage.clone(),
                        }),
                    }
                })
                .collect(),
            Effect::Connect {
                request,
                name,
                hosts,
            } => vec![Msg::Reply(Reply::Connected {
                request: *request,
                result: self.connect(name, *hosts),
            })],
            Effect::Plan {
                request,
                volumes,
                from,
                to,
                target_host,
                ..
            } => vec![Msg::Reply(Reply::Planned {
                request: *request,
                review: self.review(volumes, from, to, target_host),
            })],
            Effect::Migrate {
                request,
                plan,
                journal,
                ..
            } => self.run(*request, plan, journal),
            Effect::Survey { request, volume_id } => vec![Msg::Reply(Reply::Surveyed {
                request: *request,
                result: self.survey(volume_id).map(Box::new),
            })],
            Effect::FindUnfinishedBatches => vec![Msg::Reply(Reply::UnfinishedBatches(Vec::new()))],
            Effect::Switch { .. }
            | Effect::Release { .. }
            | Effect::Stop { .. }
            | Effect::Refused { .. }
            | Effect::Copy { .. } => Vec::new(),
        }
    }

    /// What the back end would say stands in the way of the volume's delete.
    fn survey(
        &self,
        volume_id: &str,
    ) -> Result<crate::batch::retire::Survey, crate::backend::Error> {
        let volume = self
            .volumes
            .iter()
            .find(|v| v.id == volume_id)
            .cloned()
            .ok_or_else(|| crate::backend::Error::NotFound(format!("no volume {volume_id}")))?;
        Ok(crate::batch::retire::Survey {
            driver: crate::backend::driver_on(&self.hosts, volume.host.as_deref()),
            managed: self
                .snapshots
                .iter()
                .filter(|s| s.volume_id == volume_id)
                .cloned()
                .collect(),
            unmanaged: self
                .manageable
                .iter()
                .filter(|e| e.cinder_id.is_none() && e.parent_volume_id() == Some(volume_id))
                .cloned()
                .collect(),
            listing_error: None,
            volume,
        })
    }

    fn connect(&self, name: &str, hosts: bool) -> Result<Connection, String> {
        if let Some((_, error)) = self.unreachable.iter().find(|(n, _)| n == name) {
            return Err(error.clone());
        }
        Ok(Connection {
            info: BackendInfo {
                label: format!("local lvm vg=cinder-volumes host={name}@lvm"),
                identity: None,
                read_only: self.info.read_only,
                warnings: Vec::new(),
            },
            hosts: if hosts {
                self.target_hosts.clone()
            } else {
                Vec::new()
            },
        })
    }

    /// The plan the engine would build from this data, with the set preflight problems.
    pub fn review(&self, volumes: &[String], from: &str, to: &str, target_host: &str) -> Review {
        let sources: Vec<SourceVolume> = volumes
            .iter()
            .filter_map(|id| self.volumes.iter().find(|v| &v.id == id))
            .map(|volume| SourceVolume {
                volume: volume.clone(),
                snapshots: self
                    .snapshots
                    .iter()
                    .filter(|s| s.volume_id == volume.id)
                    .cloned()
                    .collect(),
                driver: driver_on(&self.hosts, volume.host.as_deref()),
            })
            .collect();
        let mut plan = Plan::build(from, to, target_host, &sources);
        plan.created_at = PLANNED_AT.into();
        if self.problems.is_empty() {
            Review::Ready(plan)
        } else {
            Review::Refused {
                plan: Some(plan),
                problems: self.problems.clone(),
            }
        }
    }

    /// A run's events step by step, then its end (unless it stalls).
    fn run(&self, request: u64, plan: &Plan, journal: &std::path::Path) -> Vec<Msg> {
        let mut msgs = Vec::new();
        let mut outcome = Outcome::default();
        let mut done = Vec::new();
        let event = |event| Msg::Reply(Reply::Progress { request, event });
        for step in plan.steps() {
            let number = step.step;
            if !outcome.failed.is_empty() {
                outcome.remaining += 1;
                continue;
            }
            msgs.push(event(Event::Started {
                phase: Phase::Forward,
                step: number,
                on: step.on,
                description: step.action.describe(),
            }));
            if self.stall_at == Some(number) {
                return msgs;
            }
            if self.fail_at == Some(number) {
                let error = "Volume is busy: it has snapshots (VolumeIsBusy)".to_string();
                msgs.push(event(Event::Failed {
                    phase: Phase::Forward,
                    step: number,
                    error: error.clone(),
                }));
                outcome.failed.push((number, error));
                outcome.remaining += 1;
                continue;
            }
            let new_id = step.action.is_manage().then(|| new_id(number));
            msgs.push(event(Event::Finished {
                phase: Phase::Forward,
                step: number,
                new_id: new_id.clone(),
            }));
            done.push((step.item.clone(), new_id));
            outcome.finished += 1;
        }
        let placed = |id: &str| {
            let moved = done.iter().find(|(item, new)| item == id && new.is_some());
            let left = done.iter().any(|(item, _)| item == id);
            match moved {
                Some((_, new)) => (new.clone(), Placement::Moved),
                None if left => (None, Placement::InTransit),
                None => (None, Placement::OnSource),
            }
        };
        let mut entries = Vec::new();
        for volume in &plan.volumes {
            let items = std::iter::once((&volume.volume, "volume", None)).chain(
                volume
                    .snapshots
                    .iter()
                    .map(|s| (s, "snapshot", Some(volume.volume.id.clone()))),
            );
            for (item, kind, parent) in items {
                let (target_id, placement) = placed(&item.id);
                entries.push(Entry {
                    kind,
                    name: item.name.clone(),
                    source_id: item.id.clone(),
                    target_id,
                    rollback_id: None,
                    volume_source_id: parent,
                    placement,
                });
            }
        }
        let report = |suffix: &str| PathBuf::from(format!("{}.{suffix}", journal.display()));
        msgs.push(Msg::Reply(Reply::Migrated {
            request,
            end: RunEnd::Ran(Box::new(Ran {
                outcome,
                error: None,
                map: IdMap {
                    from: plan.from.clone(),
                    to: plan.to.clone(),
                    entries,
                },
                reports: Ok((report("ids.json"), report("ids.csv"))),
            })),
        }));
        msgs
    }

    /// Answers `effects` and every effect the answers cause, like a fast back end.
    pub fn serve(&self, app: &mut App, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let effect = queue.remove(0);
            for msg in self.replies(&effect) {
                queue.extend(update(app, msg));
            }
        }
    }

    /// A console that has loaded the hosts screen.
    pub fn app(&self) -> App {
        let mut app = App::new(self.info.clone(), Keymap::default());
        app.session = self.session.clone();
        let effects = update(&mut app, Msg::Start);
        self.serve(&mut app, effects);
        app
    }

    /// Presses keys and serves what they cause.
    pub fn press(&self, app: &mut App, keys: &[Key]) {
        for key in keys {
            let effects = update(app, Msg::Key(*key));
            self.serve(app, effects);
        }
    }
}

/// Keys for a string of plain characters.
pub fn chars(text: &str) -> Vec<Key> {
    text.chars().map(Key::char).collect()
}

pub const ENTER: Key = Key::plain(KeyCode::Enter);
pub const ESC: Key = Key::plain(KeyCode::Esc);
pub const TAB: Key = Key::plain(KeyCode::Tab);
