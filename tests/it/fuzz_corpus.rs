//! Replays the fuzz seeds (`fuzz/corpus/NAME/`) and every input the fuzzer ever crashed on
//! (`fuzz/regressions/NAME/`) through the fuzz targets' bodies in `imgedit::fuzz`.

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("mask_file", imgedit::fuzz::mask_file),
    ("shapes", imgedit::fuzz::shapes),
    ("image_edit_request", imgedit::fuzz::image_edit_request),
    ("bedrock_request", imgedit::fuzz::bedrock_request),
    ("config", imgedit::fuzz::config),
    ("data_url", imgedit::fuzz::data_url),
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
