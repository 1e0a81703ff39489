//! End-to-end tests of the `rasd` binary: the demo cycle, the CLI contract, config errors
//! and the daemon's shutdown. Every network exchange stays on 127.0.0.1.

mod e2e;
