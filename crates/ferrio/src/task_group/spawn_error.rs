//! [`GroupSpawnError`]: why a task group refused a child.

use std::fmt;

use crate::event_loop::SpawnError;

/// Why [`TaskGroup::spawn`](super::TaskGroup::spawn) refused a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupSpawnError {
    /// The group is shutting down — a child failed, or the group finished —
    /// and takes no new tasks (asyncio: "TaskGroup is shutting down").
    ShuttingDown,
    /// The loop refused the task (see [`SpawnError`]).
    Spawn(SpawnError),
}

impl fmt::Display for GroupSpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupSpawnError::ShuttingDown => f.write_str(
                "the task group is shutting down (a task failed, or the group finished); \
                 it takes no new tasks",
            ),
            GroupSpawnError::Spawn(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for GroupSpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GroupSpawnError::Spawn(e) => Some(e),
            GroupSpawnError::ShuttingDown => None,
        }
    }
}

impl From<SpawnError> for GroupSpawnError {
    fn from(e: SpawnError) -> GroupSpawnError {
        GroupSpawnError::Spawn(e)
    }
}
