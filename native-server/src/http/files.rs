//! A small static file service: the binary's `www/` and client package.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use tower_service::Service;

use super::ResponseBody;
use super::answers::{empty, with_body};

/// Serves the files under a folder (GET and HEAD; `index.html` for a folder; 404 otherwise): the
/// binary's `www/` and client package. Paths with `..` are refused.
#[derive(Clone, Debug)]
pub struct ServeDir {
    root: Arc<PathBuf>,
    prefix: Arc<str>,
    fallback: Option<Arc<ServeDir>>,
}

impl ServeDir {
    /// Serves `root` at `/`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ServeDir {
            root: Arc::new(root.into()),
            prefix: "/".into(),
            fallback: None,
        }
    }

    /// Serves the folder at `prefix` (such as `/sockeye/`) instead of `/`.
    #[must_use]
    pub fn at(mut self, prefix: &str) -> Self {
        self.prefix = crate::config::normalize_path(prefix).into();
        self
    }

    /// Where requests outside this folder's prefix, or for missing files, go.
    #[must_use]
    pub fn fallback(mut self, other: ServeDir) -> Self {
        self.fallback = Some(Arc::new(other));
        self
    }

    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let rest = path.strip_prefix(&*self.prefix)?;
        let decoded = proto::url::percent_decode(rest);
        let mut out = (*self.root).clone();
        for part in Path::new(&decoded).components() {
            match part {
                Component::Normal(p) => out.push(p),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(out)
    }

    fn serve(
        self,
        method: Method,
        path: String,
    ) -> Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>> {
        Box::pin(async move {
            if method != Method::GET && method != Method::HEAD {
                return empty(StatusCode::METHOD_NOT_ALLOWED);
            }
            if let Some(mut file) = self.resolve(&path) {
                if tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
                    file.push("index.html");
                }
                if let Ok(bytes) = tokio::fs::read(&file).await {
                    let mut res = with_body(StatusCode::OK, content_type(&file), bytes);
                    if method == Method::HEAD {
                        *res.body_mut() = Full::new(Bytes::new());
                    }
                    return res;
                }
            }
            match self.fallback {
                Some(next) => (*next).clone().serve(method, path).await,
                None => empty(StatusCode::NOT_FOUND),
            }
        })
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
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

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
}
