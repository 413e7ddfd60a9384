//! TypeScript for a schema: the `ServerToClientEvents` / `ClientToServerEvents` interfaces as
//! socket.io's TypeScript guide writes them (`chat: (line: ChatLine) => void;`, an
//! acknowledgement as a last `callback` parameter), and the names of the types they use.

use alloc::borrow::{Cow, ToOwned};
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use super::Schema;

/// A Rust type's TypeScript name, as its value travels in JSON (serde's data model).
///
/// Implemented for `bool`, the numbers, `char`, strings, `()` (`null`),
/// [`Binary`](crate::socket::Binary) (`ArrayBuffer`), `Option` (`T | null`),
/// sequences (`T[]`), tuples (`[A, B]`), maps with string keys (`Record<string, V>`) and the
/// pointers. For an application's own types, implement it by hand (a name, and optionally a
/// declaration) or declare a plain struct with [`ts_struct!`](crate::ts_struct).
pub trait TsType {
    /// Whether a value of the type travels as several arguments when it is an event's only
    /// one (a tuple or an array, by the arguments' rule); the schema refuses such a lone
    /// argument.
    const SPREADS: bool = false;
    /// Writes the type's TypeScript name (`string`, `ChatLine`, `number[]`).
    fn write_ts(out: &mut String);
    /// Writes the type's TypeScript declaration (`export interface ChatLine { ... }`), for a
    /// type a schema's `types` list names; nothing by default.
    fn write_declaration(out: &mut String) {
        let _ = out;
    }
}

macro_rules! named {
    ($name:literal: $($t:ty),*) => {
        $(impl TsType for $t {
            fn write_ts(out: &mut String) {
                out.push_str($name);
            }
        })*
    };
}

named!("boolean": bool);
named!("number": u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64);
named!("string": char, str, String);
named!("null": ());
named!("ArrayBuffer": crate::socket::Binary);

impl<T: TsType + ?Sized> TsType for &T {
    const SPREADS: bool = T::SPREADS;
    fn write_ts(out: &mut String) {
        T::write_ts(out);
    }
}

impl<T: TsType + ?Sized> TsType for Box<T> {
    const SPREADS: bool = T::SPREADS;
    fn write_ts(out: &mut String) {
        T::write_ts(out);
    }
}

impl<T: TsType + ToOwned + ?Sized> TsType for Cow<'_, T> {
    const SPREADS: bool = T::SPREADS;
    fn write_ts(out: &mut String) {
        T::write_ts(out);
    }
}

impl<T: TsType> TsType for Option<T> {
    fn write_ts(out: &mut String) {
        T::write_ts(out);
        out.push_str(" | null");
    }
}

/// `T[]`, with `T` in parentheses when it is a union or a function type.
fn write_array<T: TsType + ?Sized>(out: &mut String) {
    let mut item = String::new();
    T::write_ts(&mut item);
    if item.contains(' ') {
        out.push('(');
        out.push_str(&item);
        out.push(')');
    } else {
        out.push_str(&item);
    }
    out.push_str("[]");
}

impl<T: TsType> TsType for [T] {
    fn write_ts(out: &mut String) {
        write_array::<T>(out);
    }
}

impl<T: TsType> TsType for Vec<T> {
    fn write_ts(out: &mut String) {
        write_array::<T>(out);
    }
}

impl<T: TsType> TsType for VecDeque<T> {
    fn write_ts(out: &mut String) {
        write_array::<T>(out);
    }
}

/// serde writes a fixed-size array as a tuple: the arguments' rule spreads it.
impl<T: TsType, const N: usize> TsType for [T; N] {
    const SPREADS: bool = true;
    fn write_ts(out: &mut String) {
        write_array::<T>(out);
    }
}

macro_rules! tuple {
    ($first:ident $(, $rest:ident)*) => {
        impl<$first: TsType, $($rest: TsType),*> TsType for ($first, $($rest,)*) {
            const SPREADS: bool = true;
            fn write_ts(out: &mut String) {
                out.push('[');
                $first::write_ts(out);
                $(
                    out.push_str(", ");
                    $rest::write_ts(out);
                )*
                out.push(']');
            }
        }
    };
}

tuple!(A);
tuple!(A, B);
tuple!(A, B, C);
tuple!(A, B, C, D);
tuple!(A, B, C, D, E);
tuple!(A, B, C, D, E, F);

/// JSON object keys are strings, whatever the Rust key type.
fn write_record<V: TsType>(out: &mut String) {
    out.push_str("Record<string, ");
    V::write_ts(out);
    out.push('>');
}

