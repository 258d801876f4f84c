//! Property-based fuzzing of every parser of outside input: Cinder and Keystone bodies,
//! fault bodies, `lvs`/`vgs` reports, clouds.yaml, the config file, `--property`, batch
//! import files, migration plans and the journals. Arbitrary bytes, and mutations of the
//! real samples in `tests/corpus/<parser>/` (byte-level, and on the parsed document's
//! tree), must never panic and never allocate out of proportion to the input; what is
//! refused is refused with a typed error whose message says something.
//!
//! A bounded pass runs with every `cargo test`; `PROPTEST_CASES=100000 cargo test
//! --release --test fuzz` is the long run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestRunner;
use reqwest::StatusCode;
use serde_json::Value;

use snapport::backend::local::lvm::{parse_lvs, parse_vgs};
use snapport::backend::parse_property;
use snapport::backend::remote::auth::{block_storage_endpoint, parse_token};
use snapport::backend::remote::clouds::{self, ConfigSources};
use snapport::backend::remote::fault;
use snapport::backend::remote::http::{Microversion, Reply, version_root};
use snapport::backend::remote::wire::{
    Brief, One, Page, PoolList, ServiceList, SnapshotWire, VolumeWire, join_hosts, next_marker,
};
use snapport::backend::{ManageableSnapshot, ManageableVolume, Snapshot, Volume};
use snapport::batch::file::{RowOptions, parse as parse_batch_file};
use snapport::config::ConfigFile;
use snapport::journal::replay;
use snapport::migrate::Plan;
use snapport::migrate::journal::Phase;

// ---------------------------------------------------------------------------------------
// Allocation accounting: live bytes and their peak, per thread, so that a parser's
// allocations can be held against the size of its input.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are
// counted, in thread-locals that neither allocate nor run destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            account(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            account(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fixed allowance of a parse (buffers, error messages, a temporary directory).
const ALLOWANCE_BASE: usize = 4 << 20;
/// Allowance per input byte: a parsed tree of small values is a few dozen times the
/// size of its text.
const ALLOWANCE_PER_BYTE: usize = 256;

/// Runs `parser` on `input` and fails when its peak allocation is out of proportion.
fn run_bounded(parser: &Parser, input: &[u8]) -> bool {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let parsed = (parser.run)(input);
    let peak = (PEAK.with(Cell::get) - start).max(0) as usize;
    let allowed = ALLOWANCE_BASE + ALLOWANCE_PER_BYTE * input.len();
    assert!(
        peak <= allowed,
        "{}: {peak} bytes allocated at the peak for {} bytes of input (allowed {allowed})",
        parser.name,
        input.len()
    );
    parsed
}

// ---------------------------------------------------------------------------------------
// The parsers, each run the way snapport runs it on what it reads.

struct Parser {
    name: &'static str,
    /// True when the input was accepted.
    run: fn(&[u8]) -> bool,
}

/// A refusal must be a typed error with something to say.
fn typed<T, E: Display>(result: Result<T, E>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            let message = err.to_string();
            assert!(!message.trim().is_empty(), "an error without a message");
            None
        }
    }
}

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

fn reply(input: &[u8]) -> Reply {
    Reply {
        status: StatusCode::OK,
        body: input.to_vec(),
    }
}

const SERVICES: &str =
    r#"{"services":[{"host":"node1@lvm","zone":"nova","status":"enabled","state":"up"}]}"#;
const POOLS: &str =
    r#"{"pools":[{"name":"node1@lvm#vg","capabilities":{"total_capacity_gb":10}}]}"#;

