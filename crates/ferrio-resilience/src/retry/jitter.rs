//! [`Jitter`]: how much randomness spreads a fleet's retries apart.

/// How a retry delay is randomised, so that many clients failing at once
/// do not retry in lockstep (the "thundering herd").
///
/// With `d` the exponential delay of retry `k` — `base × factor^(k-1)`,
/// capped at `max_delay` — the delay slept is:
///
/// | mode | delay |
/// |---|---|
/// | [`None`](Jitter::None) | `d` exactly |
/// | [`Full`](Jitter::Full) | uniform in `[0, d]` |
/// | [`Equal`](Jitter::Equal) | `d/2` plus uniform in `[0, d/2]` |
/// | [`Decorrelated`](Jitter::Decorrelated) | uniform in `[base, previous × factor]`, capped at `max_delay`; the previous delay starts at `base` |
///
/// Full and decorrelated jitter are the ones the AWS architecture blog
/// ("Exponential Backoff And Jitter") found to spread load best;
/// decorrelated jitter is its recipe with the policy's `factor` (the blog
/// uses 3). Random draws are whole nanoseconds, inclusive at both ends, from
/// the policy's generator (seed it for reproducible tests with
/// [`RetryPolicy::seed`](super::RetryPolicy::seed)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomness: the exponential schedule itself.
    None,
    /// Uniform between zero and the exponential delay (the default).
    #[default]
    Full,
    /// Half the exponential delay, plus uniform up to the other half.
    Equal,
    /// Uniform between the base delay and `factor` times the previous delay.
    Decorrelated,
}
