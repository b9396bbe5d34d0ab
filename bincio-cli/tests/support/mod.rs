//! Helpers shared by the tests that run `bincio serve` as a child process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::Child;

/// Wait for `bincio serve`'s `bincio listening on http://ADDR` line on the
/// child's (piped) stdout and return `ADDR`; then keep draining stdout in a
/// thread so the child never blocks on a full pipe. Panics when the child
/// exits before listening.
pub fn listening_addr(child: &mut Child) -> String {
    let mut out = BufReader::new(child.stdout.take().expect("stdout piped"));
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "bincio serve exited before listening"
        );
        if let Some(a) = line.trim().strip_prefix("bincio listening on http://") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    addr
}