fn cinder(input: &[u8]) -> bool {
    let reply = reply(input);
    let mut parsed = false;
    if let Some(page) = typed(reply.json::<Page<VolumeWire>>("GET /volumes/detail")) {
        let _ = typed(next_marker(&page.links));
        for volume in page.items.into_iter().map(Volume::from) {
            let _ = (volume.status_allows_unmanage(), volume.lv_name());
        }
        parsed = true;
    }
    if let Some(page) = typed(reply.json::<Page<SnapshotWire>>("GET /snapshots/detail")) {
        let _ = typed(next_marker(&page.links));
        for snapshot in page.items.into_iter().map(Snapshot::from) {
            let _ = (snapshot.status_allows_unmanage(), snapshot.lv_name());
        }
        parsed = true;
    }
    if let Some(page) = typed(reply.json::<Page<ManageableSnapshot>>("GET /manageable")) {
        for entry in &page.items {
            let _ = entry.parent_volume_id();
        }
        parsed = true;
    }
    parsed |= typed(reply.json::<Page<ManageableVolume>>("GET /manageable_volumes")).is_some();
    parsed |= typed(reply.json::<One<VolumeWire>>("GET /volumes/x"))
        .map(|one| Volume::from(one.item))
        .is_some();
    parsed |= typed(reply.json::<One<SnapshotWire>>("GET /snapshots/x"))
        .map(|one| Snapshot::from(one.item))
        .is_some();
    parsed |= typed(reply.json::<One<Brief>>("POST /manageable_volumes")).is_some();
    if let Some(services) = typed(reply.json::<ServiceList>("GET /os-services")) {
        let pools: PoolList = serde_json::from_str(POOLS).unwrap();
        join_hosts(services.services, &pools.pools);
        parsed = true;
    }
    if let Some(pools) = typed(reply.json::<PoolList>("GET /scheduler-stats/get_pools")) {
        let services: ServiceList = serde_json::from_str(SERVICES).unwrap();
        join_hosts(services.services, &pools.pools);
        parsed = true;
    }
    parsed
}

fn faults(input: &[u8]) -> bool {
    for status in [400, 401, 403, 404, 409, 413, 500, 502, 503] {
        let status = StatusCode::from_u16(status).unwrap();
        let error = fault::from_response(status, input, "GET /volumes/x");
        assert!(!error.to_string().trim().is_empty());
        let line = fault::describe(status, input, "GET /volumes/x");
        assert!(line.starts_with("GET /volumes/x returned HTTP"), "{line}");
    }
    true
}

fn keystone(input: &[u8]) -> bool {
    let Some((_, catalog)) = typed(parse_token(input, "http://keystone/v3/auth/tokens")) else {
        return false;
    };
    for region in [None, Some("RegionOne")] {
        for interface in ["public", "internal", "admin"] {
            if let Some(endpoint) = typed(block_storage_endpoint(&catalog, region, interface)) {
                let _ = typed(version_root(endpoint.url()));
            }
        }
    }
    true
}

fn headers(input: &[u8]) -> bool {
    let text = text(input);
    let _ = typed(version_root(&text));
    Microversion::parse(&text).is_some()
}

fn lvs(input: &[u8]) -> bool {
    typed(parse_lvs(input)).is_some_and(|lvs| {
        for lv in &lvs {
            let _ = (lv.is_snapshot(), lv.is_open(), lv.is_pool());
        }
        true
    })
}

fn vgs(input: &[u8]) -> bool {
    typed(parse_vgs(input)).is_some()
}

fn clouds_yaml(input: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clouds.yaml"), input).unwrap();
    let sources = ConfigSources {
        env: Default::default(),
        dirs: vec![dir.path().to_path_buf()],
    };
    [None, Some("prod"), Some("e2e"), Some("only")]
        .into_iter()
        .filter_map(|cloud| typed(clouds::load(cloud, &sources)))
        .count()
        > 0
}

fn config_file(input: &[u8]) -> bool {
    let parsed = typed(ConfigFile::parse(&text(input), Path::new("config.toml")));
    parsed.is_some_and(|config| {
        config
            .backends
            .keys()
            .all(|name| !config.backend(name).describe().is_empty())
    })
}

fn property(input: &[u8]) -> bool {
    let text = text(input);
    typed(parse_property(text.trim_end_matches('\n'))).is_some()
}

fn batch_file(input: &[u8]) -> bool {
    typed(parse_batch_file(&text(input), RowOptions::default())).is_some()
}

fn plan(input: &[u8]) -> bool {
    typed(Plan::parse(&text(input))).is_some_and(|plan| {
        let _ = plan.chains();
        !plan.to_json().is_empty()
    })
}

fn batch_journal(input: &[u8]) -> bool {
    typed(replay::<snapport::batch::journal::State>(&text(input))).is_some_and(|state| {
        let _ = state.new_ids().count();
        state.finished() <= state.items.len()
    })
}

fn migrate_journal(input: &[u8]) -> bool {
    typed(replay::<snapport::migrate::journal::State>(&text(input))).is_some_and(|state| {
        for step in state.plan.steps() {
            let _ = state.step(Phase::Forward, step.step);
            let _ = state.new_id(Phase::Forward, step.step);
        }
        true
    })
}