impl<K, V: TsType> TsType for BTreeMap<K, V> {
    fn write_ts(out: &mut String) {
        write_record::<V>(out);
    }
}

#[cfg(feature = "std")]
impl<K, V: TsType, S> TsType for std::collections::HashMap<K, V, S> {
    fn write_ts(out: &mut String) {
        write_record::<V>(out);
    }
}

/// A parameter: its name, and what writes its type.
type Param<'a> = (&'a str, fn(&mut String));

/// Writes one event as a member of an events interface, as socket.io's guide writes it:
/// `name: (a: A, b: B) => void;`, with `callback: (x: X) => void` last for an acknowledgement
/// (`ack` is `None` for an event without one). The schema's marker types call it.
pub fn write_event(out: &mut String, name: &str, args: &[Param<'_>], ack: Option<&[Param<'_>]>) {
    out.push_str("  ");
    write_key(out, name);
    out.push_str(": (");
    write_params(out, args);
    if let Some(ack) = ack {
        if !args.is_empty() {
            out.push_str(", ");
        }
        out.push_str("callback: (");
        write_params(out, ack);
        out.push_str(") => void");
    }
    out.push_str(") => void;\n");
}

fn write_params(out: &mut String, params: &[Param<'_>]) {
    for (i, (name, write)) in params.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push_str(": ");
        write(out);
    }
}

