//! The hooks in headless Chromium, against the official Node `socket.io` server and against
//! sockeye-server (`scripts/test-wasm.sh` runs these once per server, with the browser client's
//! own tests): components mounted with `yew::Renderer` into the page and destroyed again.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, reason = "tests")]

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use serde_json::{Value, json};
use sockeye_client::{ConnectionState, Options};
use sockeye_yew::{AckState, use_connection_state, use_emit_with_ack, use_event, use_socket};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The server's URL, baked in by `scripts/test-wasm.sh`.
fn url() -> String {
    match option_env!("SOCKEYE_TEST_URL") {
        Some(url) => url.to_string(),
        None => {
            panic!("SOCKEYE_TEST_URL is not set: run scripts/test-wasm.sh, which starts the server")
        }
    }
}

/// Waits (up to 10 s) for `cond`.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}");
}

/// What a component saw, shared with the test.
#[derive(Default)]
struct Seen {
    states: Vec<ConnectionState>,
    echoes: Vec<Value>,
    ack: Option<Result<Value, String>>,
}

/// The test's handle on what a component saw (props compare it by identity).
#[derive(Clone, Default)]
struct Probe(Rc<RefCell<Seen>>);

impl PartialEq for Probe {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct Props {
    probe: Probe,
    /// What to emit once connected: `echo` with it, acknowledged, and `echo` without an ack
    /// (which the server answers with an `echo` event).
    value: Value,
}

#[function_component]
fn Connected(props: &Props) -> Html {
    let socket = use_socket(&url(), Options::default());
    match &*socket {
        Ok(socket) => {
            html! { <Chat socket={socket.clone()} probe={props.probe.clone()} value={props.value.clone()} /> }
        }
        Err(e) => html! { <p>{ e.to_string() }</p> },
    }
}

#[derive(Properties, PartialEq)]
struct ChatProps {
    socket: sockeye_client::Socket,
    probe: Probe,
    value: Value,
}

#[function_component]
fn Chat(props: &ChatProps) -> Html {
    let state = use_connection_state(&props.socket);
    let echo = use_event::<Value>(&props.socket, "echo");
    let ack = use_emit_with_ack::<Value>(&props.socket, "echo");
    let mut seen = props.probe.0.borrow_mut();
    if seen.states.last() != Some(&state) {
        seen.states.push(state);
    }
    if let Some(echo) = &echo
        && seen.echoes.last() != Some(echo)
    {
        seen.echoes.push((**echo).clone());
    }
    if let AckState::Done(result) = ack.state() {
        seen.ack = Some(match &**result {
            Ok(value) => Ok(value.clone()),
            Err(e) => Err(e.to_string()),
        });
    }
    drop(seen);
    {
        let (socket, value, ack) = (props.socket.clone(), props.value.clone(), ack.clone());
        use_effect_with(state, move |state| {
            if *state == ConnectionState::Connected {
                ack.emit(&value);
                socket.emit("echo", &value).unwrap();
            }
        });
    }
    html! { <p>{ format!("{state:?}") }</p> }
}

fn mount(probe: &Probe, value: Value) -> yew::AppHandle<Connected> {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Connected>::with_root_and_props(
        root,
        Props {
            probe: probe.clone(),
            value,
        },
    )
    .render()
}

#[wasm_bindgen_test]
async fn the_hooks_follow_the_connection_events_and_acknowledgements() {
    let probe = Probe::default();
    let app = mount(&probe, json!({ "n": 1 }));
    until("the acknowledgement", || probe.0.borrow().ack.is_some()).await;
    until("the echo event", || !probe.0.borrow().echoes.is_empty()).await;
    {
        let seen = probe.0.borrow();
        assert_eq!(
            seen.states,
            [ConnectionState::Connecting, ConnectionState::Connected]
        );
        assert_eq!(seen.ack, Some(Ok(json!({ "n": 1 }))));
        assert_eq!(seen.echoes, [json!({ "n": 1 })]);
    }
    app.destroy();
}

/// The client's live timers, closures, WebSocket listeners and drivers.
fn live() -> [i32; 4] {
    let counters: JsValue = sockeye_client::debug_counters().into();
    ["timers", "closures", "listeners", "drivers"].map(|name| {
        js_sys::Reflect::get(&counters, &name.into())
            .unwrap()
            .as_f64()
            .unwrap() as i32
    })
}

#[wasm_bindgen_test]
async fn a_thousand_mounts_leave_nothing_behind() {
    until("a quiet client before the test", || live() == [0; 4]).await;
    for n in 0..1000 {
        let probe = Probe::default();
        let app = mount(&probe, json!(n));
        // Every tenth waits for the connection and its acknowledgement; the others unmount while
        // connecting, or with the acknowledgement still awaited.
        if n % 10 == 0 {
            until("the acknowledgement", || probe.0.borrow().ack.is_some()).await;
        } else if n % 10 == 1 {
            until("the connection", || {
                probe.0.borrow().states.last() == Some(&ConnectionState::Connected)
            })
            .await;
        } else {
            TimeoutFuture::new(0).await;
        }
        app.destroy();
    }
    // Closing a WebSocket and settling a request take an event-loop turn or a few.
    let mut last = live();
    for _ in 0..1000 {
        last = live();
        if last == [0; 4] {
            break;
        }
        TimeoutFuture::new(10).await;
    }
    assert_eq!(
        last, [0; 4],
        "live timers, closures, listeners, drivers after 1,000 mounts"
    );
}
