//! The options object of `io(url, options)`, read with `Reflect` (serde would cost bundle size),
//! and the server's URL, read with the platform's `URL` (the core's `ServerUrl::parse` is for the
//! native clients; the browser's parser costs the module nothing).
//!
//! Names and readings are socket.io-client 4.8's, including its quirks: a falsy
//! `reconnectionAttempts`, `reconnectionDelay` or `reconnectionDelayMax` means the default, and
//! `timeout: false` means no open timeout. The defaults are the core's (`Config::new`, which holds
//! socket.io-client's): an option left out keeps the value the core's configuration starts with.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use js_sys::{Array, Object};
use proto::client::{Client, Config};
use proto::engine::Transport;
use proto::engine::client as engine_client;
use proto::socket::client::{self as socket_client, Auth, SocketOptions};
use proto::url::{EngineUrl, ServerUrl};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js;
use crate::transport::polling::PollOptions;

/// The Engine.IO path under Socket.IO, socket.io-client's `path` default, before `addTrailingSlash`
/// (the core takes the path as given: bare Engine.IO uses another). The Rust API's `Options` and
/// the wrapper's manager cache (through [`defaults`]) default to it too.
pub(crate) const DEFAULT_PATH: &str = "/socket.io";

/// What the options configure: the core client and the HTTP requests.
pub(crate) struct ManagerOptions {
    pub(crate) config: Config,
    pub(crate) poll: PollOptions,
}

#[wasm_bindgen]
extern "C" {
    /// `String(value)`.
    #[wasm_bindgen(js_name = String)]
    fn to_string(value: &JsValue) -> String;

    /// A WHATWG URL, its parts read with [`js::get`].
    #[wasm_bindgen(js_name = URL)]
    type Url;
    /// `new URL(url)`: throws when `url` is not an absolute URL, has no host (`http:`, `ws:`
    /// and their secure twins need one) or a port over 65535.
    #[wasm_bindgen(catch, constructor, js_class = URL)]
    fn new(url: &str) -> Result<Url, JsValue>;

    /// `URLSearchParams`: query pairs, percent-decoded (`+` as a space), iterable as
    /// `[key, value]` arrays.
    #[wasm_bindgen(js_name = URLSearchParams)]
    type SearchParams;
    /// `new URLSearchParams(query)` (a leading `?` is skipped).
    #[wasm_bindgen(constructor, js_class = URLSearchParams)]
    fn new(query: &str) -> SearchParams;
}

/// Parses the server's absolute URL (`http(s)://` or `ws(s)://`, a host, an optional port, path
/// and query) as the core's `ServerUrl::parse` does, with the platform's `URL`: the host
/// lowercased (and IDNA-encoded), the scheme's default port, the path `/` when empty, the query
/// decoded; credentials and the fragment left out. The `URL` too, for another read of its parts.
fn server_url(uri: &str) -> Result<(ServerUrl, Url), &'static str> {
    let url = Url::new(uri).map_err(|_| "the URL is not valid (scheme://host[:port][/path])")?;
    let part = |name: &str| js::get(&url, name).as_string().unwrap_or_default();
    let secure = match part("protocol").as_str() {
        "http:" | "ws:" => false,
        "https:" | "wss:" => true,
        _ => return Err("unsupported URL scheme (use http, https, ws or wss)"),
    };
    // `URL` gives the port in decimal digits, at most 65535, and `""` for the scheme's default.
    let port = part("port").bytes().fold(None, |port: Option<u16>, digit| {
        Some(
            port.unwrap_or(0)
                .wrapping_mul(10)
                .wrapping_add(u16::from(digit.wrapping_sub(b'0'))),
        )
    });
    let server = ServerUrl {
        secure,
        host: part("hostname"),
        port: port.unwrap_or(if secure { 443 } else { 80 }),
        pathname: part("pathname"),
        query: query(&url),
    };
    Ok((server, url))
}

/// The URL's query pairs.
fn query(url: &Url) -> Vec<(String, String)> {
    entries(&js::get(url, "searchParams"))
}

/// An iterable of `[key, value]` arrays (a `URLSearchParams`, `Object.entries`' result) as
/// pairs of strings, the values through `String(value)`.
fn entries(iterable: &JsValue) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    // Plain loops in this file: iterator adapters' `collect` costs the module more.
    for entry in Array::from(iterable).iter() {
        let entry: Array = entry.unchecked_into();
        if let Some(key) = entry.get(0).as_string() {
            pairs.push((key, to_string(&entry.get(1))));
        }
    }
    pairs
}

fn get(options: &JsValue, key: &str) -> JsValue {
    if !options.is_object() {
        return JsValue::UNDEFINED;
    }
    js::get(options, key)
}

/// A number of milliseconds: finite and positive, else `None`.
fn millis(value: &JsValue) -> Option<Duration> {
    value
        .as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| Duration::from_millis(v as u64))
}

/// Reads a boolean option into `target` (which holds the default) when it is `true` or `false`
/// (the reference tests `!== false` or truthiness, which agree on booleans).
fn read_flag(target: &mut bool, options: &JsValue, key: &str) {
    if let Some(on) = get(options, key).as_bool() {
        *target = on;
    }
}

