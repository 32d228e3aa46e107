//! Replays the fuzz seeds (`fuzz/corpus/NAME/`) and every input the fuzzer ever crashed on
//! (`fuzz/regressions/NAME/`) through the fuzz targets' bodies, `fuzz/src/lib.rs`: the fuzz
//! crate's library, compiled here as a module so that the shipped crate does not carry them.

use std::path::Path;

#[path = "../../fuzz/src/lib.rs"]
mod bodies;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("mask_file", bodies::mask_file),
    ("shapes", bodies::shapes),
    ("image_edit_request", bodies::image_edit_request),
    ("bedrock_request", bodies::bedrock_request),
    ("config", bodies::config),
    ("data_url", bodies::data_url),
];

/// Runs every file of `fuzz/<kind>/<target>/`; returns how many ran.
fn replay(kind: &str, name: &str, target: Target) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let run = std::panic::catch_unwind(|| target(&data));
        assert!(run.is_ok(), "{} fails its target", path.display());
    }
    files.len()
}

#[test]
fn every_seed_passes_its_target() {
    for (name, target) in TARGETS {
        assert!(
            replay("corpus", name, *target) > 0,
            "fuzz/corpus/{name}/ has no seeds"
        );
    }
}

#[test]
fn every_input_the_fuzzer_crashed_on_stays_fixed() {
    for (name, target) in TARGETS {
        replay("regressions", name, *target);
    }
}

#[test]
fn every_corpus_directory_names_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind)) else {
            continue;
        };
        for e in entries {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/{kind}/{name} matches no target"
            );
        }
    }
}

/// fuzz/ is built only by `cargo +nightly fuzz`: check here that each target still calls the
/// body this file replays, and that there is no target without one.
#[test]
fn every_fuzz_target_calls_its_body() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut found = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            TARGETS.iter().any(|(t, _)| *t == name),
            "{} has no body in TARGETS",
            path.display()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("imgedit_fuzz::{name}(data)")),
            "{} does not call imgedit_fuzz::{name}",
            path.display()
        );
        found += 1;
    }
    assert_eq!(found, TARGETS.len());
}