const CINDER: Parser = Parser {
    name: "cinder",
    run: cinder,
};
const FAULT: Parser = Parser {
    name: "fault",
    run: faults,
};
const KEYSTONE: Parser = Parser {
    name: "keystone",
    run: keystone,
};
const HEADERS: Parser = Parser {
    name: "headers",
    run: headers,
};
const LVS: Parser = Parser {
    name: "lvs",
    run: lvs,
};
const VGS: Parser = Parser {
    name: "vgs",
    run: vgs,
};
const CLOUDS: Parser = Parser {
    name: "clouds",
    run: clouds_yaml,
};
const CONFIG: Parser = Parser {
    name: "config",
    run: config_file,
};
const PROPERTY: Parser = Parser {
    name: "property",
    run: property,
};
const BATCH_FILE: Parser = Parser {
    name: "batch_file",
    run: batch_file,
};
const PLAN: Parser = Parser {
    name: "plan",
    run: plan,
};
const BATCH_JOURNAL: Parser = Parser {
    name: "batch_journal",
    run: batch_journal,
};
const MIGRATE_JOURNAL: Parser = Parser {
    name: "migrate_journal",
    run: migrate_journal,
};

const ALL: [&Parser; 13] = [
    &CINDER,
    &FAULT,
    &KEYSTONE,
    &HEADERS,
    &LVS,
    &VGS,
    &CLOUDS,
    &CONFIG,
    &PROPERTY,
    &BATCH_FILE,
    &PLAN,
    &BATCH_JOURNAL,
    &MIGRATE_JOURNAL,
];

// ---------------------------------------------------------------------------------------
// The corpus and what is made of it.

#[derive(Debug, Clone)]
struct Seed {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// The samples of `tests/corpus/<name>/`, sorted by file name.
fn corpus(name: &str) -> Vec<Seed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    let mut seeds: Vec<Seed> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            Seed { path, bytes }
        })
        .collect();
    seeds.sort_by(|a, b| a.path.cmp(&b.path));
    assert!(!seeds.is_empty(), "no samples in {}", dir.display());
    seeds
}

/// Tokens that matter to the formats read: JSON, YAML, TOML, CSV, `k=v`.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"1e999",
    b"18446744073709551616",
    b"\\u0000",
    b"\\ud800",
    b"\n",
    b"\r\n",
    b"=",
    b";",
    b"#",
    b"&a ",
    b"*a",
    b"!!binary ",
    b"- ",
    b"\t",
    b"\xff",
    b"\xc3",
    "\u{e9}".as_bytes(),
    b"\x1b[2J",
    b"[[backends.x]]",
    b"\"record\":\"intent\"",
    b"\"item\":0",
    b"\"step\":18446744073709551615",
];

#[derive(Debug, Clone)]
enum ByteOp {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    Repeat(usize, usize, usize),
}

fn byte_op() -> impl Strategy<Value = ByteOp> {
    let fragment = prop_oneof![
        select(TOKENS).prop_map(<[u8]>::to_vec),
        vec(any::<u8>(), 1..16),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteOp::Set(at, byte)),
        (any::<usize>(), fragment).prop_map(|(at, bytes)| ByteOp::Insert(at, bytes)),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| ByteOp::Delete(at, len)),
        any::<usize>().prop_map(ByteOp::Truncate),
        (any::<usize>(), 1..64usize, 1..32usize)
            .prop_map(|(at, len, times)| ByteOp::Repeat(at, len, times)),
    ]
}

fn apply_bytes(mut bytes: Vec<u8>, ops: &[ByteOp]) -> Vec<u8> {
    for op in ops {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        let len = bytes.len();
        match op {
            ByteOp::Set(i, byte) if len > 0 => bytes[i % len] = *byte,
            ByteOp::Set(..) => {}
            ByteOp::Insert(i, fragment) => {
                let at = at(*i, len);
                bytes.splice(at..at, fragment.iter().copied());
            }
            ByteOp::Delete(i, n) => {
                let at = at(*i, len);
                bytes.drain(at..(at + n).min(len));
            }
            ByteOp::Truncate(i) => bytes.truncate(at(*i, len)),
            ByteOp::Repeat(i, n, times) => {
                let at = at(*i, len);
                let slice = bytes[at..(at + n).min(len)].to_vec();
                for _ in 0..*times {
                    bytes.splice(at..at, slice.iter().copied());
                }
            }
        }
    }
    bytes
}