/// Reads a number of milliseconds into `target` (the default) unless it is falsy, as
/// `opts.x || default` does.
fn read_millis(target: &mut Duration, options: &JsValue, key: &str) {
    if let Some(d) = millis(&get(options, key)).filter(|d| !d.is_zero()) {
        *target = d;
    }
}

/// Own enumerable `[key, String(value)]` pairs of an object option (`query`, `extraHeaders`).
fn pairs(value: &JsValue) -> Vec<(String, String)> {
    if !value.is_object() {
        return Vec::new();
    }
    entries(&Object::entries(value.unchecked_ref()))
}

/// Reads the manager's options for the absolute URL `uri` (the ESM wrapper resolves relative
/// ones against the page, as the reference does).
pub(crate) fn manager_options(uri: &str, options: &JsValue) -> Result<ManagerOptions, String> {
    let (engine, poll) = engine_options(uri, options)?;
    let mut config = Config::new(engine.url.clone());
    config.engine = engine;
    let manager = &mut config.manager;
    read_flag(&mut manager.reconnection, options, "reconnection");
    // Falsy (and `Infinity`): the default.
    if let Some(n) = get(options, "reconnectionAttempts")
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 1.0)
    {
        manager.reconnection_attempts = Some(n as u32);
    }
    read_millis(
        &mut manager.reconnection_delay,
        options,
        "reconnectionDelay",
    );
    read_millis(
        &mut manager.reconnection_delay_max,
        options,
        "reconnectionDelayMax",
    );
    if let Some(factor) = get(options, "randomizationFactor").as_f64() {
        manager.randomization_factor = factor;
    }
    let timeout = get(options, "timeout");
    if timeout.as_bool() == Some(false) {
        manager.timeout = None;
    } else if let Some(t) = millis(&timeout) {
        manager.timeout = Some(t);
    }
    read_flag(&mut manager.auto_connect, options, "autoConnect");
    if let Some(t) = millis(&get(options, "ackTimeout")) {
        manager.ack_timeout = Some(t);
    }
    manager.retries = retries(&get(options, "retries"), manager.retries);
    // The build decides the parser (the wrapper hands a `parser` option naming the other build
    // to that build's manager, and refuses any other).
    #[cfg(feature = "msgpack")]
    {
        manager.parser = proto::socket::Parser::MessagePack;
    }
    Ok(ManagerOptions { config, poll })
}

/// Reads what each engine's connection is made of (the URL with `path` and `query`,
/// `transports`, `upgrade` ..., `extraHeaders`, `withCredentials`): at construction, and again
/// before each engine opens, as the reference reads `io.opts` on each (re)connection.
pub(crate) fn engine_options(
    uri: &str,
    options: &JsValue,
) -> Result<(engine_client::Config, PollOptions), String> {
    let (server, url) = server_url(uri).map_err(String::from)?;
    let mut path = get(options, "path")
        .as_string()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| String::from(DEFAULT_PATH));
    // `trim_end_matches('/')` without the char-pattern machinery.
    while path.as_bytes().last() == Some(&b'/') {
        path.pop();
    }
    // engine.io-client's `addTrailingSlash`, on by default.
    let mut trailing_slash = true;
    read_flag(&mut trailing_slash, options, "addTrailingSlash");
    if trailing_slash {
        path.push('/');
    }
    // The URL's own query wins over the `query` option, as in engine.io-client.
    let query = if server.query.is_empty() {
        let option = get(options, "query");
        match option.as_string() {
            Some(text) => entries(&SearchParams::new(&text)),
            None => pairs(&option),
        }
    } else {
        // Read again rather than cloned: a clone of the pairs costs the module more.
        query(&url)
    };
    let mut engine = engine_client::Config::new(EngineUrl {
        server,
        path,
        query,
    });
    if let Some(list) = get(options, "transports").dyn_ref::<Array>() {
        // Names this client does not implement (`webtransport`) or transport classes are skipped.
        engine.transports.clear();
        for name in list.iter() {
            if let Some(t) = name
                .as_string()
                .and_then(|name| Transport::from_name(&name))
            {
                engine.transports.push(t);
            }
        }
    }
    read_flag(&mut engine.upgrade, options, "upgrade");
    read_flag(&mut engine.remember_upgrade, options, "rememberUpgrade");
    read_flag(&mut engine.try_all_transports, options, "tryAllTransports");
    if let Some(on) = get(options, "timestampRequests").as_bool() {
        engine.timestamp_requests = Some(on);
    }
    if let Some(name) = get(options, "timestampParam").as_string() {
        engine.timestamp_param = name;
    }

    // `transportOptions.polling` / `.websocket` override the options of that transport, as the
    // reference merges them (`transportOptions: { polling: { extraHeaders } }`, the docs' way).
    let transport_options = get(options, "transportOptions");
    let of = |transport: &str, key: &str| {
        let value = get(&get(&transport_options, transport), key);
        if value.is_undefined() {
            get(options, key)
        } else {
            value
        }
    };
    let mut poll = PollOptions::default();
    if let Some(on) = of("polling", "withCredentials").as_bool() {
        poll.with_credentials = on;
    }
    poll.extra_headers = pairs(&of("polling", "extraHeaders"));
    poll.request_timeout = millis(&of("polling", "requestTimeout"))
        .filter(|t| !t.is_zero())
        .map(|t| t.as_secs_f64() * 1e3);
    poll.protocols = of("websocket", "protocols");
    Ok((engine, poll))
}

