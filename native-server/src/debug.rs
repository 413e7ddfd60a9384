//! `DEBUG=socket.io*`, as the reference's users turn on its log: the [`debug`] package's
//! namespaces, mapped onto this crate's `tracing` targets.
//!
//! The crate installs no subscriber; an application that wants the alias passes what
//! [`directives`] makes to its own filter, as the `sockeye-server` binary does when `RUST_LOG`
//! is unset:
//!
//! ```no_run
//! let filter = std::env::var("DEBUG")
//!     .ok()
//!     .and_then(|debug| sockeye_server::debug::directives(&debug))
//!     .map_or_else(|| "info".to_owned(), |d| format!("info,{d}"));
//! tracing_subscriber::fmt()
//!     .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
//!     .init();
//! ```
//!
//! | namespace | targets |
//! |---|---|
//! | `socket.io:server` | `sockeye_server::socketio::io` |
//! | `socket.io:namespace` | `sockeye_server::socketio::io::local`, `…::io::dynamic` |
//! | `socket.io:socket` | `sockeye_server::socketio::io::socket`, `…::io::handler` |
//! | `socket.io:client` | `sockeye_server::socketio::connection` |
//! | `socket.io-adapter` | `sockeye_server::socketio::adapter`, `…::memory_adapter` |
//! | `socket.io-redis` | `sockeye_redis` |
//! | `engine` | `sockeye_server::engine`, `sockeye_server::http` |
//! | `engine:socket` | `sockeye_server::engine::runner` |
//! | `engine:ws` | `sockeye_server::engine::websocket` |
//! | `engine:polling` | `sockeye_server::http::route` |
//!
//! [`debug`]: https://www.npmjs.com/package/debug

/// The reference's namespaces and the targets that log what each logs there.
const NAMESPACES: &[(&str, &[&str])] = &[
    ("socket.io:server", &["sockeye_server::socketio::io"]),
    (
        "socket.io:namespace",
        &[
            "sockeye_server::socketio::io::local",
            "sockeye_server::socketio::io::dynamic",
        ],
    ),
    (
        "socket.io:socket",
        &[
            "sockeye_server::socketio::io::socket",
            "sockeye_server::socketio::io::handler",
        ],
    ),
    (
        "socket.io:client",
        &["sockeye_server::socketio::connection"],
    ),
    (
        "socket.io-adapter",
        &[
            "sockeye_server::socketio::adapter",
            "sockeye_server::socketio::memory_adapter",
        ],
    ),
    ("socket.io-redis", &["sockeye_redis"]),
    (
        "engine",
        &["sockeye_server::engine", "sockeye_server::http"],
    ),
    ("engine:socket", &["sockeye_server::engine::runner"]),
    ("engine:ws", &["sockeye_server::engine::websocket"]),
    ("engine:polling", &["sockeye_server::http::route"]),
];