/// Keys snapport reads somewhere, so that renamed keys often land on a real one.
const KEYS: &[&str] = &[
    "id",
    "name",
    "status",
    "size",
    "volume_id",
    "metadata",
    "reference",
    "source-name",
    "source_reference",
    "safe_to_manage",
    "links",
    "volumes_links",
    "rel",
    "href",
    "count",
    "record",
    "item",
    "items",
    "step",
    "steps",
    "phase",
    "plan",
    "batch",
    "version",
    "kind",
    "action",
    "token",
    "catalog",
    "endpoints",
    "url",
    "interface",
    "region",
    "report",
    "lv",
    "vg",
    "lv_size",
    "vg_free",
    "message",
    "code",
    "clouds",
    "auth",
    "auth_type",
    "backends",
    "keys",
];

const STRINGS: &[&str] = &[
    "",
    "3.71",
    "next",
    "done",
    "failed",
    "forward",
    "rollback",
    "begin",
    "intent",
    "result",
    "complete",
    "snapshot",
    "volume",
    "manage_snapshot",
    "unmanage_volume",
    "local",
    "cloud",
    "public",
    "-1",
    "18446744073709551616",
    "64.00m",
    "a=b",
    "\u{1b}]0;pwned\u{7}",
    "infinite",
    "http://[::1",
    "?marker=",
    "volume-",
    "_snapshot-",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        select(STRINGS).prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(KEYS).prop_map(String::from),
        1 => "[a-z_:-]{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(key(), inner, 0..4).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum TreeOp {
    Replace(usize, Value),
    RemoveChild(usize, usize),
    RenameKey(usize, usize, String),
    Nest(usize, usize),
    Duplicate(usize, usize, usize),
}

fn tree_op() -> impl Strategy<Value = TreeOp> {
    prop_oneof![
        (any::<usize>(), json_value()).prop_map(|(at, value)| TreeOp::Replace(at, value)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, child)| TreeOp::RemoveChild(at, child)),
        (any::<usize>(), any::<usize>(), key())
            .prop_map(|(at, child, key)| TreeOp::RenameKey(at, child, key)),
        (any::<usize>(), 1..200usize).prop_map(|(at, depth)| TreeOp::Nest(at, depth)),
        (any::<usize>(), any::<usize>(), 1..64usize)
            .prop_map(|(at, child, times)| TreeOp::Duplicate(at, child, times)),
    ]
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn walk<'a>(value: &'a mut Value, target: &mut usize) -> Option<&'a mut Value> {
    if *target == 0 {
        return Some(value);
    }
    *target -= 1;
    match value {
        Value::Array(items) => items.iter_mut().find_map(|item| walk(item, target)),
        Value::Object(map) => map.values_mut().find_map(|item| walk(item, target)),
        _ => None,
    }
}

fn node(value: &mut Value, at: usize) -> &mut Value {
    let mut target = at % count_nodes(value);
    walk(value, &mut target).expect("a node of the tree")
}

fn apply_tree(value: &mut Value, op: &TreeOp) {
    match op {
        TreeOp::Replace(at, new) => *node(value, *at) = new.clone(),
        TreeOp::RemoveChild(at, child) => match node(value, *at) {
            Value::Array(items) if !items.is_empty() => {
                let index = child % items.len();
                items.remove(index);
            }
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(child % map.len()).cloned().unwrap();
                map.remove(&key);
            }
            _ => {}
        },
        TreeOp::RenameKey(at, child, new) => {
            if let Value::Object(map) = node(value, *at)
                && !map.is_empty()
            {
                let key = map.keys().nth(child % map.len()).cloned().unwrap();
                let moved = map.remove(&key).unwrap();
                map.insert(new.clone(), moved);
            }
        }
        TreeOp::Nest(at, depth) => {
            let target = node(value, *at);
            let mut nested = target.take();
            for _ in 0..*depth {
                nested = Value::Array(vec![nested]);
            }
            *target = nested;
        }
        TreeOp::Duplicate(at, child, times) => {
            if let Value::Array(items) = node(value, *at)
                && !items.is_empty()
            {
                let copy = items[child % items.len()].clone();
                items.extend(std::iter::repeat_n(copy, *times));
            }
        }
    }
}

/// The format of a sample, by its file name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    JsonLines,
    Yaml,
    Toml,
    Text,
}

fn format(path: &Path) -> Format {
    let name = path.file_name().unwrap().to_string_lossy();
    match path.extension().and_then(|e| e.to_str()) {
        _ if name.ends_with(".jsonl") => Format::JsonLines,
        Some("json") => Format::Json,
        Some("yaml") => Format::Yaml,
        Some("toml") => Format::Toml,
        _ => Format::Text,
    }
}

