//! The per-client bound on open connections.
//!
//! A client is the peer address of the TCP connection: an IPv4 address, or
//! the /64 prefix of an IPv6 address (one host usually holds a whole /64,
//! so counting single v6 addresses would bound nothing). IPv4-mapped IPv6
//! peers count as their IPv4 address. Behind a reverse proxy every
//! connection comes from the proxy, which is why `bincio serve` turns this
//! bound off with `--trusted-proxy` unless it is given explicitly.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open connections by client key.
type Table = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// Open connections per client.
pub(super) struct PerClient {
    max: usize,
    open: Table,
}

/// One counted connection; uncounts itself when dropped.
pub(super) struct ClientPermit {
    key: Option<(IpAddr, Table)>,
}

impl Drop for ClientPermit {
    fn drop(&mut self) {
        if let Some((ip, open)) = self.key.take() {
            let mut open = open.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = open.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&ip);
                }
            }
        }
    }
}

/// The key `ip` is counted under.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
        v4 => v4,
    }
}

impl PerClient {
    /// At most `max` open connections per client (`0`: no bound).
    pub(super) fn new(max: usize) -> Self {
        Self {
            max,
            open: Arc::default(),
        }
    }

    /// A permit for one more connection of `ip`, or `None` when the client
    /// already holds its maximum.
    pub(super) fn try_acquire(&self, ip: IpAddr) -> Option<ClientPermit> {
        if self.max == 0 {
            return Some(ClientPermit { key: None });
        }
        let key = client_key(ip);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ClientPermit {
            key: Some((key, self.open.clone())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_releases() {
        let pc = PerClient::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let a_mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let p1 = pc.try_acquire(a).unwrap();
        let _p2 = pc.try_acquire(a_mapped).unwrap();
        assert!(pc.try_acquire(a).is_none());
        assert!(pc.try_acquire(b).is_some());
        drop(p1);
        assert!(pc.try_acquire(a).is_some());
    }

    #[test]
    fn ipv6_counts_per_64() {
        let pc = PerClient::new(1);
        let _p = pc.try_acquire("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(pc
            .try_acquire("2001:db8:1:2::ffff".parse().unwrap())
            .is_none());
        assert!(pc.try_acquire("2001:db8:1:3::1".parse().unwrap()).is_some());
    }

    #[test]
    fn zero_is_unbounded() {
        let pc = PerClient::new(0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let held: Vec<_> = (0..100).map(|_| pc.try_acquire(ip).unwrap()).collect();
        assert_eq!(held.len(), 100);
        assert!(pc.open.lock().unwrap().is_empty());
    }
}