/// The `tracing` filter directives (`target=level`, comma-separated, as `RUST_LOG` and
/// `EnvFilter::new` take them) that turn on the log of the namespaces a `DEBUG` value names, or
/// `None` when it names none of them.
///
/// `debug` is read as the `debug` package reads it: patterns separated by commas or whitespace,
/// `*` matching any run of characters, and a pattern starting with `-` excluding what it
/// matches, whatever its place. So `socket.io*` and `socket.io:*` name the Socket.IO layer,
/// `engine*` and `engine:*` the Engine.IO layer and HTTP, `*` both. A named namespace logs at
/// `debug`; one excluded whose target lies under a named one's is set back to `info`.
///
/// ```
/// use sockeye_server::debug::directives;
///
/// assert_eq!(
///     directives("engine:ws").as_deref(),
///     Some("sockeye_server::engine::websocket=debug")
/// );
/// assert_eq!(directives("express:*"), None);
/// ```
pub fn directives(debug: &str) -> Option<String> {
    let patterns: Vec<&str> = debug
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let named = |ns: &str| {
        let (skip, take): (Vec<&str>, Vec<&str>) =
            patterns.iter().partition(|p| p.starts_with('-'));
        take.iter().any(|p| glob(p, ns)) && !skip.iter().any(|p| glob(&p[1..], ns))
    };
    let (on, off): (Vec<_>, Vec<_>) = NAMESPACES.iter().partition(|(ns, _)| named(ns));
    let on: Vec<&str> = on
        .iter()
        .flat_map(|(_, targets)| targets.iter().copied())
        .collect();
    if on.is_empty() {
        return None;
    }
    let under_on = |target: &str| {
        on.iter().any(|parent| {
            target
                .strip_prefix(parent)
                .is_some_and(|rest| rest.starts_with("::"))
        })
    };
    let off = off
        .iter()
        .flat_map(|(_, targets)| targets.iter().copied())
        .filter(|t| under_on(t));
    let mut out: Vec<String> = on.iter().map(|t| format!("{t}=debug")).collect();
    out.extend(off.map(|t| format!("{t}=info")));
    Some(out.join(","))
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (none too).
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else {
        // No `*`: the whole name.
        return rest.is_empty();
    };
    for part in parts {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOCKET_IO: &str = "sockeye_server::socketio::io=debug,\
        sockeye_server::socketio::io::local=debug,sockeye_server::socketio::io::dynamic=debug,\
        sockeye_server::socketio::io::socket=debug,sockeye_server::socketio::io::handler=debug,\
        sockeye_server::socketio::connection=debug";
    const ENGINE: &str = "sockeye_server::engine=debug,sockeye_server::http=debug,\
        sockeye_server::engine::runner=debug,sockeye_server::engine::websocket=debug,\
        sockeye_server::http::route=debug";

    #[test]
    fn socket_io_star_names_the_socket_io_layer_and_its_adapters() {
        let with_adapters = format!(
            "{SOCKET_IO},sockeye_server::socketio::adapter=debug,\
             sockeye_server::socketio::memory_adapter=debug,sockeye_redis=debug"
        );
        assert_eq!(directives("socket.io*").unwrap(), with_adapters);
        // `socket.io:*` leaves out `socket.io-adapter` and `socket.io-redis`, as in the reference.
        assert_eq!(directives("socket.io:*").unwrap(), SOCKET_IO);
    }

    #[test]
    fn engine_star_and_engine_colon_star() {
        assert_eq!(directives("engine*").unwrap(), ENGINE);
        // `engine:*` does not match `engine` itself: the server-wide targets stay off.
        assert_eq!(
            directives("engine:*").unwrap(),
            "sockeye_server::engine::runner=debug,sockeye_server::engine::websocket=debug,\
             sockeye_server::http::route=debug"
        );
    }

    #[test]
    fn patterns_separate_by_commas_or_spaces_and_star_names_all() {
        let both = directives("socket.io:*, engine*").unwrap();
        assert_eq!(both, format!("{SOCKET_IO},{ENGINE}"));
        assert_eq!(directives("socket.io:* engine*").unwrap(), both);
        assert_eq!(directives("*").unwrap().matches("=debug").count(), 14);
    }

    #[test]
    fn an_exclusion_wins_and_sets_a_nested_target_back_to_info() {
        assert_eq!(
            directives("-socket.io:socket,socket.io:*").unwrap(),
            "sockeye_server::socketio::io=debug,\
             sockeye_server::socketio::io::local=debug,sockeye_server::socketio::io::dynamic=debug,\
             sockeye_server::socketio::connection=debug,\
             sockeye_server::socketio::io::socket=info,sockeye_server::socketio::io::handler=info"
        );
        assert_eq!(directives("engine*,-engine*"), None);
    }

    #[test]
    fn other_libraries_and_empty_values_name_nothing() {
        for debug in [
            "",
            "  ",
            "express:*",
            "socket.io-client:*",
            "engine.io-client:*",
            "-*",
        ] {
            assert_eq!(directives(debug), None, "{debug:?}");
        }
    }

    #[test]
    fn glob_matches_as_the_debug_package() {
        assert!(glob("*", ""));
        assert!(glob("socket.io*", "socket.io-adapter"));
        assert!(glob("socket.io:*", "socket.io:server"));
        assert!(!glob("socket.io:*", "socket.io-adapter"));
        assert!(glob("*:socket", "engine:socket"));
        assert!(glob("e*e", "engine"));
        assert!(!glob("e*e*e", "engine"));
        assert!(!glob("engine", "engine:ws"));
        assert!(!glob("ab*ba", "aba"));
    }
}
