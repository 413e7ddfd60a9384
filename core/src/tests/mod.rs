//! Deterministic simulations of client/server pairs on a virtual clock.
