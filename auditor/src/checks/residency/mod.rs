//! Data residency (AU7xx).

pub mod region_outside_canada;
