//! Throw-away storage for the demo, the tests and the benchmarks: a loop-backed LVM
//! volume group ([`lvm`]) or a single-node Ceph cluster ([`ceph`]).

pub mod ceph;
pub mod lvm;
mod ports;

pub use lvm::{LvSpec, Sandbox, SandboxError, check_prerequisites};
