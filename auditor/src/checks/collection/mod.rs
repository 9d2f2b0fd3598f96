//! Collection completeness (AU9xx).

pub mod collection_error;
