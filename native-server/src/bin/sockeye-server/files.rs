//! A small static file service: the binary's `www/` and client package.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};
use tower_service::Service;

/// Serves the files under a folder (GET and HEAD; `index.html` for a folder; 404 otherwise): the
/// binary's `www/` and client package.
///
/// Only what is inside the folder is served: paths with `..` are refused, and so is a symbolic
/// link that leads out of it; no dotfile or dot-folder (`.git/`, `.env`) is served. Files are
/// streamed in chunks of [`FILE_CHUNK`] bytes with their length as `Content-Length` (a HEAD gets
/// the same head), and every answer carries `X-Content-Type-Options: nosniff`, so that a browser
/// runs a file only as the type it is served as.
#[derive(Clone, Debug)]
pub(crate) struct ServeDir {
    root: Arc<PathBuf>,
    prefix: Arc<str>,
    fallback: Option<Arc<ServeDir>>,
}

/// The most bytes of a file in one chunk of a [`FileBody`] (64 KiB): what one file being sent
/// holds in memory.
pub(crate) const FILE_CHUNK: usize = 64 * 1024;

impl ServeDir {
    /// Serves `root` at `/`.
    pub(crate) fn new(root: impl Into<PathBuf>) -> Self {
        ServeDir {
            root: Arc::new(root.into()),
            prefix: "/".into(),
            fallback: None,
        }
    }

    /// Serves the folder at `prefix` (such as `/sockeye/`) instead of `/`.
    #[must_use]
    pub(crate) fn at(mut self, prefix: &str) -> Self {
        self.prefix = normalize_prefix(prefix).into();
        self
    }

    /// Where requests outside this folder's prefix, or for missing files, go.
    #[must_use]
    pub(crate) fn fallback(mut self, other: ServeDir) -> Self {
        self.fallback = Some(Arc::new(other));
        self
    }

    /// The path under the root that `path` names, if it names one: no `..`, no dotfile.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let rest = path.strip_prefix(&*self.prefix)?;
        let decoded = proto::url::percent_decode(rest);
        let mut out = (*self.root).clone();
        for part in Path::new(&decoded).components() {
            match part {
                Component::Normal(p) if !is_hidden(p) => out.push(p),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(out)
    }

    /// The file `path` names, opened, with its length and where it really is, when it is a
    /// regular file inside the root once symbolic links are followed.
    async fn open(&self, path: &str) -> Option<(tokio::fs::File, u64, PathBuf)> {
        let mut file = self.resolve(path)?;
        if tokio::fs::metadata(&file).await.ok()?.is_dir() {
            file.push("index.html");
        }
        let root = tokio::fs::canonicalize(&*self.root).await.ok()?;
        let real = tokio::fs::canonicalize(&file).await.ok()?;
        // A link may lead anywhere: what it leads to must be inside the root, and no dotfile.
        let inside = real.strip_prefix(&root).ok()?;
        if inside.components().any(|c| match c {
            Component::Normal(p) => is_hidden(p),
            _ => true,
        }) {
            return None;
        }
        let opened = tokio::fs::File::open(&real).await.ok()?;
        let meta = opened.metadata().await.ok()?;
        meta.is_file().then_some((opened, meta.len(), real))
    }

    fn serve(
        self,
        method: Method,
        path: String,
    ) -> Pin<Box<dyn Future<Output = Response<FileBody>> + Send>> {
        Box::pin(async move {
            if method != Method::GET && method != Method::HEAD {
                return answer(StatusCode::METHOD_NOT_ALLOWED, FileBody::empty());
            }
            if let Some((file, len, real)) = self.open(&path).await {
                let body = if method == Method::HEAD {
                    FileBody::empty()
                } else {
                    FileBody::new(file, len)
                };
                let mut res = answer(StatusCode::OK, body);
                let headers = res.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&real)),
                );
                // Set by hand: for a HEAD the body is empty, and the head says what a GET gets.
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
                return res;
            }
            match self.fallback {
                Some(next) => (*next).clone().serve(method, path).await,
                None => answer(StatusCode::NOT_FOUND, FileBody::empty()),
            }
        })
    }
}

