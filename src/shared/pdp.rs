//! The AuthZEN policy decision point client of this mode (being written). One source, compiled
//! twice.
