//! policy-lint (scaffold; see the issue for scope).
