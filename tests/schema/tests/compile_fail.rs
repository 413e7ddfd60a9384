//! What a schema makes a compile error, on the server and on the Rust client (trybuild: each
//! `ui/*.rs` must fail as its `.stderr` says; `typed_api.rs` is what compiles). The client's
//! cases type-check on the host: its typed API's bounds are the same on every target. No case
//! passes here, so that trybuild only checks (`cargo check`), never builds, its dependencies.
//! `TRYBUILD=overwrite` rewrites the `.stderr` files.

#[test]
fn typed_events() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/server_*.rs");
    t.compile_fail("tests/ui/client_*.rs");
    t.compile_fail("tests/ui/schema_*.rs");
}