/// `retries`: a count, `Infinity` for no limit; `otherwise` for anything else.
fn retries(value: &JsValue, otherwise: u32) -> u32 {
    value.as_f64().filter(|n| *n >= 1.0).map_or(otherwise, |n| {
        if n.is_finite() { n as u32 } else { u32::MAX }
    })
}

/// A socket's options (`retries`, `ackTimeout`), the manager's as defaults. The auth is always
/// asked for at CONNECT time ([`Auth::CALLBACK`]), because the reference reads `socket.auth` then,
/// and applications change it between connections.
pub(crate) fn socket_options(options: &JsValue, config: &socket_client::Config) -> SocketOptions {
    let mut socket = SocketOptions::new(Auth::CALLBACK);
    let value = get(options, "retries");
    // Given but not a count: none.
    socket.retries = retries(
        &value,
        if value.is_undefined() {
            config.retries
        } else {
            0
        },
    );
    let value = get(options, "ackTimeout");
    socket.ack_timeout = if value.is_undefined() {
        config.ack_timeout
    } else {
        millis(&value)
    };
    socket
}

/// `manager.<name>(value)`, the reference's setters. Unlike the constructor's options they take
/// the value as given (`reconnectionAttempts(0)` means no attempt); what is not a number of
/// milliseconds means 0, as JS's timers read it.
pub(crate) fn set_manager_option(client: &mut Client, name: &str, value: &JsValue) {
    let ms = || millis(value).unwrap_or_default();
    match name {
        "reconnection" => client.set_reconnection(value.is_truthy()),
        "reconnectionAttempts" => client.set_reconnection_attempts(
            value
                .as_f64()
                .filter(|n| n.is_finite())
                .map(|n| n.max(0.0) as u32),
        ),
        "reconnectionDelay" => client.set_reconnection_delay(ms()),
        "reconnectionDelayMax" => client.set_reconnection_delay_max(ms()),
        "randomizationFactor" => {
            client.set_randomization_factor(value.as_f64().unwrap_or_default())
        }
        "timeout" => client.set_timeout(if value.as_bool() == Some(false) {
            None
        } else {
            Some(ms())
        }),
        _ => {}
    }
}

/// The defaults of the options that the wrapper reads too, from the core's configuration
/// (socket.io-client's): `[path, autoConnect, reconnection, reconnectionAttempts,
/// reconnectionDelay, reconnectionDelayMax, randomizationFactor, timeout]` (`path` for its manager
/// cache, the others for `autoConnect` and the manager's accessors before any setter). An array
/// rather than an object: the module builds it with one `push` for all.
pub(crate) fn defaults() -> Array {
    let manager = socket_client::Config::default();
    let ms = |d: Duration| JsValue::from_f64(d.as_secs_f64() * 1e3);
    [
        JsValue::from_str(DEFAULT_PATH),
        JsValue::from_bool(manager.auto_connect),
        JsValue::from_bool(manager.reconnection),
        JsValue::from_f64(
            manager
                .reconnection_attempts
                .map_or(f64::INFINITY, f64::from),
        ),
        ms(manager.reconnection_delay),
        ms(manager.reconnection_delay_max),
        JsValue::from_f64(manager.randomization_factor),
        // The reference's `timeout: false` is no timeout.
        manager.timeout.map_or(JsValue::FALSE, ms),
    ]
    .iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use alloc::string::String;

    use proto::url::ServerUrl;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::server_url;

    #[test]
    fn server_urls_read_as_the_cores_parser_reads_them() {
        for url in [
            "http://localhost:3000",
            "https://Example.com/admin?x=1#frag",
            "ws://[::1]:3000",
            "wss://h",
            "ws://h:443/",
            "http://h:80/a/b?x=1&y=a+b%20c&z&&=v",
            "HTTPS://user:pw@127.0.0.1:8080/?q=%C3%A9",
            " http://h:0/nsp ",
        ] {
            let server = server_url(url).ok().map(|(server, _)| server);
            assert_eq!(server, ServerUrl::parse(url).ok(), "{url}");
        }
        for url in [
            "ftp://x",
            "http://:80/",
            "http://x:99999/",
            "http://[::1/",
            "localhost:3000",
        ] {
            assert!(server_url(url).is_err(), "{url}");
        }
    }

    /// The request URLs' query pairs are encoded by the platform's `encodeURIComponent` (the
    /// core's `js` feature), as the core's own encoder does.
    #[test]
    fn query_pairs_are_percent_encoded_as_the_core_does() {
        let mut encoded = String::new();
        proto::url::percent_encode(&mut encoded, "é/?&= x-_.!~*'()");
        assert_eq!(encoded, "%C3%A9%2F%3F%26%3D%20x-_.!~*'()");
    }
}
