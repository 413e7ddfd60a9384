//! `tests/types/chat-events.ts` is the demo schema's TypeScript as generated now:
//! `SOCKEYE_BLESS=1 cargo test -p sockeye-schema-tests --test typescript` writes it again.

use std::path::Path;

#[test]
fn the_committed_typescript_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../types/chat-events.ts");
    let generated = sockeye_schema_tests::typescript();
    if std::env::var_os("SOCKEYE_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("tests/types/chat-events.ts is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "tests/types/chat-events.ts is stale; regenerate it with \
         `SOCKEYE_BLESS=1 cargo test -p sockeye-schema-tests --test typescript`.\n\
         --- generated ---\n{generated}"
    );
}
