//! auditor (scaffold; see the issue for scope).
