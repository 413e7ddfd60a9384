//! [`ServerSession`]: the calls a server's driver makes on one Engine.IO session, whether it
//! carries Socket.IO ([`Connection`]) or is bare Engine.IO ([`Session`]), so that one driver loop
//! runs both (monomorphized: the trait costs nothing per call).
//!
//! The inputs are the session's own `handle_*` methods; the commands are the three ways the
//! server ends a session, which differ between the two (a bare session has no Socket.IO
//! goodbyes to send).

use crate::engine::Frame;
use crate::engine::server::{GetOutcome, RequestError, Session, Transmit};
use crate::server::Connection;
use crate::time::Instant;

/// One server-side Engine.IO session as its driver sees it; see [`Session`] for the call order.
pub trait ServerSession {
    /// A polling GET; see [`Session::handle_poll_get`].
    fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError>;
    /// The parked GET's client went away; see [`Session::handle_poll_get_aborted`].
    fn handle_poll_get_aborted(&mut self, now: Instant);
    /// A POST's headers; see [`Session::handle_poll_post_start`].
    fn handle_poll_post_start(
        &mut self,
        now: Instant,
        octet_stream: bool,
    ) -> Result<(), RequestError>;
    /// A POST's body; see [`Session::handle_poll_post`].
    fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError>;
    /// The POST's client went away; see [`Session::handle_poll_post_aborted`].
    fn handle_poll_post_aborted(&mut self, now: Instant);
    /// A WebSocket request for this session; see [`Session::handle_ws_upgrade`].
    fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError>;
    /// A WebSocket frame; see [`Session::handle_ws_frame`].
    fn handle_ws_frame(&mut self, now: Instant, frame: Frame);
    /// The WebSocket closed; see [`Session::handle_ws_close`].
    fn handle_ws_close(&mut self, now: Instant);
    /// The WebSocket failed; see [`Session::handle_ws_error`].
    fn handle_ws_error(&mut self, now: Instant);
    /// A deadline passed; see [`Session::handle_timeout`].
    fn handle_timeout(&mut self, now: Instant);
    /// Drops the transport without Socket.IO goodbyes (`socket.conn.close()`).
    fn close_transport(&mut self, now: Instant);
    /// Closes from the server's side, with goodbyes (`socket.disconnect(true)`).
    fn close(&mut self, now: Instant);
    /// The server is shutting down (`io.close()`).
    fn shutdown(&mut self, now: Instant);
    /// What the driver must send next.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Transmit>;
    /// When [`ServerSession::handle_timeout`] is due next.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether the session is over; drop it after draining.
    fn is_closed(&self) -> bool;
    /// The Engine.IO session (its transport, whether a GET is parked ...).
    fn engine(&self) -> &Session;
}

impl ServerSession for Session {
    #[inline]
    fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError> {
        Session::handle_poll_get(self, now)
    }
    #[inline]
    fn handle_poll_get_aborted(&mut self, now: Instant) {
        Session::handle_poll_get_aborted(self, now);
    }
    #[inline]
    fn handle_poll_post_start(
        &mut self,
        now: Instant,
        octet_stream: bool,
    ) -> Result<(), RequestError> {
        Session::handle_poll_post_start(self, now, octet_stream)
    }
    #[inline]
    fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError> {
        Session::handle_poll_post(self, now, body)
    }
    #[inline]
    fn handle_poll_post_aborted(&mut self, now: Instant) {
        Session::handle_poll_post_aborted(self, now);
    }
    #[inline]
    fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError> {
        Session::handle_ws_upgrade(self, now)
    }
    #[inline]
    fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        Session::handle_ws_frame(self, now, frame);
    }
    #[inline]
    fn handle_ws_close(&mut self, now: Instant) {
        Session::handle_ws_close(self, now);
    }
    #[inline]
    fn handle_ws_error(&mut self, now: Instant) {
        Session::handle_ws_error(self, now);
    }
    #[inline]
    fn handle_timeout(&mut self, now: Instant) {
        Session::handle_timeout(self, now);
    }
    #[inline]
    /// A bare session has only its transport to drop: the same as [`Session::close`].
    fn close_transport(&mut self, now: Instant) {
        Session::close(self, now);
    }
    #[inline]
    fn close(&mut self, now: Instant) {
        Session::close(self, now);
    }
    #[inline]
    fn shutdown(&mut self, now: Instant) {
        Session::close(self, now);
    }
    #[inline]
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Session::poll_transmit(self)
    }
    #[inline]
    fn poll_timeout(&self) -> Option<Instant> {
        Session::poll_timeout(self)
    }
    #[inline]
    fn is_closed(&self) -> bool {
        Session::is_closed(self)
    }
    #[inline]
    fn engine(&self) -> &Session {
        self
    }
}

impl ServerSession for Connection {
    #[inline]
    fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError> {
        Connection::handle_poll_get(self, now)
    }
    #[inline]
    fn handle_poll_get_aborted(&mut self, now: Instant) {
        Connection::handle_poll_get_aborted(self, now);
    }
    #[inline]
    fn handle_poll_post_start(
        &mut self,
        now: Instant,
        octet_stream: bool,
    ) -> Result<(), RequestError> {
        Connection::handle_poll_post_start(self, now, octet_stream)
    }
    #[inline]
    fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError> {
        Connection::handle_poll_post(self, now, body)
    }
    #[inline]
    fn handle_poll_post_aborted(&mut self, now: Instant) {
        Connection::handle_poll_post_aborted(self, now);
    }
    #[inline]
    fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError> {
        Connection::handle_ws_upgrade(self, now)
    }
    #[inline]
    fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        Connection::handle_ws_frame(self, now, frame);
    }
    #[inline]
    fn handle_ws_close(&mut self, now: Instant) {
        Connection::handle_ws_close(self, now);
    }
    #[inline]
    fn handle_ws_error(&mut self, now: Instant) {
        Connection::handle_ws_error(self, now);
    }
    #[inline]
    fn handle_timeout(&mut self, now: Instant) {
        Connection::handle_timeout(self, now);
    }
    #[inline]
    fn close_transport(&mut self, now: Instant) {
        Connection::close_transport(self, now);
    }
    #[inline]
    fn close(&mut self, now: Instant) {
        Connection::close(self, now);
    }
    #[inline]
    fn shutdown(&mut self, now: Instant) {
        Connection::shutdown(self, now);
    }
    #[inline]
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Connection::poll_transmit(self)
    }
    #[inline]
    fn poll_timeout(&self) -> Option<Instant> {
        Connection::poll_timeout(self)
    }
    #[inline]
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
    #[inline]
    fn engine(&self) -> &Session {
        Connection::engine(self)
    }
}