/// A property key: bare when it is an identifier, a JSON string otherwise (`"chat:message"`).
fn write_key(out: &mut String, name: &str) {
    let identifier = name.chars().enumerate().all(|(i, c)| {
        c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
    });
    if identifier && !name.is_empty() {
        out.push_str(name);
        return;
    }
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                for shift in [4, 0] {
                    let digit = (c as u32 >> shift) & 0xf;
                    out.push(char::from_digit(digit, 16).unwrap_or('0'));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The TypeScript module for a schema: the declarations of the types its `types` list names,
/// then `ServerToClientEvents` and `ClientToServerEvents`, for
/// `Socket<ServerToClientEvents, ClientToServerEvents>` in a JavaScript client (and the reverse
/// order in a Node.js `socket.io` server's `Server<...>`).
pub fn typescript<S: Schema>() -> String {
    let mut out = String::new();
    out.push_str("// Generated from the Rust schema `");
    out.push_str(S::NAME);
    out.push_str("` by sockeye_core::schema::typescript: do not edit.\n\n");
    S::write_types(&mut out);
    out.push_str("export interface ServerToClientEvents {\n");
    S::write_server_to_client(&mut out);
    out.push_str("}\n\nexport interface ClientToServerEvents {\n");
    S::write_client_to_server(&mut out);
    out.push_str("}\n");
    out
}

/// Writes one member of an interface [`ts_struct!`] declares: `  name: ` for the Rust field
/// `field` as serde names it on the wire: its `rename` when it has one, else the field by the
/// container's `rename_all` rule (one of serde's), else as it is (a raw identifier's `r#` left
/// out).
#[doc(hidden)]
pub fn __write_field_name(
    out: &mut String,
    field: &str,
    rename: Option<&str>,
    rename_all: Option<&str>,
) {
    out.push_str("  ");
    let field = field.strip_prefix("r#").unwrap_or(field);
    match (rename, rename_all) {
        (Some(name), _) => write_key(out, name),
        (None, Some(rule)) => write_key(out, &rename_field(field, rule)),
        (None, None) => write_key(out, field),
    }
    out.push_str(": ");
}

/// A snake_case field named by a serde `rename_all` rule, as serde names it.
fn rename_field(field: &str, rule: &str) -> String {
    let pascal = || {
        let mut out = String::new();
        let mut upper = true;
        for c in field.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    match rule {
        "lowercase" => field.to_ascii_lowercase(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(),
        "camelCase" => {
            let pascal = pascal();
            let mut chars = pascal.chars();
            chars.next().map_or_else(String::new, |first| {
                let mut out = String::from(first.to_ascii_lowercase());
                out.extend(chars);
                out
            })
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_ascii_uppercase().replace('_', "-"),
        _ => field.to_owned(),
    }
}

/// Declares a plain struct and its TypeScript interface ([`TsType`]): each field in order, named
/// as serde names it on the wire. serde's `rename = ".."` on a field and `rename_all = ".."` on the
/// struct are followed; the attributes that change the shape of what is sent (`skip`,
/// `skip_serializing`, `skip_serializing_if`, `flatten`, `with`, `serialize_with`, `transparent`,
/// and the `rename(serialize = ..)` forms) do not compile, rather than give a wrong interface.
///
/// ```
/// sockeye_core::ts_struct! {
///     /// A line of the chat.
///     #[derive(Clone, Debug)]
///     pub struct ChatLine {
///         pub user: String,
///         pub text: String,
///         pub reply_to: Option<u64>,
///     }
/// }
/// let mut ts = String::new();
/// <ChatLine as sockeye_core::schema::TsType>::write_declaration(&mut ts);
/// assert_eq!(
///     ts,
///     "export interface ChatLine {\n  user: string;\n  text: string;\n  reply_to: number | null;\n}\n\n"
/// );
/// ```
#[macro_export]
macro_rules! ts_struct {
    (
        $(#[$($meta:tt)*])*
        $vis:vis struct $name:ident {
            $($(#[$($fmeta:tt)*])* $fvis:vis $field:ident : $fty:ty),* $(,)?
        }
    ) => {
        $(#[$($meta)*])*
        $vis struct $name {
            $($(#[$($fmeta)*])* $fvis $field: $fty),*
        }

        impl $crate::schema::TsType for $name {
            fn write_ts(out: &mut $crate::schema::__String) {
                out.push_str(::core::stringify!($name));
            }
            fn write_declaration(out: &mut $crate::schema::__String) {
                let rename_all: ::core::option::Option<&str> =
                    $crate::__ts_container_attrs!($([$($meta)*])*);
                out.push_str(::core::concat!("export interface ", ::core::stringify!($name), " {\n"));
                $(
                    $crate::schema::__write_field_name(
                        out,
                        ::core::stringify!($field),
                        $crate::__ts_field_attrs!($([$($fmeta)*])*),
                        rename_all,
                    );
                    <$fty as $crate::schema::TsType>::write_ts(out);
                    out.push_str(";\n");
                )*
                out.push_str("}\n\n");
            }
        }
    };
}

/// [`ts_struct!`]'s reading of a struct's attributes: its serde `rename_all`, if any.
#[doc(hidden)]
#[macro_export]
macro_rules! __ts_container_attrs {
    () => { ::core::option::Option::None };
    ([serde($($args:tt)*)] $($more:tt)*) => {
        match $crate::__ts_container_serde!($($args)*) {
            ::core::option::Option::Some(rule) => ::core::option::Option::Some(rule),
            ::core::option::Option::None => $crate::__ts_container_attrs!($($more)*),
        }
    };
    ([$($other:tt)*] $($more:tt)*) => { $crate::__ts_container_attrs!($($more)*) };
}

/// The items of one `#[serde(..)]` on a struct.
#[doc(hidden)]
#[macro_export]
macro_rules! __ts_container_serde {
    () => { ::core::option::Option::None };
    (rename_all = $rule:literal $(, $($rest:tt)*)?) => { ::core::option::Option::Some($rule) };
    (rename_all $($rest:tt)*) => {
        ::core::compile_error!("ts_struct!: only `rename_all = \"..\"` is followed, not `rename_all(..)`")
    };
    (transparent $($rest:tt)*) => {
        ::core::compile_error!("ts_struct!: `#[serde(transparent)]` changes the shape on the wire; implement TsType by hand")
    };
    ($item:ident $(= $value:literal)? $(($($group:tt)*))? $(, $($rest:tt)*)?) => {
        $crate::__ts_container_serde!($($($rest)*)?)
    };
}

/// [`ts_struct!`]'s reading of a field's attributes: its serde `rename`, if any.
#[doc(hidden)]
#[macro_export]
macro_rules! __ts_field_attrs {
    () => { ::core::option::Option::None };
    ([serde($($args:tt)*)] $($more:tt)*) => {
        match $crate::__ts_field_serde!($($args)*) {
            ::core::option::Option::Some(name) => ::core::option::Option::Some(name),
            ::core::option::Option::None => $crate::__ts_field_attrs!($($more)*),
        }
    };
    ([$($other:tt)*] $($more:tt)*) => { $crate::__ts_field_attrs!($($more)*) };
}

/// The items of one `#[serde(..)]` on a field.
#[doc(hidden)]
#[macro_export]
macro_rules! __ts_field_serde {
    () => { ::core::option::Option::None };
    (rename = $name:literal $(, $($rest:tt)*)?) => { ::core::option::Option::Some($name) };
    (rename $($rest:tt)*) => {
        ::core::compile_error!("ts_struct!: only `rename = \"..\"` is followed, not `rename(..)`")
    };
    (skip $($rest:tt)*) => { $crate::__ts_shape_error!(skip) };
    (skip_serializing $($rest:tt)*) => { $crate::__ts_shape_error!(skip_serializing) };
    (skip_serializing_if $($rest:tt)*) => { $crate::__ts_shape_error!(skip_serializing_if) };
    (flatten $($rest:tt)*) => { $crate::__ts_shape_error!(flatten) };
    (with $($rest:tt)*) => { $crate::__ts_shape_error!(with) };
    (serialize_with $($rest:tt)*) => { $crate::__ts_shape_error!(serialize_with) };
    ($item:ident $(= $value:literal)? $(($($group:tt)*))? $(, $($rest:tt)*)?) => {
        $crate::__ts_field_serde!($($($rest)*)?)
    };
}

/// The error for a field attribute that changes what is sent.
#[doc(hidden)]
#[macro_export]
macro_rules! __ts_shape_error {
    ($attr:ident) => {
        ::core::compile_error!(::core::concat!(
            "ts_struct!: `#[serde(",
            ::core::stringify!($attr),
            ")]` changes the shape on the wire; implement TsType by hand"
        ))
    };
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{TsType, typescript};
    use crate::schema::{Event, WithAck};

    fn ts<T: TsType + ?Sized>() -> String {
        let mut out = String::new();
        T::write_ts(&mut out);
        out
    }

    #[test]
    fn type_names() {
        assert_eq!(ts::<u32>(), "number");
        assert_eq!(ts::<&str>(), "string");
        assert_eq!(ts::<Option<String>>(), "string | null");
        assert_eq!(ts::<Vec<Option<u8>>>(), "(number | null)[]");
        assert_eq!(ts::<(bool, String)>(), "[boolean, string]");
        assert_eq!(ts::<Vec<crate::socket::Binary>>(), "ArrayBuffer[]");
        assert_eq!(
            ts::<alloc::collections::BTreeMap<String, Vec<f64>>>(),
            "Record<string, number[]>"
        );
        const { assert!(<(u8, u8)>::SPREADS && <[u8; 2]>::SPREADS && !<Vec<u8>>::SPREADS) };
    }

    crate::ts_struct! {
        struct Line {
            user: String,
            seen: Vec<u64>,
        }
    }

    crate::schema! {
        struct Demo;
        types { Line }
        client_to_server {
            Hello = "hello" ();
            Join = "join" (room: String) -> (members: u32);
            Ping = "ping" () -> ();
        }
        server_to_client {
            NewLine = "line" (line: Line, at: u64);
            Ask = "chat:ask" (question: String) -> (answer: String, at: u64);
        }
    }

    #[test]
    fn reserved_names() {
        for name in crate::socket::packet::RESERVED_EVENTS {
            assert!(crate::schema::is_reserved(name), "{name}");
        }
        for name in ["", "connec", "connects", "message", "Connect"] {
            assert!(!crate::schema::is_reserved(name), "{name}");
        }
    }

    fn acked<E: WithAck>() -> bool {
        E::ACK
    }

    #[test]
    fn the_markers_follow_the_arguments_rule() {
        let _: <Hello as Event>::Args = ();
        let _: <Join as Event>::Args = String::new();
        let _: <Join as Event>::Ack = 3u32;
        let (line, _): <NewLine as Event>::Args = (
            Line {
                user: String::new(),
                seen: Vec::new(),
            },
            1u64,
        );
        assert!(line.user.is_empty() && line.seen.is_empty());
        let _: <Ask as Event>::Ack = (String::new(), 2u64);
        assert_eq!(Ask::NAME, "chat:ask");
        assert!(acked::<Ping>() && !Hello::ACK);
    }

    #[test]
    fn the_interfaces_as_socket_io_writes_them() {
        assert_eq!(
            typescript::<Demo>(),
            "// Generated from the Rust schema `Demo` by sockeye_core::schema::typescript: do not edit.\n\
             \n\
             export interface Line {\n  user: string;\n  seen: number[];\n}\n\
             \n\
             export interface ServerToClientEvents {\n  \
             line: (line: Line, at: number) => void;\n  \
             \"chat:ask\": (question: string, callback: (answer: string, at: number) => void) => void;\n\
             }\n\
             \n\
             export interface ClientToServerEvents {\n  \
             hello: () => void;\n  \
             join: (room: string, callback: (members: number) => void) => void;\n  \
             ping: (callback: () => void) => void;\n\
             }\n"
        );
    }
}
