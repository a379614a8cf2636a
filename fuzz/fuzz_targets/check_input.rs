//! Arbitrary text as the input of `kubectl multicloud check`: as a YAML file, a JSON file and a
//! clusters file. Reading never panics or hangs (deep nesting is refused before the parser),
//! and whatever reads is checked and reported in every output format without a panic.
#![no_main]

use kubectl_multicloud::commands::check::{check, parse_catalog, render};
use kubectl_multicloud::commands::check::input;
use kubectl_multicloud::output::{to_json, to_yaml};
use kubectl_multicloud::style::Style;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = parse_catalog("clusters.yaml", text).ok();
    for file in ["input.yaml", "input.json"] {
        let Ok(documents) = input::parse(file, text) else {
            continue;
        };
        let Ok(report) = check(documents, catalog.as_ref(), None, None) else {
            continue;
        };
        let _ = render(&report, catalog.as_ref(), Style::plain());
        let _ = to_json(&report);
        let _ = to_yaml(&report);
    }
});
