//! Fixed data for tests of the state machine and the screens, and a stand-in worker
//! that answers effects from it the way the real worker would (pages, then Loaded).

use crate::backend::{
    BackendInfo, Error, Host, ManageableSnapshot, Metadata, Reference, Snapshot, Volume,
};

use super::App;
use super::keymap::{Key, KeyCode, Keymap};
use super::msg::{Effect, Load, Msg, Page, Unmanage};
use super::update;

pub const HOST: &str = "node1@lvm#cinder-volumes";
pub const DB: &str = "11111111-1111-4111-8111-111111111111";
pub const WEB: &str = "22222222-2222-4222-8222-222222222222";
pub const CACHE: &str = "33333333-3333-4333-8333-333333333333";

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

/// A host with three volumes, four managed snapshots and back-end snapshots of
/// every kind: managed, importable, of an unmanaged volume, in use.
pub struct Dataset {
    pub info: BackendInfo,
    pub hosts: Vec<Host>,
    pub volumes: Vec<Volume>,
    pub snapshots: Vec<Snapshot>,
    pub manageable: Vec<ManageableSnapshot>,
    /// What every volume unmanage answers.
    pub volume_unmanage: Result<(), Error>,
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
                read_only: false,
            },
            hosts: vec![Host {
                host: HOST.into(),
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
            volume_unmanage: Ok(()),
        }
    }
}

impl Dataset {
    /// The dataset seen read-only.
    pub fn read_only() -> Self {
        let mut data = Self::default();
        data.info.read_only = true;
        data
    }

    /// The replies the worker would send for one effect.
    pub fn replies(&self, effect: &Effect) -> Vec<Msg> {
        match effect {
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
                };
                vec![
                    Msg::Page { request, page },
                    Msg::Loaded {
                        request,
                        result: Ok(()),
                    },
                ]
            }
            Effect::Manage {
                request,
                item,
                manage,
            } => vec![Msg::Managed {
                request: *request,
                item: *item,
                result: Ok(Snapshot {
                    id: format!("eeeeeeee-0000-4000-8000-00000000000{item}"),
                    name: manage.name.clone(),
                    description: manage.description.clone(),
                    status: "available".into(),
                    size: 1,
                    volume_id: manage.volume_id.clone(),
                    created_at: None,
                    metadata: manage.metadata.clone(),
                }),
            }],
            Effect::Unmanage {
                request,
                item,
                unmanage,
            } => vec![Msg::Unmanaged {
                request: *request,
                item: *item,
                result: match unmanage {
                    Unmanage::Snapshot(_) => Ok(()),
                    Unmanage::Volume(_) => self.volume_unmanage.clone(),
                },
            }],
        }
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
        let effects = app.start();
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
