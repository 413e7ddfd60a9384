//! Polling payloads. (Stub: implementation follows.)
