//! What a schema makes a compile error, on the server and on the Rust client (trybuild: each
//! `ui/*.rs` must fail as its `.stderr` says), and what it accepts (`ui/pass.rs` builds and
//! runs). The client's cases type-check on the host: its typed API's bounds are the same on
//! every target. `TRYBUILD=overwrite` rewrites the `.stderr` files.

#[test]
fn typed_events() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass.rs");
    t.compile_fail("tests/ui/server_*.rs");
    t.compile_fail("tests/ui/client_*.rs");
    t.compile_fail("tests/ui/schema_*.rs");
}
