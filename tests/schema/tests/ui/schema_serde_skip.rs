// A field serde leaves out of what it sends would be in the interface: refused.
use serde::Serialize;

sockeye_core::ts_struct! {
    #[derive(Serialize)]
    pub struct Line {
        pub text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub reply_to: Option<u64>,
    }
}

sockeye_core::ts_struct! {
    #[derive(Serialize)]
    #[serde(transparent)]
    pub struct Wrapped {
        pub inner: u64,
    }
}

fn main() {}
