//! Locating configuration files: `--config PATH`, else `<tool>.toml` found upward from the
//! working directory (the way rustfmt and ruff find theirs).

use std::path::{Path, PathBuf};

/// Walk from `start` up to the filesystem root and return the first `name` that exists.
#[must_use]
pub fn find_upward(start: &Path, name: &str) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// The config file to use: the explicit path if given, else `<tool>.toml` upward from the cwd.
#[must_use]
pub fn resolve(explicit: Option<&Path>, tool: &str) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let cwd = std::env::current_dir().ok()?;
    find_upward(&cwd, &format!("{tool}.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_config_in_parent() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(dir.path().join("tool.toml"), "").unwrap();
        assert_eq!(find_upward(&nested, "tool.toml"), Some(dir.path().join("tool.toml")));
        assert_eq!(find_upward(&nested, "other.toml"), None);
    }
}