/// A dotfile or dot-folder: `.git`, `.env` and the like are not for the web.
fn is_hidden(part: &std::ffi::OsStr) -> bool {
    part.as_encoded_bytes().first() == Some(&b'.')
}

fn answer(status: StatusCode, body: FileBody) -> Response<FileBody> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// The body of a [`ServeDir`] answer: a file read a chunk at a time as the connection takes it,
/// or nothing.
#[derive(Debug)]
pub(crate) struct FileBody {
    file: Option<tokio::fs::File>,
    /// Bytes still to send: the length the head announced.
    remaining: u64,
    buf: Vec<u8>,
}

impl FileBody {
    fn new(file: tokio::fs::File, len: u64) -> Self {
        FileBody {
            file: Some(file),
            remaining: len,
            buf: Vec::new(),
        }
    }

    fn empty() -> Self {
        FileBody {
            file: None,
            remaining: 0,
            buf: Vec::new(),
        }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        let Some(file) = &mut this.file else {
            return Poll::Ready(None);
        };
        if this.remaining == 0 {
            this.file = None;
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining).map_or(FILE_CHUNK, |r| r.min(FILE_CHUNK));
        this.buf.resize(want, 0);
        let mut read = ReadBuf::new(&mut this.buf);
        ready!(Pin::new(file).poll_read(cx, &mut read))?;
        let chunk = read.filled();
        if chunk.is_empty() {
            // The file shrank under us: the head promised more than there is.
            this.file = None;
            return Poll::Ready(Some(Err(std::io::ErrorKind::UnexpectedEof.into())));
        }
        this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.file.is_none() || self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl<B> Service<Request<B>> for ServeDir {
    type Response = Response<FileBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<FileBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let fut = self
            .clone()
            .serve(req.method().clone(), req.uri().path().to_owned());
        Box::pin(async move { Ok(fut.await) })
    }
}

/// `/sockeye` and `/sockeye/` both serve `/sockeye/...`: one leading and one trailing slash.
fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(trimmed.len() + 2);
    if !trimmed.starts_with('/') {
        out.push('/');
    }
    out.push_str(trimmed);
    out.push('/');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_paths_stay_inside_the_root() {
        let dir = ServeDir::new("/srv/www").at("/sockeye/");
        assert_eq!(
            dir.resolve("/sockeye/a/b.js"),
            Some(PathBuf::from("/srv/www/a/b.js"))
        );
        assert_eq!(dir.resolve("/sockeye/../etc/passwd"), None);
        assert_eq!(dir.resolve("/sockeye/%2e%2e/etc"), None);
        assert_eq!(dir.resolve("/other/x"), None);
    }

    #[test]
    fn dotfiles_are_not_served() {
        let dir = ServeDir::new("/srv/www");
        assert_eq!(dir.resolve("/.env"), None);
        assert_eq!(dir.resolve("/.git/config"), None);
        assert_eq!(dir.resolve("/a/%2Ehidden"), None);
        assert_eq!(dir.resolve("/a/b.c"), Some(PathBuf::from("/srv/www/a/b.c")));
    }

    #[tokio::test]
    async fn files_are_streamed_a_chunk_at_a_time() {
        let root = std::env::temp_dir().join(format!("sockeye-stream-{}", std::process::id()));
        std::fs::create_dir_all(&root).expect("a temporary folder");
        let len = 3 * FILE_CHUNK + 1;
        std::fs::write(root.join("big.bin"), vec![7u8; len]).expect("a file");
        let res = ServeDir::new(&root)
            .serve(Method::GET, "/big.bin".into())
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_LENGTH], len.to_string());
        let mut body = std::pin::pin!(res.into_body());
        let mut sizes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
            let data = frame.expect("a chunk").into_data().expect("data");
            sizes.push(data.len());
        }
        assert_eq!(sizes, [FILE_CHUNK, FILE_CHUNK, FILE_CHUNK, 1]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
