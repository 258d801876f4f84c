//! The console at scale: 100,000 snapshots streamed in, one frame drawn, one filter
//! keystroke answered. Also prints the resident memory once the rows are loaded.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use snapport::app::keymap::{Key, KeyCode, Keymap};
use snapport::app::msg::{Effect, Load, Msg, Page, Reply};
use snapport::app::{App, update};
use snapport::backend::{BackendInfo, Metadata, Snapshot};
use snapport::tui::draw;
use snapport::tui::theme::Theme;

const ROWS: usize = 100_000;
const PAGE: usize = 1_000;

fn snapshots(from: usize, count: usize) -> Vec<Snapshot> {
    (from..from + count)
        .map(|n| Snapshot {
            id: format!("00000000-0000-4000-8000-{n:012}"),
            name: Some(format!("snap-{n}-daily")),
            description: None,
            status: if n % 97 == 0 { "error" } else { "available" }.into(),
            size: (n % 500) as u64 + 1,
            volume_id: format!("11111111-0000-4000-8000-{:012}", n % 1_000),
            created_at: Some(format!("2024-06-{:02}T03:00:00.000000", n % 28 + 1)),
            metadata: Metadata::new(),
        })
        .collect()
}

fn press(app: &mut App, key: Key) -> Vec<Effect> {
    update(app, Msg::Key(key))
}

/// A console on the snapshots screen with `ROWS` snapshots, streamed in pages.
fn loaded_app() -> App {
    let info = BackendInfo {
        label: "bench".into(),
        identity: None,
        read_only: false,
        warnings: Vec::new(),
    };
    let mut app = App::new(info, Keymap::default());
    update(&mut app, Msg::Start);
    update(
        &mut app,
        Msg::Resize {
            width: 160,
            height: 48,
        },
    );
    press(&mut app, Key::char(':'));
    for c in "snapshots".chars() {
        press(&mut app, Key::char(c));
    }
    let effects = press(&mut app, Key::plain(KeyCode::Enter));
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::Load {
                request,
                load: Load::Snapshots(_),
            } => Some(*request),
            _ => None,
        })
        .expect("the snapshots screen asks for its rows");
    for from in (0..ROWS).step_by(PAGE) {
        update(
            &mut app,
            Msg::Reply(Reply::Page {
                request,
                page: Page::Snapshots(snapshots(from, PAGE)),
            }),
        );
    }
    update(
        &mut app,
        Msg::Reply(Reply::Loaded {
            request,
            result: Ok(()),
        }),
    );
    app
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn console(c: &mut Criterion) {
    let mut app = loaded_app();
    eprintln!(
        "resident memory with {ROWS} snapshots loaded: {:.1} MiB",
        rss_mib()
    );
    for _ in 0..ROWS / 2 {
        press(&mut app, Key::char('j'));
    }
    let theme = Theme::load(None, false).unwrap();
    for (width, height) in [(80, 24), (160, 48)] {
        update(&mut app, Msg::Resize { width, height });
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        c.bench_function(&format!("render_100k_snapshots_{width}x{height}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| draw(frame, black_box(&app), &theme))
                    .unwrap();
            })
        });
    }

    press(&mut app, Key::char('/'));
    // Only the timed keystroke counts; the one that undoes it runs outside the clock.
    let mut keystroke = |name: &str, app: &mut App, key: char| {
        c.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let start = Instant::now();
                    press(app, Key::char(key));
                    total += start.elapsed();
                    press(app, Key::plain(KeyCode::Backspace));
                }
                total
            })
        });
    };
    // A first character: every row is scanned.
    keystroke("filter_keystroke_100k_first_char", &mut app, '7');
    // One more character on top of "s" (which matches every row): only matches rescan.
    press(&mut app, Key::char('s'));
    keystroke("filter_keystroke_100k_next_char", &mut app, 'n');
    press(&mut app, Key::plain(KeyCode::Esc));

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("stream_in_100k_snapshots", |b| {
        b.iter_batched(|| (), |()| black_box(loaded_app()), BatchSize::PerIteration)
    });
    group.finish();
}

criterion_group!(benches, console);
criterion_main!(benches);
