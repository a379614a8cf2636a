//! `kubectl_complete-multicloud`: what kubectl (1.26+) runs for `kubectl multicloud <TAB>`, with
//! the words after `kubectl multicloud` (the one being completed last). It prints the candidates
//! and cobra's `:<directive>` line; see `kubectl_multicloud::complete`.
#![forbid(unsafe_code)]

use std::io::Write as _;

use kubectl_multicloud::complete::{complete, live::LiveLookup, render};

fn main() {
    let words: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|word| word.to_string_lossy().into_owned())
        .collect();
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let lookup = LiveLookup::new(&words);
    let (candidates, directive) = complete(&words, &lookup);
    // A closed pipe is no reason to fail a completion.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(render(&candidates, directive).as_bytes());
    let _ = stdout.flush();
}
