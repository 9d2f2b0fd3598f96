//! log-shipper (scaffold; see the issue for scope).
