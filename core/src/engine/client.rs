//! Stub: implementation follows.
