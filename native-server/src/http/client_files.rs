//! `serveClient`: the classic-script client under the server's path, so that the oldest recipe,
//! `<script src="/socket.io/socket.io.js"></script>` then `io()`, works against this server as
//! against the reference, which serves its `client-dist/` there by default.
//!
//! The files come from a folder ([`SocketIoBuilder::serve_client`]): the crate embeds no build
//! artifact, and `scripts/build-client.sh` writes them to `pkg/classic/`. Only these three names
//! are served, each read again when the file changes:
//!
//! | name | what | `Content-Type` |
//! |---|---|---|
//! | `socket.io.js` | the classic script: a global `io` | `application/javascript; charset=utf-8` |
//! | `socket.io.js.map` | its source map | `application/json; charset=utf-8` |
//! | `socket.io.wasm` | the WebAssembly module the script fetches from beside itself | `application/wasm` |
//!
//! As the reference: `Cache-Control: public, max-age=0` and an `ETag`, and `304 Not Modified` to
//! an `If-None-Match` that names it (strongly or weakly). The ETag is a hash of the content, not
//! a version: a rebuild changes it, and every node of a cluster gives the same one. A file
//! missing from the folder answers 404. Anything else under the path is Engine.IO's.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

#[cfg(doc)]
use super::SocketIoBuilder;
use super::{ResponseBody, empty};

/// The files served, with their types, in the order of the table above.
const FILES: [(&str, &str); 3] = [
    ("socket.io.js", "application/javascript; charset=utf-8"),
    ("socket.io.js.map", "application/json; charset=utf-8"),
    ("socket.io.wasm", "application/wasm"),
];

/// The classic-script client's folder and what was last read of each file.
pub(crate) struct ClientFiles {
    dir: PathBuf,
    cache: [Mutex<Option<Cached>>; FILES.len()],
}

/// A file as read, with the metadata that tells whether it is still current.
#[derive(Clone)]
struct Cached {
    modified: Option<SystemTime>,
    len: u64,
    body: Bytes,
    etag: HeaderValue,
}

impl std::fmt::Debug for ClientFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientFiles")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl ClientFiles {
    pub(crate) fn new(dir: PathBuf) -> Self {
        ClientFiles {
            dir,
            cache: Default::default(),
        }
    }

    /// The file `path` names, if one of them: `path` is the request's, under the server's
    /// `prefix` (the query is not part of it).
    pub(crate) fn find(&self, prefix: &str, path: &str) -> Option<ClientFile<'_>> {
        let name = path.strip_prefix(prefix)?;
        FILES
            .iter()
            .zip(&self.cache)
            .find(|((file, _), _)| *file == name)
            .map(|(&(name, content_type), slot)| ClientFile {
                dir: &self.dir,
                name,
                content_type,
                slot,
            })
    }
}

/// One of the files, as a request names it.
pub(crate) struct ClientFile<'a> {
    dir: &'a std::path::Path,
    name: &'static str,
    content_type: &'static str,
    slot: &'a Mutex<Option<Cached>>,
}

impl ClientFile<'_> {
    /// The answer to a request for this file with `headers`.
    pub(crate) async fn serve(&self, headers: &HeaderMap) -> Response<ResponseBody> {
        let Some(file) = self.read().await else {
            tracing::debug!(
                "serve_client: {} not found",
                self.dir.join(self.name).display()
            );
            return empty(StatusCode::NOT_FOUND);
        };
        let cached = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .any(|value| names_etag(value.as_bytes(), file.etag.as_bytes()));
        let mut res = if cached {
            empty(StatusCode::NOT_MODIFIED)
        } else {
            let mut res = Response::new(ResponseBody::new(file.body));
            let headers = res.headers_mut();
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=0"),
            );
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            res
        };
        res.headers_mut().insert(header::ETAG, file.etag);
        res
    }

    /// The file as it is now on disk (from the cache while unchanged), or `None` when it cannot
    /// be read.
    async fn read(&self) -> Option<Cached> {
        let path = self.dir.join(self.name);
        let meta = tokio::fs::metadata(&path).await.ok()?;
        let (modified, len) = (meta.modified().ok(), meta.len());
        let slot = self.slot;
        if let Some(hit) = lock(slot)
            .as_ref()
            .filter(|c| c.len == len && c.modified.is_some() && c.modified == modified)
        {
            return Some(hit.clone());
        }
        let body = Bytes::from(tokio::fs::read(&path).await.ok()?);
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", fnv1a(&body)))
            .expect("a quoted hex number is a valid header value");
        let read = Cached {
            // The metadata read before the content: a change while reading is seen next time.
            modified,
            len,
            body,
            etag,
        };
        *lock(slot) = Some(read.clone());
        Some(read)
    }
}

fn lock(slot: &Mutex<Option<Cached>>) -> std::sync::MutexGuard<'_, Option<Cached>> {
    // The slot holds a finished value or none: a panic elsewhere leaves nothing half-written.
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether an `If-None-Match` value names `etag`: `*`, or a comma-separated list holding it,
/// strong or weak (`W/"…"`), as the weak comparison of RFC 9110 section 13.1.2 has it.
fn names_etag(value: &[u8], etag: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|tag| {
        let tag = tag.trim_ascii();
        tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == etag
    })
}

/// The 64-bit FNV-1a hash: stable across builds and machines, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_the_three_files_right_under_the_path() {
        let files = ClientFiles::new(PathBuf::from("."));
        let find = |path| {
            files
                .find("/socket.io/", path)
                .map(|f| (f.name, f.content_type))
        };
        assert_eq!(
            find("/socket.io/socket.io.js"),
            Some(("socket.io.js", "application/javascript; charset=utf-8"))
        );
        assert_eq!(
            find("/socket.io/socket.io.js.map"),
            Some(("socket.io.js.map", "application/json; charset=utf-8"))
        );
        assert_eq!(
            find("/socket.io/socket.io.wasm"),
            Some(("socket.io.wasm", "application/wasm"))
        );
        for other in [
            "/socket.io/",
            "/socket.io/socket.io.min.js",
            "/socket.io/x/socket.io.js",
            "/socket.io/../socket.io.js",
            "/other/socket.io.js",
        ] {
            assert!(find(other).is_none(), "{other}");
        }
    }

    #[test]
    fn if_none_match_names_the_etag_strongly_weakly_in_a_list_or_as_any() {
        let etag = b"\"00ff\"";
        assert!(names_etag(b"\"00ff\"", etag));
        assert!(names_etag(b"W/\"00ff\"", etag));
        assert!(names_etag(b"\"a\", W/\"00ff\"", etag));
        assert!(names_etag(b"*", etag));
        assert!(!names_etag(b"\"00fe\"", etag));
        assert!(!names_etag(b"00ff", etag));
        assert!(!names_etag(b"", etag));
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // The FNV test vectors: "" and "a".
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