/// The sample's documents as JSON trees (one per line of JSON lines), or none when the
/// sample is not a tree.
fn trees(seed: &Seed) -> Option<Vec<Value>> {
    let text = std::str::from_utf8(&seed.bytes).ok()?;
    match format(&seed.path) {
        Format::Json => serde_json::from_str(text).ok().map(|v| vec![v]),
        Format::JsonLines => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).ok())
            .collect(),
        Format::Yaml => serde_yaml_ng::from_str(text).ok().map(|v| vec![v]),
        Format::Toml => toml::from_str::<toml::Value>(text)
            .ok()
            .and_then(|v| serde_json::to_value(v).ok())
            .map(|v| vec![v]),
        Format::Text => None,
    }
}

/// Writes mutated trees back in the sample's format; JSON when the format cannot hold
/// what the mutation made (TOML has no null).
fn write_trees(format: Format, trees: &[Value]) -> Vec<u8> {
    match format {
        Format::JsonLines => trees
            .iter()
            .map(|tree| serde_json::to_string(tree).unwrap() + "\n")
            .collect::<String>()
            .into_bytes(),
        Format::Yaml => serde_yaml_ng::to_string(&trees[0])
            .unwrap_or_default()
            .into_bytes(),
        Format::Toml => toml::to_string(&trees[0])
            .unwrap_or_else(|_| trees[0].to_string())
            .into_bytes(),
        Format::Json | Format::Text => serde_json::to_vec(&trees[0]).unwrap(),
    }
}

/// Inputs for `name`: arbitrary bytes, byte-mutated samples, tree-mutated samples (then
/// perhaps byte-mutated too).
fn inputs(name: &str) -> BoxedStrategy<Vec<u8>> {
    let seeds = corpus(name);
    let raw = vec(any::<u8>(), 0..512);
    let by_bytes = (select(seeds.clone()), vec(byte_op(), 1..8))
        .prop_map(|(seed, ops)| apply_bytes(seed.bytes, &ops));
    let with_trees: Vec<(Seed, Vec<Value>)> = seeds
        .iter()
        .filter_map(|seed| Some((seed.clone(), trees(seed)?)))
        .collect();
    if with_trees.is_empty() {
        return prop_oneof![1 => raw, 3 => by_bytes].boxed();
    }
    let by_tree = (
        select(with_trees),
        any::<usize>(),
        vec(tree_op(), 1..6),
        vec(byte_op(), 0..2),
    )
        .prop_map(|((seed, mut docs), doc, tree_ops, byte_ops)| {
            let index = doc % docs.len();
            for op in &tree_ops {
                apply_tree(&mut docs[index], op);
            }
            apply_bytes(write_trees(format(&seed.path), &docs), &byte_ops)
        });
    prop_oneof![1 => raw, 2 => by_bytes, 3 => by_tree].boxed()
}

/// The bounded pass's cases per parser; `PROPTEST_CASES` sets the long run's.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(128)
}

fn fuzz(parser: &Parser, corpus_name: &str) {
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&inputs(corpus_name), |input| {
        run_bounded(parser, &input);
        Ok(())
    });
    if let Err(err) = result {
        panic!("{}: {err}", parser.name);
    }
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn every_sample_of_the_corpus_is_accepted() {
    for (parser, name) in [
        (&CINDER, "cinder"),
        (&FAULT, "fault"),
        (&KEYSTONE, "keystone"),
        (&LVS, "lvs"),
        (&VGS, "vgs"),
        (&CLOUDS, "clouds"),
        (&CONFIG, "config"),
        (&PROPERTY, "property"),
        (&BATCH_FILE, "batch_file"),
        (&PLAN, "plan"),
        (&BATCH_JOURNAL, "batch_journal"),
        (&MIGRATE_JOURNAL, "migrate_journal"),
    ] {
        for seed in corpus(name) {
            assert!(
                run_bounded(parser, &seed.bytes),
                "{}: sample {} refused",
                parser.name,
                seed.path.display()
            );
        }
    }
}

#[test]
fn cinder_bodies() {
    fuzz(&CINDER, "cinder");
}

#[test]
fn fault_bodies() {
    fuzz(&FAULT, "fault");
    fuzz(&FAULT, "cinder");
}

#[test]
fn keystone_tokens() {
    fuzz(&KEYSTONE, "keystone");
}

#[test]
fn version_headers_and_endpoints() {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = prop_oneof![
        any::<String>(),
        "3\\.[0-9]{0,6}",
        "https?://[a-z.:0-9]{0,12}/[a-z/]{0,8}v3(\\.[0-9])?/[a-f0-9]{0,8}",
    ];
    runner
        .run(&strategy, |text| {
            run_bounded(&HEADERS, text.as_bytes());
            Ok(())
        })
        .unwrap();
}

