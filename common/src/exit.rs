//! The exit-code contract every fcm-guard CLI follows.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | ran to completion, nothing at or above `--fail-on` |
//! | 1 | ran to completion, at least one failing finding |
//! | 2 | the tool could not do its job (bad input, AWS failure, incomplete audit); wins over 1 |

use std::process::ExitCode;

/// Outcome of a run, ordered so that `max` combines outcomes (2 wins over 1 wins over 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ExitStatus {
    /// Nothing at or above the failure threshold.
    #[default]
    Clean,
    /// At least one finding at or above the failure threshold.
    Findings,
    /// The tool could not do (all of) its job.
    Error,
}

impl ExitStatus {
    /// The process exit code: 0, 1 or 2.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Clean => 0,
            Self::Findings => 1,
            Self::Error => 2,
        }
    }

    /// Combine two outcomes: the worse one wins.
    #[must_use]
    pub fn combine(self, other: Self) -> Self {
        self.max(other)
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_wins_over_findings() {
        assert_eq!(ExitStatus::Findings.combine(ExitStatus::Error), ExitStatus::Error);
        assert_eq!(ExitStatus::Error.combine(ExitStatus::Clean), ExitStatus::Error);
        assert_eq!(ExitStatus::Clean.combine(ExitStatus::Findings), ExitStatus::Findings);
        assert_eq!(ExitStatus::Findings.code(), 1);
    }
}
