//! A todo, and where it sits in the list.

use serde::{Deserialize, Serialize};

/// One todo. Stored field by field (a Y.Map per todo) by the collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    pub title: String,
    pub done: bool,
    /// The list is sorted by this number. Moving a todo gives it a number between its new
    /// neighbours', so a move is one field of one todo, and concurrent moves of different todos
    /// never conflict.
    pub position: f64,
}

/// Which todos the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    All,
    Active,
    Done,
}

impl Filter {
    pub const ALL: [Filter; 3] = [Filter::All, Filter::Active, Filter::Done];

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::Active => "Active",
            Filter::Done => "Done",
        }
    }

    pub fn keeps(self, todo: &Todo) -> bool {
        match self {
            Filter::All => true,
            Filter::Active => !todo.done,
            Filter::Done => todo.done,
        }
    }
}

/// The position of a todo moved to `index` of `positions` (the list's positions in order,
/// without the moved todo).
pub fn position_at(positions: &[f64], index: usize) -> f64 {
    match (
        index.checked_sub(1).and_then(|i| positions.get(i)),
        positions.get(index),
    ) {
        (None, None) => 0.0,
        (None, Some(next)) => next - 1.0,
        (Some(previous), None) => previous + 1.0,
        (Some(previous), Some(next)) => (previous + next) / 2.0,
    }
}
