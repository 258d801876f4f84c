//! Free TCP ports on 127.0.0.1 for throw-away daemons that must be told their ports
//! before they start (a Ceph monitor's address is written into its map).

use std::net::{Ipv4Addr, TcpListener};
use std::ops::Range;

/// Below Linux's ephemeral range (32768 and up), so that outgoing connections do not
/// take them meanwhile, and clear of the e2e harness's 18300-18899.
const SEARCH: Range<u16> = 20000..32000;

/// Random places tried before giving up.
const ATTEMPTS: usize = 64;

/// The first of `count` consecutive ports that are all free now, found at a random
/// place so that demos and tests running at once rarely race for the same block.
pub fn free_block(count: u16) -> Option<u16> {
    let span = SEARCH.end - SEARCH.start - count;
    (0..ATTEMPTS)
        .map(|_| SEARCH.start + random_u16() % span)
        .find(|start| (*start..*start + count).all(is_free))
}

fn is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

fn random_u16() -> u16 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u16::from_le_bytes([bytes[0], bytes[1]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_block_is_in_range_and_bindable() {
        let start = free_block(8).expect("free ports on loopback");
        assert!(SEARCH.contains(&start) && SEARCH.contains(&(start + 7)));
        let held: Vec<_> = (start..start + 8)
            .map(|port| TcpListener::bind((Ipv4Addr::LOCALHOST, port)))
            .collect();
        assert!(held.iter().all(Result::is_ok), "{held:?}");
    }
}
