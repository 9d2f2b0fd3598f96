//! translator (scaffold; see the issue for scope).