#[test]
fn lvs_reports() {
    fuzz(&LVS, "lvs");
}

#[test]
fn vgs_reports() {
    fuzz(&VGS, "vgs");
}

#[test]
fn clouds_yaml_files() {
    fuzz(&CLOUDS, "clouds");
}

#[test]
fn config_files() {
    fuzz(&CONFIG, "config");
}

#[test]
fn properties() {
    fuzz(&PROPERTY, "property");
}

#[test]
fn batch_import_files() {
    fuzz(&BATCH_FILE, "batch_file");
}

#[test]
fn migration_plans() {
    fuzz(&PLAN, "plan");
}

#[test]
fn batch_journals() {
    fuzz(&BATCH_JOURNAL, "batch_journal");
}

#[test]
fn migration_journals() {
    fuzz(&MIGRATE_JOURNAL, "migrate_journal");
}

/// Nesting far past any real document (and past the parsers' recursion limits) is
/// refused, not followed down the stack.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 20_000;
    let arrays = "[".repeat(depth);
    let objects = "{\"a\":".repeat(depth);
    let yaml = "- ".repeat(depth);
    let toml = format!("a = {}", "[".repeat(depth));
    for parser in ALL {
        for input in [&arrays, &objects, &yaml, &toml] {
            run_bounded(parser, input.as_bytes());
        }
    }
}

/// YAML aliases that expand to billions of nodes are refused.
#[test]
fn a_yaml_alias_bomb_is_refused() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    bomb.push_str("clouds:\n  prod: *i\n");
    assert!(!run_bounded(&CLOUDS, bomb.as_bytes()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clouds.yaml"), &bomb).unwrap();
    let sources = ConfigSources {
        env: Default::default(),
        dirs: vec![dir.path().to_path_buf()],
    };
    let err = clouds::load(Some("prod"), &sources)
        .unwrap_err()
        .to_string();
    assert!(err.contains("too many nodes"), "{err}");
}

/// Item and step numbers come from the file: the largest ones are errors, not indexes.
#[test]
fn journal_numbers_out_of_range_are_errors() {
    let journal = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/batch_journal/import.journal.jsonl"),
    )
    .unwrap();
    let first = journal.lines().next().unwrap();
    for item in ["0", "4", "18446744073709551615"] {
        let text = format!("{first}\n{{\"record\":\"intent\",\"item\":{item},\"at\":\"x\"}}\n");
        let err = replay::<snapport::batch::journal::State>(&text).unwrap_err();
        assert_eq!(
            err,
            format!("line 2: item {item} is not in the batch of 3"),
            "{text}"
        );
    }
}

/// A journal's plan is checked like a plan file: a journal whose plan numbers two steps
/// alike, or has another version, is refused instead of resumed with steps that share
/// one state.
#[test]
fn a_journals_plan_is_checked_like_a_plan_file() {
    let journal = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/migrate_journal/forward.journal.jsonl"),
    )
    .unwrap();
    let mut lines = journal.lines();
    let mut begin: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let rest: String = lines.map(|line| format!("{line}\n")).collect();
    let original = begin.clone();
    begin["plan"]["volumes"][0]["steps"][1]["step"] =
        begin["plan"]["volumes"][0]["steps"][0]["step"].clone();
    let err = replay::<snapport::migrate::journal::State>(&format!("{begin}\n{rest}")).unwrap_err();
    assert_eq!(err, "line 1: step numbers must be unique");
    let mut begin = original;
    begin["plan"]["version"] = Value::from(2);
    let err = replay::<snapport::migrate::journal::State>(&format!("{begin}\n{rest}")).unwrap_err();
    assert!(
        err.starts_with("line 1: plan version 2 is not supported"),
        "{err}"
    );
}

/// Flow collections nested past the YAML reader's limit are refused before the reader,
/// which slows down with the square of their depth, sees them.
#[test]
fn deep_flow_collections_in_clouds_yaml_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("clouds: {}", "{a: ".repeat(50_000));
    std::fs::write(dir.path().join("clouds.yaml"), &text).unwrap();
    let sources = ConfigSources {
        env: Default::default(),
        dirs: vec![dir.path().to_path_buf()],
    };
    let err = clouds::load(None, &sources).unwrap_err().to_string();
    assert!(err.contains("nested deeper than 128 levels"), "{err}");
}
