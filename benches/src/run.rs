//! One run of whichever mode the flags select, and the report it prints.

use serde::Serialize;

use crate::args::{LoadArgs, Mode};
use crate::modes::idle::IdleReport;
use crate::modes::join::JoinReport;
use crate::modes::presence::PresenceReport;
use crate::modes::updates::UpdatesReport;
use crate::modes::{idle, join, presence, updates};

/// The result of a run of any [`Mode`], printed as one JSON object (the mode's own fields,
/// untagged: each report names its mode in its `mode` field).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
// One value per run, moved once: the size of the largest report does not matter.
#[allow(clippy::large_enum_variant)]
pub enum ModeReport {
    /// `updates` mode.
    Updates(UpdatesReport),
    /// `idle` mode.
    Idle(IdleReport),
    /// `join` mode.
    Join(JoinReport),
    /// `presence` mode.
    Presence(PresenceReport),
}

/// Runs the mode `args.mode` selects against the server (or nodes) at `args.urls`.
///
/// Progress goes to stderr. Every phase has a time limit, so the run ends by itself even if
/// the server stops answering.
///
/// # Errors
/// Whatever that mode's run returns: invalid flags, a server PID that cannot be sampled, or
/// clients that do not connect and sync in time.
pub async fn run(args: &LoadArgs) -> anyhow::Result<ModeReport> {
    Ok(match args.mode {
        Mode::Updates => ModeReport::Updates(updates::run(args).await?),
        Mode::Idle => ModeReport::Idle(idle::run(args).await?),
        Mode::Join => ModeReport::Join(join::run(args).await?),
        Mode::Presence => ModeReport::Presence(presence::run(args).await?),
    })
}
